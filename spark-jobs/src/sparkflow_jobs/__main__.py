"""The one runner: `python -m sparkflow_jobs <job> [job options]`, and, through scripts/spark_app.py, the
application every `spark-submit` runs (`python -m sparkflow_jobs.submit <job> …` builds that command).

Every job starts the same way: settings from the environment (JobConfig), its arguments checked, one
SparkSession from session.build_session, then the job's main(spark, cfg, argv). It prints one JSON line
with the job's result. A job that no rerun can fix (bad arguments or settings, a connector missing from
the class path) ends with one `sparkflow_jobs: cannot run …` line on stderr and exit code 2 or 3
(launch.EXIT_*), which Airflow turns into a failed task without retries.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
from types import ModuleType

from .config import ConfigError, JobConfig
from .launch import EXIT_MISSING_CLASS, EXIT_USAGE, FATAL_PREFIX, spark_conf, submit_settings, under_spark_submit

JOBS = ("daily_user_aggregates", "stream_user_stats", "tutorial_baseline_stream")

# What the JVM says when a connector's classes are not on the class path.
_MISSING_CLASS_MARKERS = ("DATA_SOURCE_NOT_FOUND", "java.lang.ClassNotFoundException", "No suitable driver")


def _fatal(job: str, cause: str, code: int) -> int:
    print(f"{FATAL_PREFIX} {job}: {cause}", file=sys.stderr, flush=True)
    return code


def checked_job(argv: list[str]) -> ModuleType | int:
    """The job `argv` names, its arguments checked without a JVM; else the exit code to end with (0 after
    `--help`). Both launchers call it first, so spark-submit is never started for a call that cannot run."""
    if not argv or argv[0] not in JOBS:
        print(f"usage: python -m sparkflow_jobs {{{'|'.join(JOBS)}}} [options]", file=sys.stderr)
        return _fatal(argv[0] if argv else "(none)", f"the job must be one of {', '.join(JOBS)}", EXIT_USAGE)
    name, job_args = argv[0], argv[1:]
    job = importlib.import_module(f"sparkflow_jobs.jobs.{name}")
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            job.parse_args(job_args)
    except SystemExit as err:  # argparse has printed the help, or what is wrong with the arguments
        print(said.getvalue(), end="", file=sys.stderr)
        if not err.code:
            return 0
        # The last line is the job's own: what argparse found wrong travels with it (to Airflow's exception).
        reason = argparse_reason(said.getvalue(), name)
        return _fatal(name, f"bad arguments {job_args}" + (f": {reason}" if reason else ""), EXIT_USAGE)
    print(said.getvalue(), end="", file=sys.stderr)
    return job


def argparse_reason(stderr: str, prog: str) -> str | None:
    """What argparse said was wrong (`<prog>: error: <reason>`), the last such line of `stderr`."""
    marker = f"{prog}: error: "
    found = [line.split(marker, 1)[1].strip() for line in stderr.splitlines() if marker in line]
    return found[-1] if found else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    job = checked_job(argv)
    if isinstance(job, int):
        return job
    name, job_args = argv[0], argv[1:]
    try:
        cfg = JobConfig.from_env()
        spark_conf(cfg)  # the settings every session is built with, the contracts' among them
        if not under_spark_submit():
            submit_settings(cfg)  # the same checks spark-submit's launchers make: jars present, settings sane
    except ConfigError as err:
        return _fatal(name, f"bad configuration: {err}", EXIT_USAGE)

    from .session import build_session  # pyspark only once the job will run

    spark = build_session(cfg, name)
    spark.sparkContext.setLogLevel("WARN")
    try:
        result = job.main(spark, cfg, job_args)
    except Exception as err:  # noqa: BLE001 - classified, then re-raised unless no rerun can help
        marker = next((m for m in _MISSING_CLASS_MARKERS if m in str(err)), None)
        if marker is None:
            raise
        first = next((line for line in str(err).splitlines() if marker in line), marker)
        return _fatal(name, f"a connector is missing from the class path ({first.strip()}); "
                      "spark-submit needs --jars from sparkflow_jobs.launch", EXIT_MISSING_CLASS)
    finally:
        spark.stop()
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
