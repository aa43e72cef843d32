"""`dag.test()` of users_backfill over three days against the real stack: success, exactly the expected
people in Cassandra and the audit, each on the day they were backfilled for, and a second identical run
changes nothing in Cassandra."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from conftest import REPO_ROOT, batch_counts

PER_DAY = 20
DAYS = ["2026-01-05", "2026-01-06", "2026-01-07"]
# A fresh seed per session: the first run creates new people, the second run re-sends the same ones.
SEED = f"it-{int(time.time())}"
BATCHES = [f"backfill-{SEED}-{d}" for d in DAYS]
# The one cell a rerun may change: its events are new (new ids) at the same event times as the first run's,
# and of two cells written at the same time Cassandra keeps the greater value. Everything else must not change.
VOLATILE = {"event_id"}


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO_ROOT / "airflow/dags/users_backfill.py"))
    assert bag.import_errors == {}
    return bag.dags["users_backfill"]


def audit_users(analytics_db, outcome: str) -> set[str]:
    with analytics_db.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT user_id::text FROM audit_events WHERE batch_id = ANY(%s) AND outcome = %s",
            (BATCHES, outcome),
        )
        return {r[0] for r in cur.fetchall()}


def cassandra_rows(session, ids: set[str]) -> dict[str, dict]:
    import uuid

    query = session.prepare("SELECT * FROM users WHERE user_id IN ?")
    rows = session.execute(query, ([uuid.UUID(i) for i in ids],))
    return {str(r.user_id): {k: v for k, v in r._asdict().items() if k not in VOLATILE} for r in rows}


def run(dag) -> None:
    from airflow.utils.state import DagRunState, TaskInstanceState

    # The days are not aggregated again here: test_scheduler_runs.py runs that through the scheduler.
    conf = {"from": DAYS[0], "to": DAYS[-1], "per_day": PER_DAY, "seed": SEED, "aggregate": False}
    dr = dag.test(run_conf=conf)
    tis = dr.get_task_instances()
    states = {(ti.task_id, ti.map_index): ti.state for ti in tis}
    assert dr.state == DagRunState.SUCCESS, states
    # No run to make: the mapped trigger has nothing to map over.
    assert {k: v for k, v in states.items() if k[0] == "aggregate_day"} in ({}, {("aggregate_day", -1): TaskInstanceState.SKIPPED})
    working = {k: v for k, v in states.items() if k[0] not in ("plan_days", "aggregation_runs", "aggregate_day")}
    assert sorted(working) == sorted([("request_day", i) for i in range(3)] + [("wait_for_batch", i) for i in range(3)])
    assert set(working.values()) | {states[("plan_days", -1)], states[("aggregation_runs", -1)]} == {
        TaskInstanceState.SUCCESS}


def test_backfill_three_days_then_rerun_changes_nothing(dag, cassandra, analytics_db):
    assert [d.isoformat() for d in (date(2026, 1, 5) + timedelta(days=i) for i in range(3))] == DAYS

    started = time.monotonic()
    run(dag)
    first_run_s = time.monotonic() - started
    print(f"first run: {first_run_s:.1f}s")

    # Exactly PER_DAY people per day went all the way through, none dead-lettered.
    for batch_id in BATCHES:
        counts = batch_counts(batch_id)
        assert (counts["expected"], counts["ingested"], counts["persisted"], counts["deadLettered"]) == (
            PER_DAY, PER_DAY, PER_DAY, 0), counts
        assert counts["complete"] is True
    persisted = audit_users(analytics_db, "persisted")
    assert len(persisted) == 3 * PER_DAY
    assert audit_users(analytics_db, "ingested") == persisted

    rows = cassandra_rows(cassandra, persisted)
    assert set(rows) == persisted
    assert {r["batch_id"] for r in rows.values()} == set(BATCHES)
    # Each person on the day they were backfilled for (what the daily aggregation of that day counts), their
    # event at the end of it.
    for r in rows.values():
        day = r["batch_id"][-10:]
        assert (str(r["event_day"]), str(r["first_event_day"]), r["updated_at"].date().isoformat()) == (day, day, day), r

    started = time.monotonic()
    run(dag)
    print(f"second run: {time.monotonic() - started:.1f}s")

    # The audit saw every event of the second run too (a new backfill: new event ids, the same people)…
    for batch_id in BATCHES:
        counts = batch_counts(batch_id)
        assert (counts["ingested"], counts["persisted"], counts["deadLettered"]) == (2 * PER_DAY, 2 * PER_DAY, 0)
    # …of the same people: every row either run wrote is one of theirs (a whole-table count would also read
    # every other test's rows, and times out on a stack that has kept them)…
    assert audit_users(analytics_db, "persisted") == persisted
    # …and Cassandra holds them with the same data: no changed field.
    assert cassandra_rows(cassandra, persisted) == rows
