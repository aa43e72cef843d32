"""users_late_days against the real stack: people of a past day arrive through ingestion's API (a backfill no DAG
made, so nothing queues the day's aggregation); the DAG, asked about the arrivals (`dag.test()`, its tasks
against the audit and the analytics database), queues `users_daily_aggregates` of that day, which the stack's
scheduler runs; the day then counts them. Asked again about the same arrivals, it queues nothing: the day was
counted after they arrived.

Through `dag.test()` rather than the scheduler: unpaused, the hourly DAG's own run for the last hour would
also queue every day the other suites' traffic touched."""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests
from conftest import REPO_ROOT, batch_counts, http_base, http_headers, wait_for

SEED = f"late-{int(time.time())}"
# A past day of this run's own, away from the days the other suites use (test_scheduler_runs.py draws from
# 1990-2020, test_users_backfill_run.py uses January 2026).
LATE_DAY = (date(1975, 1, 1) + timedelta(days=random.Random(SEED).randrange(5_000))).isoformat()
PEOPLE = 5


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO_ROOT / "airflow/dags/users_late_days.py"))
    assert bag.import_errors == {}
    return bag.dags["users_late_days"]


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run(dag, start: datetime, end: datetime) -> dict[tuple[str, int], Any]:
    from airflow.utils.state import DagRunState

    dr = dag.test(run_conf={"from": iso(start), "to": iso(end)})
    states = {(ti.task_id, ti.map_index): ti.state for ti in dr.get_task_instances()}
    assert dr.state == DagRunState.SUCCESS, states
    return states


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base = f"{base}/api/v2"
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        return requests.request(method, f"{self.base}{path}", headers=self.headers, timeout=60, **kw)


def test_a_past_day_whose_people_arrived_late_is_aggregated_again_once(dag, airflow_api, admin_token, analytics_db):
    before = datetime.now(UTC)
    res = requests.post(
        f"{http_base('sparkflow_ingestion')}/v1/backfills",
        json={"from": LATE_DAY, "to": LATE_DAY, "perDay": PEOPLE, "seed": SEED},
        headers=http_headers("sparkflow_ingestion"),
        timeout=30,
    )
    assert res.status_code == 202, res.text
    batch = f"backfill-{SEED}-{LATE_DAY}"
    wait_for(f"{batch} complete", lambda: batch_counts(batch)["complete"], timeout=120)
    end = datetime.now(UTC) + timedelta(milliseconds=1)

    # The day is named, never counted, before yesterday: queued, once.
    states = run(dag, before, end)
    assert {k: v for k, v in states.items() if k[0] != "aggregate_day"} == {
        ("plan_window", -1): "success", ("wait_read", -1): "success", ("aggregation_runs", -1): "success"}
    api = Api(airflow_api, admin_token)
    [run_id] = queued_for(api, LATE_DAY)
    made = api.call("GET", f"/dags/users_daily_aggregates/dagRuns/{run_id}")
    assert made.status_code == 200, made.text
    assert made.json()["conf"] == {"day": LATE_DAY}

    # The stack's scheduler runs it.
    api.call("PATCH", "/dags/users_daily_aggregates", json={"is_paused": False}).raise_for_status()
    try:
        final = wait_for(
            f"users_daily_aggregates run {run_id}",
            lambda: (state := api.call("GET", f"/dags/users_daily_aggregates/dagRuns/{run_id}").json()["state"])
            in ("success", "failed") and state,
            timeout=900,
            interval=2,
        )
    finally:
        api.call("PATCH", "/dags/users_daily_aggregates", json={"is_paused": True}).raise_for_status()
    assert final == "success"
    with analytics_db.cursor() as cur:
        cur.execute("SELECT users, new_users FROM analytics.daily_user_summary WHERE day = %s", (LATE_DAY,))
        assert cur.fetchall() == [(PEOPLE, PEOPLE)]

    # Asked again about the same arrivals: the day was counted after them (or, within the clocks' margin, its
    # run for them is the one already made): no other run is queued.
    run(dag, before, end)
    assert queued_for(api, LATE_DAY) == [run_id]


def queued_for(api: Api, day: str) -> list[str]:
    """The runs of users_daily_aggregates users_late_days made for `day`."""
    runs = api.call("GET", "/dags/users_daily_aggregates/dagRuns", params={"limit": 100, "order_by": "-run_after"})
    runs.raise_for_status()
    return [r["dag_run_id"] for r in runs.json()["dag_runs"] if r["dag_run_id"].startswith(f"late__{day}__")]
