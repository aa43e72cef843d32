"""SparkJobOperator takes its jars and settings from spark-jobs' launcher and fails at once, naming the
cause, when no retry can help; spark-submit itself is not started in these tests."""

from __future__ import annotations

import pytest
from conftest import REPO_ROOT


@pytest.fixture
def jars_dir(tmp_path):
    for name in ("spark-cassandra-connector_2.12-3.5.1.jar", "spark-sql-kafka-0-10_2.12-3.5.7.jar", "postgresql-42.7.8.jar"):
        (tmp_path / name).write_bytes(b"")
    return tmp_path


def operator():
    from sparkflow_airflow.spark import SparkJobOperator

    return SparkJobOperator(task_id="t", job="daily_user_aggregates", job_args=["--date", "2026-11-30"])


def test_missing_jars_fail_the_task_without_retry_before_spark_submit_starts(monkeypatch, tmp_path):
    from airflow.sdk.exceptions import AirflowFailException

    (tmp_path / "postgresql-42.7.8.jar").write_bytes(b"")
    monkeypatch.setenv("SPARKFLOW_SPARK_JARS", str(tmp_path))
    with pytest.raises(AirflowFailException, match="lacks the Spark Cassandra Connector .*the Kafka source"):
        operator().execute({})


def test_unset_jars_fail_naming_the_setting(monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    monkeypatch.delenv("SPARKFLOW_SPARK_JARS", raising=False)
    with pytest.raises(AirflowFailException, match="SPARKFLOW_SPARK_JARS is not set"):
        operator().execute({})


def test_the_submitted_jars_and_conf_are_the_module_runners(monkeypatch, jars_dir):
    """What reaches spark-submit is what sparkflow_jobs.launch gives `python -m sparkflow_jobs.submit`."""
    import sys

    sys.path.insert(0, str(REPO_ROOT / "spark-jobs" / "src"))
    from sparkflow_jobs.config import JobConfig
    from sparkflow_jobs.launch import spark_submit_argv

    monkeypatch.setenv("SPARKFLOW_SPARK_JARS", str(jars_dir))
    monkeypatch.setenv("CASSANDRA_CONTACT_POINTS", "127.0.0.1:29042")
    submitted = {}

    def fake_execute(self, context):
        submitted.update(jars=self.jars, conf=dict(self.conf), application=self.application, args=self.application_args)

    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    monkeypatch.setattr(SparkSubmitOperator, "execute", fake_execute)
    operator().execute({})

    argv = spark_submit_argv(JobConfig.from_env(), "daily_user_aggregates", ["--date", "2026-11-30"])
    assert submitted["jars"] == argv[argv.index("--jars") + 1]
    assert [f"{k}={v}" for k, v in submitted["conf"].items()] == [argv[i + 1] for i, a in enumerate(argv) if a == "--conf"]
    assert submitted["conf"]["spark.cassandra.connection.port"] == "29042"
    assert argv[-4:] == [submitted["application"], *submitted["args"]]
    assert not any("password" in c for c in argv), "credentials stay out of the command line"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Cannot execute: spark-submit …. Error code is: 3.\nLast spark-submit output:\n"
         "sparkflow_jobs: cannot run daily_user_aggregates: a connector is missing\nShutdown hook called",
         "sparkflow_jobs: cannot run daily_user_aggregates: a connector is missing"),
        ("Cannot execute: spark-submit …. Error code is: 2.\nsparkflow_jobs: cannot run x: bad arguments", "sparkflow_jobs: cannot run x: bad arguments"),
        ("Cannot execute: spark-submit …. Error code is: 1.\nPy4JJavaError: connection refused", None),
    ],
)
def test_only_the_jobs_cannot_run_exits_are_final(message, expected):
    from sparkflow_airflow.spark import fatal_cause

    assert fatal_cause(message, "sparkflow_jobs: cannot run", (2, 3)) == expected


def test_a_job_that_cannot_run_fails_the_task_with_its_cause(monkeypatch, jars_dir):
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    monkeypatch.setenv("SPARKFLOW_SPARK_JARS", str(jars_dir))

    def failing(self, context):
        raise AirflowException("Cannot execute: spark-submit x. Error code is: 3.\nLast spark-submit output:\n"
                               "sparkflow_jobs: cannot run daily_user_aggregates: a connector is missing from the class path")

    monkeypatch.setattr(SparkSubmitOperator, "execute", failing)
    with pytest.raises(AirflowFailException, match="a connector is missing from the class path .*not retried"):
        operator().execute({})
