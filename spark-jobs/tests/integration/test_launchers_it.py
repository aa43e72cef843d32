"""How a job fails when it cannot run, whichever way it is started: at once, with exit code 2 (settings,
arguments) or 3 (a connector missing from the class path) and one `sparkflow_jobs: cannot run` line last
on stderr — what Airflow's operator turns into a failed task without retries."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sparkflow_jobs.launch import APP_FILE, EXIT_MISSING_CLASS, EXIT_USAGE, FATAL_PREFIX

from .conftest import run_job


def last_line(proc: subprocess.CompletedProcess) -> str:
    return proc.stderr.strip().splitlines()[-1]


def test_spark_submit_without_the_jars_names_the_missing_connector():
    """The incident: spark-submit given no --jars, the builder's spark.jars too late for a running JVM."""
    spark_submit = Path(sys.executable).with_name("spark-submit")
    proc = subprocess.run(
        [str(spark_submit), "--master", "local[1]", str(APP_FILE), "daily_user_aggregates", "--date", "1970-01-01"],
        env={**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900,
    )
    # One stream, as Airflow's SparkSubmitHook reads it (spark-submit sends the driver's stderr to stdout).
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == EXIT_MISSING_CLASS, "\n".join(lines[-40:])
    fatal = [line for line in lines if line.startswith(FATAL_PREFIX)]
    assert len(fatal) == 1 and "DATA_SOURCE_NOT_FOUND" in fatal[0] and "org.apache.spark.sql.cassandra" in fatal[0], fatal
    # Spark's shutdown hooks log a few lines after it; the cause stays within the last 20 Airflow quotes.
    assert fatal[0] in lines[-20:]


def test_a_jar_folder_without_the_cassandra_connector_fails_before_any_jvm_starts(tmp_path):
    jars = Path(os.environ["SPARKFLOW_SPARK_JARS"])
    for jar in jars.glob("*.jar"):
        if not jar.name.startswith("spark-cassandra-connector_"):
            shutil.copy(jar, tmp_path / jar.name)
    started = time.monotonic()
    for launcher in ("module", "submit-local"):
        proc = run_job(launcher, "daily_user_aggregates", "--date", "2026-11-30", expect=EXIT_USAGE,
                       env={"SPARKFLOW_SPARK_JARS": str(tmp_path)})
        assert f"SPARKFLOW_SPARK_JARS={tmp_path} lacks the Spark Cassandra Connector" in last_line(proc)
    assert time.monotonic() - started < 30, "no JVM was needed to find out"


def test_bad_arguments_fail_before_any_jvm_starts():
    started = time.monotonic()
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    for launcher in ("module", "submit-local", "submit-standalone"):
        for args, names in ((("daily_user_aggregates", "--date", "2026-13-01"), "daily_user_aggregates: bad arguments"),
                            (("daily_user_aggregates", "--date", tomorrow), "daily_user_aggregates: bad arguments"),
                            (("daily_user_aggregates", "--date", "9999-12-31"), "daily_user_aggregates: bad arguments"),
                            (("daily_user_aggregates", "--date", "0001-01-01"), "daily_user_aggregates: bad arguments"),
                            (("daily_user_aggregates", "--date", "20261125"), "daily_user_aggregates: bad arguments"),
                            (("daily_user_aggregates", "--date", "2026-11-25", "--date", "2026-11-26"),
                             "daily_user_aggregates: bad arguments"),
                            (("daily_user_aggregates",), "daily_user_aggregates: bad arguments"),
                            (("daily_user_aggregates", "--date", "2026-11-30", "extra"), "daily_user_aggregates: bad arguments"),
                            (("no_such_job",), "no_such_job: the job must be one of")):
            proc = run_job(launcher, *args, expect=EXIT_USAGE)
            assert last_line(proc).startswith(f"{FATAL_PREFIX} {names}"), (launcher, args, proc.stderr)
            if args[0] == "daily_user_aggregates":
                assert "error: argument --date" in proc.stderr or "required: --date" in proc.stderr \
                    or "unrecognized arguments" in proc.stderr, (launcher, args, proc.stderr)
            assert "JVM" not in proc.stderr and "SparkContext" not in proc.stderr, (launcher, args)
    assert time.monotonic() - started < 60, "no JVM was needed to find out"
