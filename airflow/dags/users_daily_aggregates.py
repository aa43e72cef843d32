"""Daily aggregates: the Spark job reads one UTC day of users from Cassandra and replaces that day's rows
in PostgreSQL (`analytics.daily_user_counts`); the second task proves the rows are there.

The Spark job is spark-jobs' `daily_user_aggregates` (`python -m sparkflow_jobs daily_user_aggregates
--date D`), submitted in local mode through the `sparkflow_spark` connection with airflow/scripts/spark_job.py
as the application file; `spark-submit` comes from PATH (the stack puts spark-jobs' venv there).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import dag, task

REPO_ROOT = Path(__file__).resolve().parents[2]
SPARK_JOBS = Path(os.environ.get("SPARKFLOW_SPARK_JOBS_DIR", REPO_ROOT / "spark-jobs"))
LAUNCHER = Path(__file__).resolve().parents[1] / "scripts" / "spark_job.py"
ANALYTICS_CONN_ID = "sparkflow_analytics"
SPARK_CONN_ID = "sparkflow_spark"
COUNTS_TABLE = "analytics.daily_user_counts"

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "sparkflow",
    "retries": 2,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}


@dag(
    schedule="@daily",
    start_date=datetime(2026, 11, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["sparkflow", "spark", "analytics"],
    doc_md=__doc__,
)
def users_daily_aggregates():
    aggregate_day = SparkSubmitOperator(
        task_id="aggregate_day",
        conn_id=SPARK_CONN_ID,
        application=str(LAUNCHER),
        application_args=["daily_user_aggregates", "--date", "{{ ds }}"],
        name="daily_user_aggregates_{{ ds_nodash }}",
        # The job's package; its settings (CASSANDRA_*, POSTGRES_*, SPARKFLOW_SPARK_JARS) are inherited
        # from the environment the stack gives Airflow.
        env_vars={"PYTHONPATH": str(SPARK_JOBS / "src")},
        execution_timeout=timedelta(minutes=30),
    )

    @task(retries=3, retry_delay=timedelta(seconds=30))
    def check_rows(ds: str | None = None) -> int:
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        row = PostgresHook(postgres_conn_id=ANALYTICS_CONN_ID).get_first(
            f"SELECT count(*) FROM {COUNTS_TABLE} WHERE day = %s", parameters=(ds,)
        )
        rows = int(row[0]) if row else 0
        if rows == 0:
            raise ValueError(f"{COUNTS_TABLE} has no rows for {ds} after the Spark job ran")
        print(f"{COUNTS_TABLE}: {rows} rows for {ds}")
        return rows

    aggregate_day >> check_rows()


users_daily_aggregates()
