"""`dag.test()` of user_automation against the real stack, with a local randomuser-compatible API (the
machines running these tests cannot reach randomuser.me): a bounded count in pages, every person lands
in Cassandra under their own login.uuid, and a rerun of the same day adds no one."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import UTC, datetime

import pytest
from conftest import REPO_ROOT, batch_counts, wait_for
from randomuser_fixture import RandomUserServer, person

COUNT, PAGE_SIZE = 25, 10
SEED = f"it-auto-{int(time.time())}"
LOGICAL_DATE = datetime(2026, 11, 2, tzinfo=UTC)  # on or after the DAG's start_date


@pytest.fixture(scope="module")
def randomuser():
    server = RandomUserServer()
    os.environ["AIRFLOW_CONN_SPARKFLOW_RANDOMUSER"] = json.dumps({"conn_type": "http", "host": server.url})
    yield server.requests
    server.close()


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO_ROOT / "airflow/dags/user_automation.py"))
    assert bag.import_errors == {}
    return bag.dags["user_automation"]


def run(dag) -> list[str]:
    """One run of the DAG; the batch ids ingestion gave the pages it pushed (the pull_page task's XComs)."""
    from airflow.utils.state import DagRunState

    dr = dag.test(logical_date=LOGICAL_DATE, run_conf={"count": COUNT, "page_size": PAGE_SIZE, "seed": SEED})
    tis = dr.get_task_instances()
    states = {(ti.task_id, ti.map_index): ti.state for ti in tis}
    assert dr.state == DagRunState.SUCCESS, states
    assert sorted(k for k in states if k[0] == "pull_page") == [("pull_page", i) for i in range(3)]
    receipts = list(tis[0].xcom_pull(task_ids="pull_page"))
    assert [r["page"] for r in receipts] == [1, 2, 3], receipts
    return [r["batch_id"] for r in receipts]


def batches_complete(batch_ids: list[str]) -> bool:
    return all(batch_counts(b)["complete"] for b in batch_ids)


def persisted_users(analytics_db, batch_ids: list[str]) -> set[uuid.UUID]:
    """Everyone the audit saw persisted in these batches: the rows they wrote in Cassandra, by user id."""
    with analytics_db.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT user_id::text FROM audit_events WHERE batch_id = ANY(%s) AND outcome = 'persisted'",
            (batch_ids,),
        )
        return {uuid.UUID(r[0]) for r in cur.fetchall()}


def test_pull_in_pages_into_ingestion_then_rerun_adds_no_one(randomuser, dag, cassandra, analytics_db):
    day_seed = f"{SEED}-2026-11-02"
    expected = {uuid.UUID(person(day_seed, p, i)["login"]["uuid"]) for p, n in ((1, 10), (2, 10), (3, 5)) for i in range(n)}
    query = cassandra.prepare("SELECT user_id, email FROM users WHERE user_id IN ?")

    def stored():
        rows = {r.user_id: r.email for r in cassandra.execute(query, (list(expected),))}
        return rows if len(rows) == COUNT else None

    first_batches = run(dag)
    assert sorted((int(r["page"]), int(r["results"])) for r in randomuser) == [(1, 10), (2, 10), (3, 5)]
    assert {r["seed"] for r in randomuser} == {day_seed}
    wait_for("the first run's batches complete in the audit", lambda: batches_complete(first_batches), timeout=90)
    first = stored()
    assert first is not None, "the audit reports the batches complete but Cassandra lacks some of the 25 users"
    assert persisted_users(analytics_db, first_batches) == expected

    second_batches = run(dag)
    assert len(randomuser) == 6
    assert set(second_batches).isdisjoint(first_batches)
    wait_for("the second run's batches complete in the audit", lambda: batches_complete(second_batches), timeout=90)
    assert stored() == first
    # Every row the rerun wrote is one of the same 25 people's (a whole-table count would also read every other
    # test's and every earlier run's rows, and times out on a stack that has kept them).
    assert persisted_users(analytics_db, second_batches) == expected
