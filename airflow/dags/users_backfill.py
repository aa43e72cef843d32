"""Backfill synthetic users day by day through the real pipeline, and wait until the audit reconciles.

One mapped task per day asks ingestion for that day's deterministic batch (`backfill-<seed>-<day>`,
generated from seed `<seed>-<day>`), then one sensor per batch polls the audit until every event of the
batch is persisted or dead-lettered. `plan_days` reads each batch's audit counts before any day is asked
for, once: the sensor measures this run's events from them.

A retry of a day's request is not a new backfill: the task sends an `Idempotency-Key` derived from the DAG
id, run id, task id and map index (never the try number), so every try of the task instance gets the
backfill the first one started (ingestion keeps the key 24 h, ADR 15) and the audit counts its events once.
Clearing a day's request within the same run is a retry too (within 24 h, the same backfill); a new run of
the DAG is a new backfill.

A cleared run (or one deleted and re-created under the same run id) reads the audit's counts again in
`plan_days`, now holding its own events; measured from those, the backfill ingestion answers again would
never look done. So the first try that gets a backfill keeps the baseline it was measured from in an Airflow
Variable, `sparkflow.users_backfill.baseline.<backfill id>` (Variables survive a clear and a deleted run;
XComs do not). A later try that gets the same backfill id says it found the backfill it already made and is
measured from that kept baseline: it succeeds once the batch holds its `expected` events on top of it and
every event of the batch is settled, never earlier, and no person is produced twice. After the key's 24 h
ingestion starts a new backfill (a new id): nothing is kept for it, so it is measured from the counts read
in that try's `plan_days`, like a new run. A clear between ingestion's answer and the Variable being written
(a worker lost at that instant) is measured from the new counts and waits for the sensor's timeout.

Each person's event is stamped on the day they are backfilled for (ingestion's `backfillEventTime`, ADR 25 in
docs/adr): a past day's people at the end of that day, after every registration of it, today's from the
request on. So `users_daily_aggregates` of the day counts them, and a person seen since keeps their newer
version. Once every day's batch settled, the run queues one `users_daily_aggregates` run for each of its days
that has ended (param `aggregate`, default true), named after the run and the day so a retry or a clear makes
none twice; today's is the scheduled run's after midnight.

What a rerun with the same params guarantees: it sends the same people (the same seed and day generate
them), and persistence upserts by login.uuid, so each person is still stored once in `users`. It is a new
backfill, though, not a replay: its events get new ids. A past day's people get the same event times as in
the first run, so their cells stay the same (of two `event_id`s written at one time, Cassandra keeps the
greater); today's get the rerun's request time, so their `event_id` and `updated_at` become the rerun's. The
audit counts the batch's events of both runs (this run's own are what the sensor waits for).

How long a day's batch may take: from its request, the run's whole work (per_day × days, every day being
requested at once) at a conservative 100 people/s, never less than SPARKFLOW_SENSOR_TIMEOUT_SECONDS (1 h):
100 × 2 days get 1 h, 100,000 × 366 days about 4.2 days. The sensor fails, naming what it counted, once a
batch is still not settled after that; its own Airflow timeout is the largest the params allow. A backfill
ingestion failed, or one cancelled there (`DELETE /v1/backfills/:id`, ADR 22 in docs/adr), fails its sensor at
once, saying so and how many people were produced before the cancel: the rest of the batch never comes.

Bad params (a conf key no param declares, such as `perDay` for `per_day`, named with the param it most
likely meant; `from` after `to`; a range over 366 days; a day ingestion would refuse: after today UTC, or
before 1970-01-01) fail the run at once in `plan_days`, before any service is asked; a request ingestion
refuses with a 4xx fails it at once too. Only what can pass with time
(a 5xx or 503, 408, 429, a connection error) is retried.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import Param, PokeReturnValue, dag, task
from sparkflow_airflow.backfill import MAX_DAYS, MAX_PER_DAY, aggregation_run_id, sensor_timeout
from sparkflow_airflow.dag_defaults import dag_settings
from sparkflow_airflow.run_conf import PRINTABLE_TEXT

# Read from the environment (never the metadata DB) so tests can poll every few seconds.
POKE_SECONDS = float(os.environ.get("SPARKFLOW_SENSOR_POKE_SECONDS", "15"))
# The least a day's batch is given to settle; a larger backfill gets more (sparkflow_airflow.backfill.sensor_timeout).
SENSOR_TIMEOUT_SECONDS = float(os.environ.get("SPARKFLOW_SENSOR_TIMEOUT_SECONDS", str(60 * 60)))
# The sensor's own bound: the largest run the params allow. Each run is held to its own, smaller one in the poke.
SENSOR_MAX_TIMEOUT_SECONDS = sensor_timeout(MAX_PER_DAY, MAX_DAYS, SENSOR_TIMEOUT_SECONDS) + SENSOR_TIMEOUT_SECONDS


# The params a run takes; `plan_days` refuses a conf key that is not one of them (sparkflow_airflow.run_conf).
PARAMS = {
    "from": Param(type="string", format="date", title="First day (UTC)"),
    "to": Param(type="string", format="date", title="Last day (UTC), inclusive"),
    "per_day": Param(100, type="integer", minimum=1, maximum=MAX_PER_DAY, title="Users per day"),
    "seed": Param(
        "sparkflow",
        type="string",
        minLength=1,
        maxLength=100,
        pattern=PRINTABLE_TEXT,
        title="Seed: the same seed and day always generate the same people",
    ),
    "source": Param("synthetic", type="string", enum=["synthetic"], title="Generator"),
    "max_dead_letter_ratio": Param(
        0.05,
        type="number",
        minimum=0,
        maximum=1,
        title="Fail a day when dead-lettered / ingested exceeds this",
    ),
    "aggregate": Param(
        True,
        type="boolean",
        title="Once every day settled, run users_daily_aggregates for each backfilled day that has ended",
    ),
}

# The DAG that counts a day; a backfilled person is stamped on their day (ADR 25), so that day's counts change.
AGGREGATES_DAG_ID = "users_daily_aggregates"


@dag(
    **dag_settings(schedule="manual", tags=["backfill"], retry_delay=timedelta(seconds=10)),
    params=PARAMS,
    doc_md=__doc__,
)
def users_backfill():
    @task
    def plan_days(params: dict[str, Any] | None = None, dag_run: Any = None) -> list[dict[str, Any]]:
        from airflow.sdk.exceptions import AirflowFailException
        from sparkflow_airflow.backfill import Baseline, batch_id, refuse_days_ingestion_refuses, seed_problem
        from sparkflow_airflow.backfill import plan_days as days_between
        from sparkflow_airflow.clients import AuditClient
        from sparkflow_airflow.run_conf import refuse_unknown_conf
        from sparkflow_contracts import schema

        assert params is not None and dag_run is not None
        # A misspelt param (`perDay`) would leave its default in force: refused before any service is asked.
        refuse_unknown_conf(dag_run.conf, PARAMS, "users_backfill")
        # Airflow's maxLength counts code points, the audit's batch-id limit UTF-16 units.
        problem = seed_problem(params["seed"], schema("users.raw")["properties"]["batchId"]["maxLength"])
        if problem:
            raise AirflowFailException(f"bad params: {problem}")
        try:
            days = days_between(params["from"], params["to"])
            # Before any request: a day ingestion refuses would fail the run after the others had started.
            refuse_days_ingestion_refuses(params["from"], params["to"], datetime.now(UTC))
        except ValueError as err:
            # The run's conf cannot change between tries: retrying would only hold up the backfills queued behind.
            raise AirflowFailException(f"bad params: {err}") from err
        audit = AuditClient()
        planned = []
        for day in days:
            # Counted before any day is asked for, so the sensor waits for this run's events, not a previous
            # run's; counted here, once, not in request_day, whose retry would count the events of the
            # backfill its earlier try started (and resumes) as a previous run's. A 4xx fails the task at once
            # (clients.py); a 5xx or a connection error is retried.
            baseline = Baseline.from_counts(audit.batch(batch_id(params["seed"], day)))
            planned.append(
                {
                    "day": day,
                    "per_day": params["per_day"],
                    "seed": params["seed"],
                    "source": params["source"],
                    "baseline": {"ingested": baseline.ingested, "dead_lettered": baseline.dead_lettered},
                    "timeout_seconds": sensor_timeout(params["per_day"], len(days), SENSOR_TIMEOUT_SECONDS),
                }
            )
        return planned

    @task(map_index_template="{{ request['day'] }}")
    def request_day(request: dict[str, Any], ti: Any = None) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException
        from sparkflow_airflow import backfill
        from sparkflow_airflow.backfill import backfill_idempotency_key, batch_id, measure_from
        from sparkflow_airflow.clients import IngestionClient

        assert ti is not None
        expected_batch = batch_id(request["seed"], request["day"])
        # Every try of this task instance sends the same key: a retry after a timeout, a 5xx or a lost worker
        # gets the backfill its earlier try started, never a second one.
        accepted = IngestionClient().start_backfill(
            day=request["day"],
            per_day=request["per_day"],
            seed=request["seed"],
            source=request["source"],
            idempotency_key=backfill_idempotency_key(ti.dag_id, ti.run_id, ti.task_id, ti.map_index),
        )
        [batch] = accepted["batches"]
        if batch["batchId"] != expected_batch:
            raise AirflowFailException(f"ingestion named the batch {batch['batchId']!r}, expected {expected_batch!r}")
        # A clear (or a run deleted and re-created under the same id) gets the backfill it already made, under
        # the same key: its events are in the baseline plan_days just read, so it is measured from the baseline
        # kept with the backfill when it was first answered.
        store = backfill.BaselineStore()
        baseline, made_before = measure_from(store.get(accepted["id"]), request["baseline"])
        if made_before:
            print(
                f"ingestion answered backfill {accepted['id']}, which an earlier try of this run made: its "
                f"events are counted from the baseline read before it started, {baseline}"
            )
        else:
            # kept_at tells an operator when nothing reads it any more (airflow/README.md, "What a successful
            # run leaves behind"): Airflow's task API cannot list Variables, so no task deletes it.
            store.set(
                accepted["id"],
                {
                    "baseline": baseline,
                    "batch_id": expected_batch,
                    "run_id": ti.run_id,
                    "kept_at": datetime.now(UTC).isoformat(),
                },
            )
        return {
            "backfill_id": accepted["id"],
            "day": batch["day"],
            "batch_id": batch["batchId"],
            "expected": batch["expected"],
            "baseline": baseline,
            "made_before": made_before,
            # The wait for this batch is bounded from here (a clear asks again, and starts the clock again).
            "requested_at": datetime.now(UTC).isoformat(),
            "timeout_seconds": request.get("timeout_seconds", SENSOR_TIMEOUT_SECONDS),
        }

    @task.sensor(
        poke_interval=POKE_SECONDS,
        timeout=SENSOR_MAX_TIMEOUT_SECONDS,
        mode="reschedule",
        map_index_template="{{ requested['day'] }}",
    )
    def wait_for_batch(requested: dict[str, Any], params: dict[str, Any] | None = None) -> PokeReturnValue:
        from airflow.sdk.exceptions import AirflowFailException
        from sparkflow_airflow.backfill import (
            CONSERVATIVE_PEOPLE_PER_SECOND,
            Baseline,
            BatchState,
            dead_letters_command,
            ingestion_stopped,
            judge_batch,
            overdue,
        )
        from sparkflow_airflow.clients import AuditClient, IngestionClient
        from sparkflow_contracts import topic

        assert params is not None
        progress = IngestionClient().backfill(requested["backfill_id"])
        if progress is None:
            # Ingestion keeps backfills in PostgreSQL, where every replica reads them: one it started and
            # no longer knows is lost, not late.
            raise AirflowFailException(
                f"ingestion does not know backfill {requested['backfill_id']} it started for {requested['batch_id']}"
            )
        stopped = ingestion_stopped(progress, requested["batch_id"])
        if stopped:
            # Failed or cancelled: ingestion will produce no more of the batch, so it is never settled.
            raise AirflowFailException(stopped)
        state = judge_batch(
            AuditClient().batch(requested["batch_id"]),
            expected=requested["expected"],
            baseline=Baseline(**requested["baseline"]),
            max_dead_letter_ratio=float(params["max_dead_letter_ratio"]),
        )
        if requested.get("made_before"):
            state = BatchState(
                state.verdict, f"{state.message} (backfill {requested['backfill_id']} made by an earlier try of this run)"
            )
        print(state.message)
        allowed = float(requested.get("timeout_seconds", SENSOR_TIMEOUT_SECONDS))
        late = overdue(requested.get("requested_at", datetime.now(UTC).isoformat()), allowed, datetime.now(UTC))
        if state.verdict == "wait" and late is not None:
            raise AirflowFailException(
                f"{state.message}: not settled {late:.0f} s after the request, over the "
                f"{allowed:.0f} s allowed (per_day × days at {CONSERVATIVE_PEOPLE_PER_SECOND} "
                f"people/s, at least {SENSOR_TIMEOUT_SECONDS:.0f} s)"
            )
        if state.verdict == "fail":
            raise AirflowFailException(
                f"{state.message}. The reasons are on topic {topic('usersDlq')} "
                f"(`{dead_letters_command(requested['batch_id'])}`) and in the audit."
            )
        return PokeReturnValue(is_done=state.verdict == "done", xcom_value=state.message)

    @task
    def aggregation_runs(
        planned: list[dict[str, Any]], params: dict[str, Any] | None = None, dag_run: Any = None
    ) -> list[dict[str, Any]]:
        """One run of users_daily_aggregates for each backfilled day that has ended, named after this run and
        the day: a retry or a clear of this run finds it made and makes no other. Today is left to the
        scheduled run after midnight, which counts the whole day."""
        assert params is not None and dag_run is not None
        if not params["aggregate"]:
            print("aggregate is false: no day is aggregated again")
            return []
        today = datetime.now(UTC).date().isoformat()
        days = [p["day"] for p in planned if p["day"] < today]
        print(f"aggregating again {len(days)} day(s) with {AGGREGATES_DAG_ID}: {', '.join(days) or 'none'}")
        return [{"trigger_run_id": aggregation_run_id(dag_run.run_id, day), "conf": {"day": day}} for day in days]

    planned = plan_days()
    settled = wait_for_batch.expand(requested=request_day.expand(request=planned))
    runs = aggregation_runs(planned)
    settled >> runs
    # Queued, not waited for: a paused users_daily_aggregates runs them once it is unpaused.
    TriggerDagRunOperator.partial(
        task_id="aggregate_day",
        trigger_dag_id=AGGREGATES_DAG_ID,
        logical_date=None,
        skip_when_already_exists=True,
    ).expand_kwargs(runs)


users_backfill()
