"""Late events: every hour, aggregate again each finished day whose events arrived after it was counted.

A day's counts (`users_daily_aggregates`) are what Cassandra held when its Spark job started. An event of that
day can still arrive afterwards: a dead letter replayed verbatim, a backfill of a past day made with
`sparkflow backfill` or the API (ADR 25 stamps its people on their day), a push retried under its
Idempotency-Key with the event times its first request stamped, or a request still producing when the
day's wait found it settled (ADR 23). Each reaches the audit as a persisted or dead-lettered record. This DAG
asks the audit which days such records belong to and queues a run of `users_daily_aggregates` for each day
they arrived after (ADR 26 in docs/adr).

- `plan_window`: the arrivals to ask about. A scheduled run (at the top of each hour) looks back 24 hours from
  the hour's end, so a day still stale an hour later (its run failed, or was held back) is found again. A
  manual run may name `from` and `to` (ISO date-times with their offset), at most 31 days apart (the most the
  audit answers for at once): a longer window fails the run, naming `from`.
- `wait_read`: a sensor (reschedule mode) on the audit's `GET /v1/events/late-days?from=&to=` until the
  audit has read every users.persisted and users.dlq record the broker appended before `to` (`complete`), so
  no arrival of the window is missed. An audit that does not answer is asked again each poke; still not
  complete `SPARKFLOW_SETTLE_TIMEOUT_SECONDS` (2 h) after `to` (or after the run started, for a window that
  ended before), it fails naming how many records the audit has still to read.
- `aggregation_runs`: the days the audit named, against `analytics.daily_user_summary.computed_at` (when
  each day's job started): a day counted less than 10 s after one of its events arrived, or a day before
  yesterday never counted, is aggregated again; today and yesterday while uncounted are left to their
  scheduled runs; a day a running backfill is still producing a batch of (ingestion's running list) is held
  back to a later run. At most 500 days per run.
- `aggregate_day`: one `users_daily_aggregates` run per such day, conf `{"day": <day>}`, run id
  `late__<day>__<last arrival>`: every run that finds the day in that state names the same run, so it is
  queued once. A run that fails stays failed, in sight in the UI: clear it to run it again.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import Param, PokeReturnValue, dag, task
from sparkflow_airflow.dag_defaults import dag_settings

AGGREGATES_DAG_ID = "users_daily_aggregates"
ANALYTICS_CONN_ID = "sparkflow_analytics"
POKE_SECONDS = float(os.environ.get("SPARKFLOW_SENSOR_POKE_SECONDS", "15"))
# How long after its window ends the audit may take to read the window's records before wait_read fails.
READ_TIMEOUT_SECONDS = float(os.environ.get("SPARKFLOW_SETTLE_TIMEOUT_SECONDS", str(2 * 60 * 60)))

PARAMS = {
    "from": Param(
        None,
        type=["null", "string"],
        format="date-time",
        title="Arrivals from (ISO date-time with offset), at most 31 days before `to`; omit it for 24 hours before `to`",
    ),
    "to": Param(
        None,
        type=["null", "string"],
        format="date-time",
        title="Arrivals before (ISO date-time with offset); omit it for the run's data interval end",
    ),
}


@dag(
    **dag_settings(schedule="hourly", tags=["analytics"], retries=2, retry_delay=timedelta(minutes=1)),
    dagrun_timeout=timedelta(seconds=READ_TIMEOUT_SECONDS) + timedelta(hours=1),
    params=PARAMS,
    doc_md=__doc__,
)
def users_late_days():
    @task
    def plan_window(
        params: dict[str, Any] | None = None, dag_run: Any = None, data_interval_end: datetime | None = None
    ) -> dict[str, str]:
        from airflow.sdk.exceptions import AirflowFailException
        from sparkflow_airflow.late_days import late_window
        from sparkflow_airflow.run_conf import refuse_unknown_conf
        from sparkflow_airflow.settle import iso

        assert params is not None and dag_run is not None
        refuse_unknown_conf(dag_run.conf, PARAMS, "users_late_days")

        def instant(name: str) -> datetime | None:
            value = params[name]
            if value is None:
                return None
            try:
                parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError as err:
                raise AirflowFailException(f"bad params: `{name}` ({value}) is no ISO date-time: {err}") from err
            if parsed.tzinfo is None:
                raise AirflowFailException(f"bad params: `{name}` ({value}) has no offset: say which time zone")
            return parsed

        try:
            start, end = late_window(
                conf_from=instant("from"), conf_to=instant("to"), interval_end=data_interval_end or dag_run.run_after
            )
        except ValueError as err:
            raise AirflowFailException(f"bad params: {err}") from err
        print(f"asking the audit which days' events were persisted or dead-lettered in [{iso(start)}, {iso(end)})")
        return {"from": iso(start), "to": iso(end)}

    # Its own bound is a backstop: each poke fails first, READ_TIMEOUT_SECONDS after the window ended.
    @task.sensor(poke_interval=POKE_SECONDS, timeout=READ_TIMEOUT_SECONDS + 60 * 60, mode="reschedule")
    def wait_read(window: dict[str, str], dag_run: Any = None) -> PokeReturnValue:
        from datetime import UTC

        import requests
        from airflow.sdk.exceptions import AirflowFailException
        from sparkflow_airflow.clients import AUDIT_CONN_ID, AuditClient

        end = datetime.fromisoformat(window["to"].replace("Z", "+00:00"))
        # From the window's end, or from the run's start for a window that ended before it (a manual run of
        # last week): one audit that does not answer must not fail that run at once.
        started = getattr(dag_run, "start_date", None)
        since = max(end, started) if started is not None else end
        waited = (datetime.now(UTC) - since).total_seconds()
        try:
            answer = AuditClient().late_days(window["from"], window["to"])
        except requests.RequestException as err:
            problem = f"the audit did not answer (connection {AUDIT_CONN_ID!r}): {type(err).__name__}: {err}"
        else:
            if answer.get("complete"):
                days = answer.get("days") or []
                print(f"[{window['from']}, {window['to']}): events of {len(days)} day(s) arrived")
                return PokeReturnValue(is_done=True, xcom_value={**window, "days": days})
            problem = (
                f"the audit has {answer.get('behind')} users.persisted / users.dlq records appended before "
                f"{window['to']} still to read"
            )
        print(problem)
        if waited > READ_TIMEOUT_SECONDS:
            raise AirflowFailException(f"{problem}; still so {waited:.0f} s after {since.isoformat()}")
        return PokeReturnValue(is_done=False)

    @task
    def aggregation_runs(read: dict[str, Any]) -> list[dict[str, Any]]:
        from airflow.providers.postgres.hooks.postgres import PostgresHook
        from sparkflow_airflow.clients import IngestionClient
        from sparkflow_airflow.late_days import aggregation_run_id, plan_late_days

        end = datetime.fromisoformat(read["to"].replace("Z", "+00:00"))
        named = sorted(d["day"] for d in read["days"])
        computed: dict[str, datetime] = {}
        backfilled: set[str] = set()
        if named:
            rows = PostgresHook(postgres_conn_id=ANALYTICS_CONN_ID).get_records(
                "SELECT day::text, computed_at FROM analytics.daily_user_summary WHERE day = ANY(%s::date[])",
                parameters=(named,),
            )
            computed = {day: at for day, at in rows}
            # A backfill still producing a batch of one of these days adds to it: that day's run would wait for it
            # (ADR 25). A batch it has produced whole adds nothing more.
            listing = IngestionClient().running_backfills(named[0], named[-1])
            backfilled = {
                b["day"]
                for x in listing["backfills"]
                for b in x.get("batches") or []
                if int(b.get("produced") or 0) < int(b.get("expected") or 0)
            } & set(named)
            if listing.get("truncated"):
                backfilled |= set(named)
        plan = plan_late_days(read["days"], computed, end, backfilled)
        for s in plan.held:
            print(f"holding {s.day} back: a backfill still running has a batch on it ({s.reason})")
        for s in plan.stale:
            print(f"aggregating {s.day} again: {s.reason}")
        left = f"; {plan.left_over} more left to the next run" if plan.left_over else ""
        print(f"{len(plan.stale)} of {len(named)} day(s) to aggregate again, {len(plan.held)} held back{left}")
        return [
            {"trigger_run_id": aggregation_run_id(s.day, s.last_arrival), "conf": {"day": s.day}} for s in plan.stale
        ]

    # Queued, not waited for: users_daily_aggregates runs one at a time, each after its day settled.
    TriggerDagRunOperator.partial(
        task_id="aggregate_day",
        trigger_dag_id=AGGREGATES_DAG_ID,
        logical_date=None,
        skip_when_already_exists=True,
    ).expand_kwargs(aggregation_runs(wait_read(plan_window())))


users_late_days()
