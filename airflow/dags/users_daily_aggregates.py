"""Daily aggregates: the Spark job reads one UTC day of users from Cassandra and replaces that day's rows
in PostgreSQL (`analytics.daily_user_counts`); the second task proves the rows are there.

`aggregate_day` is `spark-submit` of spark-jobs' `daily_user_aggregates --date {{ ds }}` on the
`sparkflow_spark` connection (deploy/local: its standalone master; Compose: spark-master). Its jars and
Spark settings come from spark-jobs' own launcher (`sparkflow_airflow.spark.SparkJobOperator`), so it runs
exactly what `bash spark-jobs/scripts/submit-job.sh daily_user_aggregates --date D` runs. `spark-submit`
comes from PATH (the stack puts pyspark's venv there).

A task that cannot succeed (jars or settings missing, a connector not on the class path) fails at once
with the cause in its log's last lines; other failures (a store or the master away) are retried.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task
from sparkflow_airflow.dag_defaults import dag_settings
from sparkflow_airflow.spark import SparkJobOperator

ANALYTICS_CONN_ID = "sparkflow_analytics"
COUNTS_TABLE = "analytics.daily_user_counts"


@dag(
    **dag_settings(
        daily=True,
        tags=["spark", "analytics"],
        retries=2,
        retry_delay=timedelta(minutes=1),
        max_retry_delay=timedelta(minutes=10),
    ),
    doc_md=__doc__,
)
def users_daily_aggregates():
    aggregate_day = SparkJobOperator(
        task_id="aggregate_day",
        job="daily_user_aggregates",
        job_args=["--date", "{{ ds }}"],
        name="daily_user_aggregates_{{ ds_nodash }}",
        execution_timeout=timedelta(minutes=30),
    )

    @task(retries=3, retry_delay=timedelta(seconds=30))
    def check_rows(ds: str | None = None) -> int:
        from airflow.providers.postgres.hooks.postgres import PostgresHook
        from airflow.sdk.exceptions import AirflowFailException

        row = PostgresHook(postgres_conn_id=ANALYTICS_CONN_ID).get_first(
            f"SELECT count(*) FROM {COUNTS_TABLE} WHERE day = %s", parameters=(ds,)
        )
        rows = int(row[0]) if row else 0
        if rows == 0:
            # The job has just run and succeeded: asking again cannot make rows appear.
            raise AirflowFailException(f"{COUNTS_TABLE} has no rows for {ds} after the Spark job ran")
        print(f"{COUNTS_TABLE}: {rows} rows for {ds}")
        return rows

    aggregate_day >> check_rows()


users_daily_aggregates()
