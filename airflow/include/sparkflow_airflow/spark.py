"""`spark-submit` of one spark-jobs job, with the jars and settings the jobs' own launchers use.

The jars and Spark settings are not written here: at run time the operator asks spark-jobs'
`sparkflow_jobs.launch.submit_settings` — the function behind `python -m sparkflow_jobs` and
`python -m sparkflow_jobs.submit` — so the scheduler's command cannot drift from the module runner's.
The master is the `sparkflow_spark` connection's (deploy/local derives it from the same SPARK_MASTER_URL).

Failures no retry can fix fail the task at once, with the cause as the log's last lines: settings or
jars missing (checked before spark-submit starts), and a job that exits with sparkflow_jobs' "cannot run"
codes (bad arguments or settings, a connector missing from the class path).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

REPO_ROOT = Path(__file__).resolve().parents[3]
SPARK_JOBS_DIR = Path(os.environ.get("SPARKFLOW_SPARK_JOBS_DIR") or REPO_ROOT / "spark-jobs")


def _launch():  # noqa: ANN202 - the module, imported at run time from spark-jobs/src
    src = str(SPARK_JOBS_DIR / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    from sparkflow_jobs import config, launch

    return config, launch


def fatal_cause(message: str, fatal_prefix: str, codes: tuple[int, ...]) -> str | None:
    """The job's own "cannot run" line from spark-submit's output, when it exited with one of `codes`."""
    if not any(f"Error code is: {code}." in message for code in codes):
        return None
    lines = [line.strip() for line in message.splitlines() if fatal_prefix in line]
    return lines[-1] if lines else None


class SparkJobOperator(SparkSubmitOperator):
    """Runs `spark-submit spark-jobs/scripts/spark_app.py <job> <job_args…>` on the `sparkflow_spark` connection."""

    def __init__(self, *, job: str, job_args: list[str], conn_id: str = "sparkflow_spark", **kwargs: Any) -> None:
        super().__init__(
            application=str(SPARK_JOBS_DIR / "scripts" / "spark_app.py"),
            application_args=[job, *job_args],
            conn_id=conn_id,
            **kwargs,
        )
        self.job = job

    def execute(self, context: Any) -> None:
        from airflow.sdk.exceptions import AirflowFailException

        config, launch = _launch()
        try:
            settings = launch.submit_settings(config.JobConfig.from_env())
        except config.ConfigError as err:
            raise AirflowFailException(f"{launch.FATAL_PREFIX} {self.job}: bad configuration: {err}") from err
        self.jars = ",".join(settings.jars)
        # conf and env_vars are SparkSubmitOperator's; a DAG's own values win over the launcher's.
        self.conf = {**settings.conf, **(getattr(self, "conf", None) or {})}
        # The driver's Python must be pyspark's venv, not Airflow's.
        python = os.environ.get("PYSPARK_PYTHON")
        if python:
            self.env_vars = {"PYSPARK_PYTHON": python, **(getattr(self, "env_vars", None) or {})}
        self.log.info("%s on %s with %d jars (sparkflow_jobs.launch)", self.job, self._conn_id, len(settings.jars))
        try:
            super().execute(context)
        except Exception as err:  # noqa: BLE001 - the hook raises AirflowException; classified, then re-raised
            cause = fatal_cause(str(err), launch.FATAL_PREFIX, (launch.EXIT_USAGE, launch.EXIT_MISSING_CLASS))
            if cause is None:
                raise  # possibly transient (a store or the master away): the task's retries apply
            raise AirflowFailException(f"{cause} (not retried: a rerun cannot fix it)") from err
