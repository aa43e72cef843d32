"""Each DAG as a user runs it: unpaused or triggered through Airflow's REST API, run by the stack's own
scheduler (LocalExecutor, the stack's connections, spark-submit on the stack's standalone master), its
state read back from the API as monitoring would. Then what the run left behind is checked at its source:
the audit's batch report, PostgreSQL's analytics rows against a count made straight from Cassandra, the
people in Cassandra.

The tests run in file order: the backfill puts users on a past day, which the daily aggregation then counts.
Each DAG is paused again afterwards, as the stack starts them.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests
from conftest import batch_counts
from randomuser_fixture import RandomUserServer, person

TERMINAL = {"success", "failed"}
SEED = f"sched-{int(time.time())}"
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
# A past day of this run's own, which no other test backfills: its people are stamped on it, so the
# aggregation of that day counts them, and only them on a stack no earlier run drew the same day on.
BACKFILL_DAY = (date(1990, 1, 1) + timedelta(days=random.Random(SEED).randrange(11_000))).isoformat()
# Seeds are free text: the batch id `backfill-<seed>-<day>` holds what a URL gives a meaning to, and the
# sensor must still find it in the audit (`/v1/batches/<id>`, the id percent-encoded).
BACKFILL_SEED = f"{SEED}/a#b?c%d e%zz"
# A day no test puts an event on (BACKFILL_DAY is drawn from 1990-2020 and is never it).
QUIET_DAY = "2001-01-01"
if BACKFILL_DAY == QUIET_DAY:
    BACKFILL_DAY = "2001-01-02"


class AirflowApi:
    """The few REST calls of Airflow 3's public API (`/api/v2`) a user or a monitoring script makes."""

    def __init__(self, base: str, token: str) -> None:
        self.base = f"{base}/api/v2"
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, ok: tuple[int, ...] = (200,), **kw: Any) -> requests.Response:
        # Every call here is idempotent (triggers name their run id), so a call that timed out on a busy
        # machine is repeated rather than failing the test; a wrong answer still fails at once.
        for attempt in range(3):
            try:
                res = self.s.request(method, f"{self.base}{path}", timeout=120, **kw)
                break
            except (requests.ConnectionError, requests.Timeout):
                if attempt == 2:
                    raise
        assert res.status_code in ok, f"{method} {path}: HTTP {res.status_code} {res.text[:500]}"
        return res

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.call("PATCH", f"/dags/{dag_id}", json={"is_paused": paused})

    def trigger(self, dag_id: str, conf: dict[str, Any], logical_date: datetime | None) -> dict[str, Any] | None:
        """The new run, or None when the DAG already has a run for that logical date."""
        run_id = f"manual__{SEED}__{uuid.uuid4().hex[:8]}"
        body = {"dag_run_id": run_id, "conf": conf, "logical_date": logical_date.isoformat() if logical_date else None}
        res = self.call("POST", f"/dags/{dag_id}/dagRuns", ok=(200, 409), json=body)
        if res.status_code == 200:
            return res.json()
        mine = self.s.get(f"{self.base}/dags/{dag_id}/dagRuns/{run_id}", timeout=120)
        return mine.json() if mine.status_code == 200 else None  # 200: our own call, repeated after a timeout

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100, "order_by": "-run_after"}).json()["dag_runs"]

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}").json()

    def clear(self, dag_id: str, run_id: str) -> None:
        self.call("POST", f"/dags/{dag_id}/clearTaskInstances",
                  json={"dag_run_id": run_id, "dry_run": False, "only_failed": False, "reset_dag_runs": True})

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances").json()["task_instances"]

    def log(self, dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int = -1) -> str:
        """The task log as the UI shows it: one line per event, and under an error the exception's message."""
        res = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}",
                        params={"map_index": map_index, "full_content": True})
        lines = []
        for e in res.json()["content"]:
            if not isinstance(e, dict):
                lines.append(str(e))
                continue
            lines.append(e.get("event", ""))
            lines += [f"  {d.get('exc_type')}: {d.get('exc_value')}" for d in e.get("error_detail") or [] if isinstance(d, dict)]
        return "\n".join(lines)

    def wait(self, dag_id: str, run_id: str, timeout: float) -> dict[str, Any]:
        """Polls the run's state until it is final; on failure, the failed tasks' last log lines."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.run(dag_id, run_id)
            if run["state"] in TERMINAL or time.monotonic() > deadline:
                break
            time.sleep(2)
        if run["state"] != "success":
            tis = self.task_instances(dag_id, run_id)
            detail = "\n".join(
                f"--- {ti['task_id']}[{ti['map_index']}] {ti['state']}\n"
                + "\n".join(self.log(dag_id, run_id, ti["task_id"], ti["try_number"], ti["map_index"]).splitlines()[-15:])
                for ti in tis if ti["state"] not in ("success", "skipped") and ti["try_number"] > 0
            )
            raise AssertionError(f"{dag_id} run {run_id} is {run['state']} after {timeout}s\n{detail}")
        return run


@pytest.fixture(scope="module")
def api(airflow_api, admin_token) -> AirflowApi:
    return AirflowApi(airflow_api, admin_token)


@pytest.fixture
def unpaused(api):
    """Unpauses DAGs for one test and pauses them again, as `stack up` leaves them."""
    dags: list[str] = []

    def unpause(dag_id: str) -> None:
        dags.append(dag_id)
        api.set_paused(dag_id, False)

    yield unpause
    for dag_id in dags:
        api.set_paused(dag_id, True)


# The run of users_daily_aggregates the backfill made for its day, which the aggregation test waits for.
AGGREGATION_OF_THE_BACKFILL: dict[str, str] = {}


def test_users_backfill_triggered_through_the_api_completes_its_batch_and_queues_the_days_aggregation(api, unpaused):
    conf = {"from": BACKFILL_DAY, "to": BACKFILL_DAY, "per_day": 20, "seed": BACKFILL_SEED}
    triggered = api.trigger("users_backfill", conf, logical_date=None)
    assert triggered is not None
    run_id = triggered["dag_run_id"]
    unpaused("users_backfill")
    started = time.monotonic()
    run = api.wait("users_backfill", run_id, timeout=600)
    print(f"users_backfill: {run['state']} in {time.monotonic() - started:.0f}s (trigger → success)")
    assert run["run_type"] == "manual" and run["conf"]["seed"] == BACKFILL_SEED
    assert {(ti["task_id"], ti["state"]) for ti in api.task_instances("users_backfill", run_id)} == {
        ("plan_days", "success"), ("request_day", "success"), ("wait_for_batch", "success"),
        ("aggregation_runs", "success"), ("aggregate_day", "success")}

    report = batch_counts(f"backfill-{BACKFILL_SEED}-{BACKFILL_DAY}")
    assert (report["expected"], report["ingested"], report["persisted"], report["deadLettered"], report["complete"]) == (
        20, 20, 20, 0, True), report

    # The day it backfilled is queued for aggregation again (the aggregation DAG is paused, so it waits).
    made = api.run("users_daily_aggregates", f"backfill__{run_id}__{BACKFILL_DAY}")
    assert (made["run_type"], made["conf"], made["logical_date"]) == ("operator_triggered", {"day": BACKFILL_DAY}, None), made
    AGGREGATION_OF_THE_BACKFILL["run_id"] = made["dag_run_id"]


def test_users_backfill_cleared_after_success_finds_its_backfill_and_succeeds_without_producing_again(api, unpaused):
    """A clear re-runs plan_days, whose baseline then holds the run's own events: measured from it, the
    backfill ingestion answers again (same Idempotency-Key) never looked done and the sensor waited its hour,
    holding up every run behind it. It finds the baseline kept with the backfill and succeeds, and ingestion
    produces nobody again."""
    day = "2026-11-20"
    seed = f"{BACKFILL_SEED}-clear"
    conf = {"from": day, "to": day, "per_day": 20, "seed": seed, "aggregate": False}
    triggered = api.trigger("users_backfill", conf, logical_date=None)
    assert triggered is not None
    run_id = triggered["dag_run_id"]
    unpaused("users_backfill")
    api.wait("users_backfill", run_id, timeout=600)
    first = batch_counts(f"backfill-{seed}-{day}")

    api.clear("users_backfill", run_id)
    started = time.monotonic()
    api.wait("users_backfill", run_id, timeout=300)
    print(f"users_backfill cleared: success in {time.monotonic() - started:.0f}s")
    [request] = [ti for ti in api.task_instances("users_backfill", run_id) if ti["task_id"] == "request_day"]
    assert "which an earlier try of this run made" in api.log(
        "users_backfill", run_id, "request_day", request["try_number"], request["map_index"])
    again = batch_counts(f"backfill-{seed}-{day}")
    assert (again["ingested"], again["persisted"]) == (first["ingested"], first["persisted"]) == (20, 20), again


def independent_counts(cassandra, day) -> tuple[set[uuid.UUID], Counter]:
    """Users on event day D and each one's country, straight from Cassandra: the row written last per user
    wins, by its write time in microseconds (persistence's event order; `updated_at` holds milliseconds)."""
    rows = cassandra.execute(
        "SELECT user_id, country_code, updated_at, writetime(updated_at) AS written FROM users_by_country_day"
        " WHERE event_day = %s ALLOW FILTERING",
        (day,),
    )
    newest: dict[uuid.UUID, tuple] = {}
    for r in rows:
        key = (r.written, r.updated_at, [-ord(c) for c in r.country_code])
        if r.user_id not in newest or key > newest[r.user_id][0]:
            newest[r.user_id] = (key, r.country_code)
    return set(newest), Counter(c for _, c in newest.values())


def settled_before_aggregating(api, dag_id: str, run_id: str, day: str) -> str:
    """What `wait_settled` said when it let the run go on: the audit's answer for the day's window, settled."""
    [wait] = [ti for ti in api.task_instances(dag_id, run_id) if ti["task_id"] == "wait_settled"]
    assert wait["state"] == "success", wait
    log = api.log(dag_id, run_id, "wait_settled", wait["try_number"])
    [said] = [line for line in log.splitlines() if "settled (every one persisted or dead-lettered)" in line]
    assert f"events of {day}T00:00:00.000Z → " in said, said
    return said


def aggregated_day(api, dag_id: str, run_id: str) -> dict:
    """The Spark job's result, the last line of `aggregate_day`'s log, which also names the master it ran on."""
    [agg] = [ti for ti in api.task_instances(dag_id, run_id) if ti["task_id"] == "aggregate_day"]
    log = api.log(dag_id, run_id, "aggregate_day", agg["try_number"])
    assert "spark://127.0.0.1" in log, log[-3000:]
    [result] = [line for line in log.splitlines() if line.startswith('{"job": "daily_user_aggregates"')]
    return json.loads(result)


def wait_for_run(api, dag_id: str, run_after: datetime) -> dict:
    """The scheduled run the scheduler creates for `run_after`, once it has."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for run in api.runs(dag_id):
            if run["run_type"] == "scheduled" and datetime.fromisoformat(run["run_after"].replace("Z", "+00:00")) == run_after:
                return run
        time.sleep(2)
    raise AssertionError(f"the scheduler made no run due at {run_after} after {dag_id} was unpaused")


def stored_day(analytics_db, day) -> tuple[list[tuple[int]], list[tuple]]:
    with analytics_db.cursor() as cur:
        cur.execute("SELECT users FROM analytics.daily_user_summary WHERE day = %s", (day,))
        summary = cur.fetchall()
        cur.execute("SELECT dimension, value, users FROM analytics.daily_user_counts WHERE day = %s", (day,))
        return summary, cur.fetchall()


def test_users_daily_aggregates_aggregates_the_day_that_ended_today_a_backfilled_day_and_a_quiet_day(
    api, unpaused, cassandra, analytics_db
):
    dag_id = "users_daily_aggregates"
    # The scheduler's next run, as the API reports it (read before unpausing, which may start it): it fires
    # at midnight for the day that then ends.
    dag = api.call("GET", f"/dags/{dag_id}").json()
    run_after = datetime.fromisoformat(dag["next_dagrun_run_after"].replace("Z", "+00:00"))
    assert (run_after.hour, run_after.minute) == (0, 0), dag
    for field in ("next_dagrun_logical_date", "next_dagrun_data_interval_start"):
        assert datetime.fromisoformat(dag[field].replace("Z", "+00:00")) == run_after - timedelta(days=1), dag
    assert datetime.fromisoformat(dag["next_dagrun_data_interval_end"].replace("Z", "+00:00")) == run_after, dag

    # All queue at once (one run at a time): the backfill's own run of the day it stamped its people on, today
    # and a day nobody can be on.
    backfill_run = api.run(dag_id, AGGREGATION_OF_THE_BACKFILL["run_id"])
    today_run = api.trigger(dag_id, {"day": TODAY.date().isoformat()}, logical_date=None)
    quiet_run = api.trigger(dag_id, {"day": QUIET_DAY}, logical_date=None)
    assert today_run is not None and backfill_run is not None and quiet_run is not None
    unpaused(dag_id)

    started = time.monotonic()
    for run in (backfill_run, today_run, quiet_run):
        api.wait(dag_id, run["dag_run_id"], timeout=1800)
    print(f"users_daily_aggregates: three runs in {time.monotonic() - started:.0f}s")

    # On a stack that has not run it today, the run due at 00:00 today is made once the DAG is unpaused: it
    # must aggregate yesterday. One run at a time, so the scheduler makes it before the queued runs start, or
    # once one of them has started, after they end (it makes no run while max_active_runs are running).
    if run_after <= datetime.now(UTC):
        due = wait_for_run(api, dag_id, run_after)
        api.wait(dag_id, due["dag_run_id"], timeout=1800)
        yesterday = (run_after - timedelta(days=1)).date().isoformat()
        assert aggregated_day(api, dag_id, due["dag_run_id"])["day"] == yesterday
        # It waited for the whole of yesterday, which has ended: its events had all settled.
        said = settled_before_aggregating(api, dag_id, due["dag_run_id"], yesterday)
        assert f"→ {run_after.strftime('%Y-%m-%dT00:00:00.000Z')}: settled" in said, said

    # Each waited for its day's events before the job ran: today's up to when its run began, the past days'
    # at once (the backfill's had settled before).
    settled_before_aggregating(api, dag_id, today_run["dag_run_id"], TODAY.date().isoformat())
    settled_before_aggregating(api, dag_id, backfill_run["dag_run_id"], BACKFILL_DAY)
    settled_before_aggregating(api, dag_id, quiet_run["dag_run_id"], QUIET_DAY)

    # A day with users: the analytics rows equal a count made straight from Cassandra.
    for run, day in ((today_run, TODAY.date()), (backfill_run, date.fromisoformat(BACKFILL_DAY))):
        assert aggregated_day(api, dag_id, run["dag_run_id"])["day"] == day.isoformat()
        users, by_country = independent_counts(cassandra, day)
        [(summary_users,)], rows = stored_day(analytics_db, day)
        totals = Counter()
        for dimension, _, n in rows:
            totals[dimension] += n
        assert summary_users == len(users), day
        assert totals == {d: len(users) for d in ("country", "gender", "age_band", "email_domain", "seen")}, day
        assert {v: n for d, v, n in rows if d == "country"} == dict(by_country), day

    # The backfilled day counts every person the backfill persisted, each new on it: a backfill of a past day
    # is aggregated on that day.
    with analytics_db.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT user_id FROM audit_events WHERE batch_id = %s AND outcome = 'persisted'",
            (f"backfill-{BACKFILL_SEED}-{BACKFILL_DAY}",),
        )
        backfilled = {uuid.UUID(str(r[0])) for r in cur.fetchall()}
        cur.execute("SELECT new_users FROM analytics.daily_user_summary WHERE day = %s", (BACKFILL_DAY,))
        [(new_users,)] = cur.fetchall()
    users, _ = independent_counts(cassandra, date.fromisoformat(BACKFILL_DAY))
    assert len(backfilled) == 20 and backfilled <= users, (len(backfilled), len(users))
    assert new_users >= 20, new_users

    # A quiet day succeeds with what the job writes for it: a summary of 0 users and no count rows.
    result = aggregated_day(api, dag_id, quiet_run["dag_run_id"])
    assert (result["day"], result["users"]) == (QUIET_DAY, 0), result
    assert stored_day(analytics_db, QUIET_DAY) == ([(0,)], [])
    [check] = [ti for ti in api.task_instances(dag_id, quiet_run["dag_run_id"]) if ti["task_id"] == "check_rows"]
    assert (check["state"], check["try_number"]) == ("success", 1)


def test_user_automation_triggered_through_the_api_pulls_from_the_fixture_server(api, unpaused, cassandra):
    server = RandomUserServer()
    conn_id = f"sparkflow_randomuser_fixture_{SEED.replace('-', '_')}"
    api.call("POST", "/connections", ok=(201,), json={"connection_id": conn_id, "conn_type": "http", "host": server.url})
    try:
        conf = {"count": 25, "page_size": 10, "seed": SEED, "randomuser_conn_id": conn_id}
        # Today's logical date takes the slot of today's scheduled run, so unpausing starts only this one
        # (a scheduled run would pull from randomuser.me); on a stack that ran it today, a fresh date.
        triggered = api.trigger("user_automation", conf, logical_date=TODAY) or api.trigger(
            "user_automation", conf, logical_date=datetime.now(UTC))
        assert triggered is not None
        run_id, ds = triggered["dag_run_id"], triggered["logical_date"][:10]
        unpaused("user_automation")
        started = time.monotonic()
        api.wait("user_automation", run_id, timeout=600)
        print(f"user_automation: success in {time.monotonic() - started:.0f}s")
        assert sorted((int(q["page"]), int(q["results"])) for q in server.requests) == [(1, 10), (2, 10), (3, 5)]

        expected = {uuid.UUID(person(f"{SEED}-{ds}", p, i)["login"]["uuid"]) for p, n in ((1, 10), (2, 10), (3, 5))
                    for i in range(n)}
        query = cassandra.prepare("SELECT user_id FROM users WHERE user_id IN ?")
        deadline = time.monotonic() + 60
        while (found := {r.user_id for r in cassandra.execute(query, (list(expected),))}) != expected:
            assert time.monotonic() < deadline, f"{len(found)} of 25 pulled users in Cassandra"
            time.sleep(1)
    finally:
        api.call("DELETE", f"/connections/{conn_id}", ok=(204,))
        server.close()


def final_run(api: AirflowApi, dag_id: str, run_id: str, timeout: float) -> dict[str, Any]:
    """The run once it is final, whichever way it ended."""
    deadline = time.monotonic() + timeout
    while (run := api.run(dag_id, run_id))["state"] not in TERMINAL:
        assert time.monotonic() < deadline, f"{dag_id} run {run_id} is still {run['state']} after {timeout}s"
        time.sleep(2)
    return run


@pytest.mark.parametrize(
    ("dag_id", "first_task", "conf", "named"),
    [
        (
            "users_backfill",
            "plan_days",
            {"from": BACKFILL_DAY, "to": BACKFILL_DAY, "perDay": 5, "seed": f"{SEED}-misspelt"},
            'unknown conf key "perDay" (did you mean "per_day"?)',
        ),
        ("users_daily_aggregates", "wait_settled", {"dayy": QUIET_DAY}, 'unknown conf key "dayy" (did you mean "day"?)'),
    ],
)
def test_a_conf_key_no_param_declares_fails_the_first_task_once_and_nothing_runs(
    api, unpaused, dag_id, first_task, conf, named
):
    # Airflow's trigger endpoint takes any key (it adds an unknown one as a param of its own), so the
    # scheduler's run is where a misspelt parameter must stop, before any service is asked anything.
    triggered = api.trigger(dag_id, conf, logical_date=None)
    assert triggered is not None
    run_id = triggered["dag_run_id"]
    unpaused(dag_id)
    assert final_run(api, dag_id, run_id, timeout=600)["state"] == "failed"

    tis = {ti["task_id"]: ti for ti in api.task_instances(dag_id, run_id)}
    first = tis.pop(first_task)
    assert (first["state"], first["try_number"]) == ("failed", 1), first
    assert named in api.log(dag_id, run_id, first_task, 1)
    assert {ti["state"] for ti in tis.values()} <= {"upstream_failed", None}, tis
    if dag_id == "users_backfill":
        with pytest.raises(requests.HTTPError) as missing:
            batch_counts(f"backfill-{conf['seed']}-{BACKFILL_DAY}")
        assert missing.value.response.status_code == 404
