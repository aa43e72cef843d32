"""`python -m sparkflow_jobs.submit <job> [job options]`: runs the job through `spark-submit`, with the
master, jars and settings of launch.submit_settings — the command Airflow's operator, Compose and the
Spark operator run. `--print` shows the command instead of running it."""
from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from .__main__ import checked_job
from .config import ConfigError, JobConfig
from .launch import EXIT_USAGE, FATAL_PREFIX, spark_submit_argv


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    show = "--print" in argv[:1]
    argv = argv[1:] if show else argv
    if not argv:
        print("usage: python -m sparkflow_jobs.submit [--print] <job> [options]", file=sys.stderr)
        return EXIT_USAGE
    job = checked_job(argv)
    if isinstance(job, int):
        return job
    try:
        cmd = spark_submit_argv(JobConfig.from_env(), argv[0], argv[1:])
    except ConfigError as err:
        print(f"{FATAL_PREFIX} {argv[0]}: bad configuration: {err}", file=sys.stderr)
        return EXIT_USAGE
    # The spark-submit of the interpreter's own venv (pyspark's), else the one on PATH.
    beside = Path(sys.executable).with_name("spark-submit")
    binary = str(beside) if beside.exists() else shutil.which("spark-submit")
    if binary is None:
        print(f"{FATAL_PREFIX} {argv[0]}: no spark-submit beside {sys.executable} or on PATH", file=sys.stderr)
        return EXIT_USAGE
    cmd[0] = binary
    if show:
        print(shlex.join(cmd))
        return 0
    # The driver's Python is this venv's, whatever python3 is first on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.execv(binary, cmd)


if __name__ == "__main__":
    sys.exit(main())
