"""Daily aggregates: the Spark job reads one UTC day of users from Cassandra and replaces that day's rows
in PostgreSQL (`analytics.daily_user_counts`, `analytics.daily_user_summary`); the second task proves
the job's output for that day is there.

Which day: the run the scheduler starts at 00:00 UTC on D+1 aggregates D, the day that just ended (its
data interval is D → D+1 and its logical date, `ds`, is D). A manual run aggregates its `day` param
(conf `{"day": "2026-11-25"}`), else (`day` omitted or null) the day of its logical date; with neither it
fails at once, as does a day (or logical date) more than MAX_AGE_YEARS (libs/contracts) back, which the Spark
job refuses, before spark-submit starts. A conf key other than `day` (`{"dayy": …}`) fails `wait_settled`, the first task, at once too, naming the key
and suggesting `day`, before the audit is asked or the Spark job is submitted.

`wait_settled` comes first: the Spark job counts what is in Cassandra, and at 00:00 some of D's events may still
be on their way there (on users.raw or users.enriched). It asks the audit (`GET /v1/events/settled` on the
`sparkflow_audit` connection, ADR 23 in docs/adr) whether every event with an event time in D has reached a
terminal state: the audit has read every users.raw record appended before D's end, and each of D's events it
read is persisted (written to Cassandra) or dead-lettered. It also asks ingestion for its running backfills
with a batch on D (`GET /v1/backfills?status=running&from=D&to=D` on `sparkflow_ingestion`): each names the
span of its events' times
(`eventTimes`; a backfill of a past day stamps its people on that day, ADR 25), so one still producing whose
span meets D has events of D to come that the audit cannot know of yet; the wait goes on until none is. What
reaches D after its run counted it (a dead letter replayed, a backfill that ended while the audit had not read
it yet, a request still producing at the deciding poke) is counted by a run of D that `users_late_days` queues
within the hour. A manual run of today waits for the events produced before the run
began. It is a sensor in reschedule mode (no worker slot held between pokes), poking every
SPARKFLOW_SENSOR_POKE_SECONDS (15 s) and logging what is still pending each time; a run of a past, settled day
passes on its first poke. Still not settled SPARKFLOW_SETTLE_TIMEOUT_SECONDS (2 h) after the window ended (or
after the run started, for a run of a past day started later), it
fails naming how many events are pending, the oldest (with the `npx sparkflow events get <id>` that shows where
it is), how many users.raw records the audit has still to read, and the backfills still running. An audit or
an ingestion that does not answer (down, a 5xx, a timeout) is asked again at each poke and, past the same bound,
named as the cause; one that refuses the request (a 4xx, a bad key) fails the task at once.

`aggregate_day` is `spark-submit` of spark-jobs' `daily_user_aggregates --date <day>` on the
`sparkflow_spark` connection (deploy/local: its standalone master; Compose: spark-master). Its jars and
Spark settings come from spark-jobs' own launcher (`sparkflow_airflow.spark.SparkJobOperator`), so it runs
exactly what `bash spark-jobs/scripts/submit-job.sh daily_user_aggregates --date D` runs. `spark-submit`
comes from PATH (the stack puts pyspark's venv there).

A quiet day is a success: the job writes the day's summary row with 0 users and no count rows, and
`check_rows` asks for exactly that — the summary row, and count rows that add up to its users in every
dimension.

A task that cannot succeed (jars or settings missing, a connector not on the class path, arguments the job
refuses) fails at once with the cause in its exception (the job's one `cannot run` line, with argparse's
reason for bad arguments) and its log's last lines; other failures (a store or the master away) are retried.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from airflow.sdk import Param, PokeReturnValue, dag, task
from sparkflow_airflow.aggregates import aggregation_day
from sparkflow_airflow.dag_defaults import dag_settings
from sparkflow_airflow.run_conf import refuse_unknown_conf
from sparkflow_airflow.spark import SparkJobOperator

ANALYTICS_CONN_ID = "sparkflow_analytics"
SUMMARY_TABLE = "analytics.daily_user_summary"
COUNTS_TABLE = "analytics.daily_user_counts"

# How often wait_settled asks the audit (the environment, never the metadata DB, so tests can poll fast).
POKE_SECONDS = float(os.environ.get("SPARKFLOW_SENSOR_POKE_SECONDS", "15"))
# How long after its window ends a day's events may take to settle before wait_settled fails naming them.
SETTLE_TIMEOUT_SECONDS = float(os.environ.get("SPARKFLOW_SETTLE_TIMEOUT_SECONDS", str(2 * 60 * 60)))

# wait_settled's own bound, a backstop to the failure its pokes give SETTLE_TIMEOUT_SECONDS after the window.
SENSOR_TIMEOUT_SECONDS = SETTLE_TIMEOUT_SECONDS + 60 * 60
# One try of the Spark job. It reads its day's users (ADR 24); the one-off fill of first_event_day after migration
# 0005 scans users_by_country_day once (a scan of every day took 22 min under load before ADR 24).
AGGREGATE_TIMEOUT = timedelta(minutes=30)
# How long a run may last before the scheduler fails it: the longest a run can take (wait_settled to its bound,
# aggregate_day's three tries with their delays) with an hour to spare. It also frees the DAG of a run that
# never starts a task: Airflow's scheduler leaves a manual run whose logical date is in the future running with
# nothing scheduled ("Logical date is in future" in its log), and one run at a time would hold every later run,
# the midnight one too, behind it for good.
DAGRUN_TIMEOUT = (
    timedelta(seconds=SENSOR_TIMEOUT_SECONDS) + 3 * (AGGREGATE_TIMEOUT + timedelta(minutes=10)) + timedelta(hours=1)
)

# The params a run takes; a conf key that is not one of them fails the run (run_day).
PARAMS = {
    "day": Param(
        None,
        type=["null", "string"],
        format="date",
        title="Day to aggregate (UTC), YYYY-MM-DD; omit it (or null) for the run's logical date "
        "(scheduled: the day that just ended)",
    ),
}


def run_day(params: Any, dag_run: Any) -> str:
    """The day this run aggregates (sparkflow_airflow.aggregates.aggregation_day), once its conf is known
    to hold only declared params: a misspelt `day` would otherwise leave the logical date in force."""
    refuse_unknown_conf(dag_run.conf, PARAMS, "users_daily_aggregates")
    return aggregation_day(params["day"], dag_run.logical_date)


# Rendered when a task runs: wait_settled, the first, fails there on a bad conf before the audit or Spark is asked.
DAY = "{{ run_day(params, dag_run) }}"


@dag(
    **dag_settings(
        schedule="day_before",
        tags=["spark", "analytics"],
        retries=2,
        retry_delay=timedelta(minutes=1),
        max_retry_delay=timedelta(minutes=10),
    ),
    dagrun_timeout=DAGRUN_TIMEOUT,
    params=PARAMS,
    user_defined_macros={"run_day": run_day},
    doc_md=__doc__,
)
def users_daily_aggregates():
    # Its own bound is a backstop: each poke fails first, naming what is pending, SETTLE_TIMEOUT_SECONDS after
    # the window ended (a run of a past day whose events settled long ago passes on its first poke).
    @task.sensor(poke_interval=POKE_SECONDS, timeout=SENSOR_TIMEOUT_SECONDS, mode="reschedule")
    def wait_settled(day: str, dag_run: Any = None) -> PokeReturnValue:
        from datetime import UTC, datetime

        import requests
        from airflow.sdk.exceptions import AirflowFailException
        from sparkflow_airflow.clients import AUDIT_CONN_ID, INGESTION_CONN_ID, AuditClient, IngestionClient
        from sparkflow_airflow.settle import (
            backfills_in_window,
            iso,
            judge_settlement,
            settle_window,
            unlisted_backfills,
            window_days,
        )

        assert dag_run is not None
        start, end = settle_window(day, dag_run.start_date or datetime.now(UTC))
        report, audit_error, backfills, ingestion_error, unlisted = None, None, None, None, None
        # Down, a 5xx or a timeout: asked again at the next poke, until the bound (a 4xx fails at once).
        try:
            report = AuditClient().settled(iso(start), iso(end))
        except requests.RequestException as err:
            audit_error = f"connection {AUDIT_CONN_ID!r}: {type(err).__name__}: {err}"
        try:
            # A backfill still producing names the span of its events' times (a past day's people are stamped
            # on that day): the audit has not seen the ones to come. Only those with a batch on the window's days
            # are asked for, so a run of many one-day backfills cuts no other day's list short.
            first_day, last_day = window_days(start, end)
            listing = IngestionClient().running_backfills(first_day, last_day)
            backfills = backfills_in_window(listing["backfills"], start, end)
            unlisted = unlisted_backfills(listing, first_day, last_day)
        except requests.RequestException as err:
            ingestion_error = f"connection {INGESTION_CONN_ID!r}: {type(err).__name__}: {err}"
        state = judge_settlement(
            report,
            audit_error=audit_error,
            backfills=backfills,
            ingestion_error=ingestion_error,
            unlisted=unlisted,
            window_end=end,
            now=datetime.now(UTC),
            timeout_seconds=SETTLE_TIMEOUT_SECONDS,
            waiting_since=dag_run.start_date,
        )
        print(state.message)
        if state.verdict == "fail":
            raise AirflowFailException(state.message)
        return PokeReturnValue(is_done=state.verdict == "done", xcom_value=state.message)

    aggregate_day = SparkJobOperator(
        task_id="aggregate_day",
        job="daily_user_aggregates",
        job_args=["--date", DAY],
        name="daily_user_aggregates_" + DAY,
        execution_timeout=AGGREGATE_TIMEOUT,
    )

    @task(retries=3, retry_delay=timedelta(seconds=30))
    def check_rows(day: str) -> int:
        from airflow.providers.postgres.hooks.postgres import PostgresHook
        from airflow.sdk.exceptions import AirflowFailException
        from sparkflow_airflow.aggregates import summary_problem

        hook = PostgresHook(postgres_conn_id=ANALYTICS_CONN_ID)
        summary = hook.get_first(f"SELECT users FROM {SUMMARY_TABLE} WHERE day = %s", parameters=(day,))
        totals = hook.get_records(
            f"SELECT dimension, sum(users) FROM {COUNTS_TABLE} WHERE day = %s GROUP BY dimension", parameters=(day,)
        )
        users = int(summary[0]) if summary else None
        problem = summary_problem(day, users, {d: int(n) for d, n in totals})
        if problem or users is None:
            # The job has just run and succeeded: asking again cannot make its rows appear.
            raise AirflowFailException(f"{problem} after the Spark job ran")
        print(f"{SUMMARY_TABLE}: {users} users on {day}, {COUNTS_TABLE}: {len(totals)} dimensions")
        return users

    wait_settled(day=DAY) >> aggregate_day >> check_rows(day=DAY)


users_daily_aggregates()
