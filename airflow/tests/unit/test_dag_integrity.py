"""The DagBag loads every DAG file without errors, without touching a database or a connection, and each
DAG has the shape the runbook relies on: tasks, dependencies, schedule, retries and typed params."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from conftest import DAGS_DIR

EXPECTED_DAGS = {"users_backfill", "users_daily_aggregates", "user_automation", "users_late_days"}


class _ParseGuard:
    """Counts SQL statements and connection/variable lookups made while the DAG files are parsed."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.lookups: list[str] = []

    def __enter__(self) -> _ParseGuard:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self._event = event
        self._engine = Engine

        def on_execute(conn, cursor, statement, *args):  # noqa: ANN001
            self.statements.append(statement)

        self._listener = on_execute
        event.listen(Engine, "before_cursor_execute", on_execute)

        def refuse(what: str):
            def _refuse(*args, **kwargs):
                self.lookups.append(f"{what}{args}")
                raise AssertionError(f"{what} called while parsing DAGs")

            return _refuse

        from airflow.sdk import BaseHook, Connection, Variable

        self._patches = [
            mock.patch.object(BaseHook, "get_connection", side_effect=refuse("BaseHook.get_connection")),
            mock.patch.object(Connection, "get", side_effect=refuse("Connection.get")),
            mock.patch.object(Variable, "get", side_effect=refuse("Variable.get")),
        ]
        for p in self._patches:
            p.start()
        return self

    def __exit__(self, *exc) -> None:
        for p in self._patches:
            p.stop()
        self._event.remove(self._engine, "before_cursor_execute", self._listener)


@pytest.fixture(scope="module")
def parsed():
    from airflow.dag_processing.dagbag import DagBag

    with _ParseGuard() as guard:
        bag = DagBag(dag_folder=str(DAGS_DIR))
    return bag, guard


@pytest.fixture(scope="module")
def bag(parsed):
    return parsed[0]


def test_no_import_errors(bag):
    assert bag.import_errors == {}


def test_expected_dag_ids_one_per_file(bag):
    assert set(bag.dag_ids) == EXPECTED_DAGS
    for dag_id in EXPECTED_DAGS:
        assert bag.dags[dag_id].fileloc.endswith(f"/{dag_id}.py"), "DAG id = file stem"


def test_parsing_makes_no_db_queries_or_connection_lookups(parsed):
    _, guard = parsed
    assert guard.statements == []
    assert guard.lookups == []


def _deps(dag):
    return {t.task_id: sorted(t.downstream_task_ids) for t in dag.tasks}


def _param_schema(dag, name):
    return dag.params.get_param(name).schema


def _default(dag, name):
    return dag.params.get_param(name).value if dag.params.get_param(name).has_value else None


class TestUsersBackfill:
    @pytest.fixture
    def dag(self, bag):
        return bag.dags["users_backfill"]

    def test_tasks_and_dependencies(self, dag):
        # The days are aggregated again only once every day's batch settled.
        assert _deps(dag) == {
            "plan_days": ["aggregation_runs", "request_day"],
            "request_day": ["wait_for_batch"],
            "wait_for_batch": ["aggregation_runs"],
            "aggregation_runs": ["aggregate_day"],
            "aggregate_day": [],
        }

    def test_one_request_and_one_sensor_per_day(self, dag):
        from airflow.sdk.definitions.mappedoperator import MappedOperator

        assert isinstance(dag.get_task("request_day"), MappedOperator)
        sensor = dag.get_task("wait_for_batch")
        assert isinstance(sensor, MappedOperator)
        assert sensor.operator_class.__name__ == "DecoratedSensorOperator"
        # Reschedule frees the worker slot between pokes; the timeout bounds a batch that never settles.
        assert sensor.partial_kwargs["mode"] == "reschedule"
        assert sensor.partial_kwargs["poke_interval"] > 0
        assert sensor.partial_kwargs["timeout"] >= 600

    def test_manual_only_with_retries_and_backoff(self, dag):
        assert dag.schedule is None and type(dag.timetable).__name__ == "NullTimetable"
        assert dag.catchup is False
        for t in dag.tasks:
            assert t.retries == 3, t.task_id
            assert t.retry_exponential_backoff, t.task_id
            assert t.retry_delay == timedelta(seconds=10)

    def test_typed_params(self, dag):
        assert set(dag.params.keys()) == {"from", "to", "per_day", "seed", "source", "max_dead_letter_ratio", "aggregate"}
        for day in ("from", "to"):
            assert _param_schema(dag, day) == {"type": "string", "format": "date", "title": mock.ANY}
            assert not dag.params.get_param(day).has_value, "no default day: a backfill names its range"
        assert _param_schema(dag, "per_day")["type"] == "integer" and _default(dag, "per_day") == 100
        assert _param_schema(dag, "seed")["type"] == "string" and _default(dag, "seed") == "sparkflow"
        assert _param_schema(dag, "source")["enum"] == ["synthetic"]
        ratio = _param_schema(dag, "max_dead_letter_ratio")
        assert (ratio["type"], ratio["minimum"], ratio["maximum"]) == ("number", 0, 1)
        assert _param_schema(dag, "aggregate")["type"] == "boolean" and _default(dag, "aggregate") is True

    def test_the_backfilled_days_that_ended_are_aggregated_again_once_each(self, dag):
        from types import SimpleNamespace

        from airflow.sdk.definitions.mappedoperator import MappedOperator

        trigger = dag.get_task("aggregate_day")
        assert isinstance(trigger, MappedOperator) and trigger.operator_class.__name__ == "TriggerDagRunOperator"
        assert trigger.partial_kwargs["trigger_dag_id"] == "users_daily_aggregates"
        # Made once per run and day: a retry or a clear finds the run it made.
        assert trigger.partial_kwargs["skip_when_already_exists"] is True
        assert trigger.partial_kwargs["logical_date"] is None
        runs = dag.get_task("aggregation_runs").python_callable
        today = datetime.now(UTC).date()
        planned = [{"day": (today - timedelta(days=n)).isoformat()} for n in (2, 1, 0)]
        made = runs(planned, params={"aggregate": True}, dag_run=SimpleNamespace(run_id="manual__r1"))
        assert made == [
            {"trigger_run_id": f"backfill__manual__r1__{p['day']}", "conf": {"day": p["day"]}} for p in planned[:2]
        ]
        assert runs(planned, params={"aggregate": False}, dag_run=SimpleNamespace(run_id="manual__r1")) == []

    @pytest.mark.parametrize("start,end", [("2026-11-03", "2026-11-01"), ("2025-01-01", "2026-01-05")])
    def test_a_range_plan_days_refuses_fails_at_once_without_retries(self, dag, start, end):
        from types import SimpleNamespace

        from airflow.sdk.exceptions import AirflowFailException

        plan_days = dag.get_task("plan_days").python_callable
        params = {"from": start, "to": end, "per_day": 5, "seed": "s", "source": "synthetic"}
        with pytest.raises(AirflowFailException, match="bad params: "):
            plan_days(params=params, dag_run=SimpleNamespace(conf=params))

    def test_params_accept_a_range_and_reject_bad_input(self, dag):
        import copy

        from airflow.sdk.exceptions import ParamValidationError

        def validate(conf):
            params = copy.deepcopy(dag.params)
            for k, v in conf.items():
                params[k] = v
            return params.validate()

        good = {"from": "2026-01-01", "to": "2026-01-03"}
        assert validate(good)["per_day"] == 100
        for bad in ({}, {"per_day": 0}, {"source": "kafka"}, {"max_dead_letter_ratio": 2}, {"from": "yesterday"}):
            with pytest.raises(ParamValidationError):
                validate({**({} if bad == {} else good), **bad})


def _scheduled(dag):
    """The DAG as the scheduler holds it (serialized by the DAG processor, read back): its timetable is the
    one that decides each run's data interval and logical date."""
    from airflow.serialization.serialized_objects import DagSerialization

    return DagSerialization.from_dict(DagSerialization.to_dict(dag))


def _run_context(dag, *, logical_date, conf=None):
    """The template context of a run as Airflow's task runner builds it (the keys these DAGs use)."""
    import copy
    from types import SimpleNamespace

    params = copy.deepcopy(dag.params)
    for k, v in (conf or {}).items():
        params[k] = v
    context = {"params": params.validate(), "dag_run": SimpleNamespace(logical_date=logical_date, conf=conf or {})}
    if logical_date is not None:
        context.update(ds=logical_date.strftime("%Y-%m-%d"), ds_nodash=logical_date.strftime("%Y%m%d"),
                       logical_date=logical_date)
    return context


def _render(dag, task_id, value, context):
    return dag.get_task(task_id).render_template(value, context, jinja_env=dag.get_template_env())


class TestUsersDailyAggregates:
    @pytest.fixture
    def dag(self, bag):
        return bag.dags["users_daily_aggregates"]

    def test_tasks_dependencies_and_schedule(self, dag):
        assert _deps(dag) == {"wait_settled": ["aggregate_day"], "aggregate_day": ["check_rows"], "check_rows": []}
        assert type(dag.timetable).__name__ == "CronTriggerTimetable"
        assert _scheduled(dag).timetable.summary == "0 0 * * *"
        assert dag.catchup is False and dag.max_active_runs == 1

    def test_a_run_is_failed_only_past_the_longest_its_tasks_can_take_and_within_a_day(self, dag):
        # What each task may take, every try to its bound and every retry delay at its longest; wait_settled
        # counts once (its timeout is measured from its first poke, and it does not retry a timeout).
        longest = timedelta()
        for task in dag.tasks:
            if task.task_id == "wait_settled":
                longest += timedelta(seconds=task.timeout)
            elif task.execution_timeout is not None:
                tries = task.retries + 1
                longest += tries * task.execution_timeout + task.retries * task.max_retry_delay
        assert longest >= timedelta(hours=4)  # 3 h of waiting, 3 × 30 min of Spark job
        assert dag.dagrun_timeout >= longest
        # A run that never starts a task (a logical date in the future, which the scheduler leaves running)
        # holds the next ones back at most this long: the midnight run still happens the same day.
        assert dag.dagrun_timeout <= timedelta(hours=12)

    @pytest.mark.parametrize("fires", ["2026-12-03T00:00:00+00:00", "2027-01-01T00:00:00+00:00", "2028-03-01T00:00:00+00:00"])
    def test_the_run_firing_at_midnight_aggregates_the_day_that_just_ended(self, dag, fires):
        from datetime import datetime

        from airflow.timetables.base import DataInterval, TimeRestriction

        fires_at = datetime.fromisoformat(fires)
        previous = DataInterval(fires_at - timedelta(days=2), fires_at - timedelta(days=1))
        # What the scheduler asks the DAG's own timetable for its next run after the previous one.
        info = _scheduled(dag).timetable.next_dagrun_info(
            last_automated_data_interval=previous,
            restriction=TimeRestriction(earliest=dag.start_date, latest=None, catchup=True),
        )
        assert info.run_after == fires_at
        day_before = (fires_at - timedelta(days=1)).date().isoformat()
        # The run's logical date is what the scheduler gives it (DagRunInfo.logical_date); the rest follows.
        context = _run_context(dag, logical_date=info.logical_date)
        args = _render(dag, "aggregate_day", dag.get_task("aggregate_day").application_args, context)
        assert args == ["daily_user_aggregates", "--date", day_before]
        # The UI and the API show that day as the run's data interval.
        assert (info.data_interval.start, info.data_interval.end) == (fires_at - timedelta(days=1), fires_at)
        # check_rows looks for the output of that same day, and wait_settled waited for its events.
        assert _render(dag, "check_rows", dag.get_task("check_rows").op_kwargs, context) == {"day": day_before}
        assert _render(dag, "wait_settled", dag.get_task("wait_settled").op_kwargs, context) == {"day": day_before}

    def test_a_manual_run_aggregates_its_day_param_else_its_logical_date(self, dag):
        from datetime import UTC, datetime

        args = dag.get_task("aggregate_day").application_args
        chosen = _run_context(dag, logical_date=None, conf={"day": "2026-11-25"})
        assert _render(dag, "aggregate_day", args, chosen)[-1] == "2026-11-25"
        both = _run_context(dag, logical_date=datetime(2026, 11, 30, tzinfo=UTC), conf={"day": "2026-11-25"})
        assert _render(dag, "aggregate_day", args, both)[-1] == "2026-11-25"
        dated = _run_context(dag, logical_date=datetime(2026, 11, 25, 23, 59, tzinfo=UTC))
        assert _render(dag, "aggregate_day", args, dated)[-1] == "2026-11-25"

    def test_a_manual_run_without_a_day_fails_at_once_naming_the_param(self, dag):
        from airflow.sdk.exceptions import AirflowFailException

        with pytest.raises(AirflowFailException, match='conf {"day": "YYYY-MM-DD"}'):
            _render(dag, "aggregate_day", dag.get_task("aggregate_day").application_args,
                    _run_context(dag, logical_date=None))
        # The first task renders the day too: a bad conf fails there, before the audit is asked.
        with pytest.raises(AirflowFailException, match='conf {"day": "YYYY-MM-DD"}'):
            _render(dag, "wait_settled", dag.get_task("wait_settled").op_kwargs, _run_context(dag, logical_date=None))
        with pytest.raises(AirflowFailException, match='unknown conf key "dayy"'):
            _render(dag, "wait_settled", dag.get_task("wait_settled").op_kwargs,
                    _run_context(dag, logical_date=None, conf={"dayy": "2026-11-25"}))

    def test_day_param_is_an_optional_date(self, dag):
        from airflow.sdk.exceptions import ParamValidationError

        assert _default(dag, "day") is None
        for bad in ("yesterday", "2026-02-30", 20261125):
            with pytest.raises(ParamValidationError):
                _run_context(dag, logical_date=None, conf={"day": bad})

    def test_spark_submit_of_the_job(self, dag):
        from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
        from sparkflow_airflow.spark import SparkJobOperator

        op = dag.get_task("aggregate_day")
        assert isinstance(op, SparkJobOperator) and isinstance(op, SparkSubmitOperator)
        assert op._conn_id == "sparkflow_spark"
        # The same application file spark-jobs' own `submit` runs, not a copy of it in airflow/.
        assert op.application.endswith("spark-jobs/scripts/spark_app.py")
        assert op.application_args[:2] == ["daily_user_aggregates", "--date"]
        # Jars and settings are filled in at run time from sparkflow_jobs.launch, never written in the DAG.
        assert op.jars is None and not op.conf

    def test_wait_settled_is_a_rescheduling_sensor_bounded_after_its_own_deadline(self, dag):
        sensor = dag.get_task("wait_settled")
        assert sensor.mode == "reschedule"
        assert sensor.poke_interval == 15
        # Each poke fails naming what is pending 2 h after the window ended; the sensor's own bound comes later.
        assert sensor.timeout > 2 * 60 * 60

    def test_wait_settled_waits_for_the_audit_then_fails_naming_what_is_pending(self, dag, monkeypatch):
        from datetime import UTC, datetime, timedelta
        from types import SimpleNamespace

        import requests
        from airflow.sdk.exceptions import AirflowFailException
        from sparkflow_airflow import clients
        from sparkflow_airflow.settle import iso, settle_window

        asked: list[tuple[str, str]] = []
        answers: list[object] = []

        def settled(self, start, end):
            asked.append((start, end))
            answer = answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer

        monkeypatch.setattr(clients.AuditClient, "settled", settled)
        running: list[object] = []
        days_asked: list[tuple[str | None, str | None]] = []

        def running_backfills(self, first_day=None, last_day=None):
            days_asked.append((first_day, last_day))
            answer = running.pop(0) if running else {"backfills": [], "truncated": False}
            if isinstance(answer, Exception):
                raise answer
            return answer

        monkeypatch.setattr(clients.IngestionClient, "running_backfills", running_backfills)
        poke = dag.get_task("wait_settled").python_callable
        now = datetime.now(UTC)
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        # A manual run of today that began a minute ago waits for what was produced before it began.
        began = SimpleNamespace(start_date=now - timedelta(minutes=1))
        pending = {"from": "f", "to": "t", "settled": False, "pending": 2, "rawBehind": 0,
                   "oldestPending": {"eventId": "e1", "batchId": "b1", "producedAt": "p"}}

        # Pending, then the audit down, then settled: two pokes wait, the third is done.
        answers += [pending, requests.ConnectionError("refused"), {**pending, "settled": True, "pending": 0}]
        first, second, third = (poke(day=today.date().isoformat(), dag_run=began) for _ in range(3))
        assert (first.is_done, second.is_done, third.is_done) == (False, False, True)
        assert "2 pending" in first.xcom_value
        assert "the audit did not answer: connection 'sparkflow_audit': ConnectionError: refused" in second.xcom_value
        # To the run's start, rounded up to the millisecond the audit takes.
        window = (today.strftime("%Y-%m-%dT00:00:00.000Z"), iso(settle_window(today.date().isoformat(), began.start_date)[1]))
        assert asked == [window] * 3
        # Ingestion is asked for the backfills with a batch on the window's days: today's alone.
        assert days_asked == [(today.date().isoformat(), today.date().isoformat())] * 3

        # Settled in the audit, but a backfill requested before the run began is still producing: it waits;
        # ingestion down: it waits, naming it; the backfill done: settled.
        backfill = {"id": "bf-1", "status": "running", "requestedAt": iso(began.start_date - timedelta(seconds=5)),
                    "batches": [{"day": "d", "batchId": "b", "expected": 100, "produced": 40}]}
        answers += [{**pending, "settled": True, "pending": 0}] * 3
        running += [{"backfills": [backfill], "truncated": False}, requests.ReadTimeout("30 s")]
        waits, down, done = (poke(day=today.date().isoformat(), dag_run=began) for _ in range(3))
        assert (waits.is_done, down.is_done, done.is_done) == (False, False, True)
        assert "bf-1 (requested" in waits.xcom_value and "40 of 100 produced" in waits.xcom_value
        assert "ingestion did not answer: connection 'sparkflow_ingestion': ReadTimeout: 30 s" in down.xcom_value

        # More backfills with a batch on the day than ingestion lists: it waits, saying so of that day.
        answers.append({**pending, "settled": True, "pending": 0})
        running.append({"backfills": [backfill], "truncated": True})
        cut = poke(day=today.date().isoformat(), dag_run=began)
        assert cut.is_done is False
        assert f"more backfills with a batch on {today.date().isoformat()} are running than ingestion lists (1)" \
            in cut.xcom_value

        # A run of a day that ended long ago waits as long as the run of a day that just ended: a past day can
        # still be receiving events (a backfill of it, ADR 25)…
        answers.append(pending)
        old = (today - timedelta(days=3)).date().isoformat()
        assert poke(day=old, dag_run=began).is_done is False
        # …then fails, naming them, 2 h after the run started.
        answers.append(pending)
        long_ago = SimpleNamespace(start_date=now - timedelta(hours=3))
        with pytest.raises(AirflowFailException, match=r"2 pending .* the oldest e1 of batch b1.*after the run started at"):
            poke(day=old, dag_run=long_ago)
        assert asked[-1] == ((today - timedelta(days=3)).strftime("%Y-%m-%dT00:00:00.000Z"),
                             (today - timedelta(days=2)).strftime("%Y-%m-%dT00:00:00.000Z"))
        # A whole past day: that day alone, its end (the next midnight) excluded.
        assert days_asked[-1] == (old, old)

    def test_retries(self, dag):
        assert dag.get_task("aggregate_day").retries == 2
        assert dag.get_task("check_rows").retries == 3
        assert all(t.retry_exponential_backoff for t in dag.tasks)


class TestUsersLateDays:
    @pytest.fixture
    def dag(self, bag):
        return bag.dags["users_late_days"]

    def test_tasks_dependencies_and_schedule(self, dag):
        from airflow.sdk.definitions.mappedoperator import MappedOperator

        assert _deps(dag) == {"plan_window": ["wait_read"], "wait_read": ["aggregation_runs"],
                              "aggregation_runs": ["aggregate_day"], "aggregate_day": []}
        assert _scheduled(dag).timetable.summary == "0 * * * *"
        assert dag.catchup is False and dag.max_active_runs == 1
        sensor = dag.get_task("wait_read")
        assert sensor.mode == "reschedule" and sensor.timeout >= 2 * 60 * 60
        trigger = dag.get_task("aggregate_day")
        assert isinstance(trigger, MappedOperator) and trigger.operator_class.__name__ == "TriggerDagRunOperator"
        assert trigger.partial_kwargs["trigger_dag_id"] == "users_daily_aggregates"
        assert trigger.partial_kwargs["skip_when_already_exists"] is True

    def test_the_run_firing_at_the_top_of_an_hour_looks_back_a_day_from_its_end(self, dag):
        import pendulum
        from airflow.timetables.base import DataInterval, TimeRestriction

        fires_at = pendulum.datetime(2026, 12, 4, 15, 0, tz="UTC")
        previous = DataInterval(fires_at - timedelta(hours=2), fires_at - timedelta(hours=1))
        info = _scheduled(dag).timetable.next_dagrun_info(
            last_automated_data_interval=previous,
            restriction=TimeRestriction(earliest=dag.start_date, latest=None, catchup=True),
        )
        assert (info.run_after, info.data_interval.start, info.data_interval.end) == (
            fires_at, fires_at - timedelta(hours=1), fires_at)
        plan = dag.get_task("plan_window").python_callable
        run = SimpleNamespace(conf={}, run_after=fires_at)
        assert plan(params={"from": None, "to": None}, dag_run=run, data_interval_end=info.data_interval.end) == {
            "from": "2026-12-03T15:00:00.000Z", "to": "2026-12-04T15:00:00.000Z"}

    def test_a_manual_run_asks_its_window_and_refuses_a_bad_one_naming_it(self, dag):
        from airflow.sdk.exceptions import AirflowFailException

        plan = dag.get_task("plan_window").python_callable
        conf = {"from": "2026-12-01T00:00:00+02:00", "to": "2026-12-02T00:00:00Z"}
        run = SimpleNamespace(conf=conf, run_after=datetime(2026, 12, 4, 15, 7, tzinfo=UTC))
        assert plan(params=conf, dag_run=run) == {"from": "2026-11-30T22:00:00.000Z", "to": "2026-12-02T00:00:00.000Z"}
        for bad, said in [({"from": "2026-12-01T00:00:00"}, "`from` (2026-12-01T00:00:00) has no offset"),
                          ({"to": "yesterday"}, "`to` (yesterday) is no ISO date-time"),
                          ({"from": "2026-12-04T15:07:00Z"}, "is not before `to`")]:
            params = {"from": None, "to": None, **bad}
            with pytest.raises(AirflowFailException, match=re.escape(said)):
                plan(params=params, dag_run=SimpleNamespace(conf=bad, run_after=run.run_after))

    def test_wait_read_waits_until_the_audit_has_read_the_window_then_hands_on_its_days(self, dag, monkeypatch):
        import requests
        from airflow.sdk.exceptions import AirflowFailException
        from sparkflow_airflow import clients

        answers: list[object] = []

        def late_days(self, start, end):
            answer = answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer

        monkeypatch.setattr(clients.AuditClient, "late_days", late_days)
        poke = dag.get_task("wait_read").python_callable
        now = datetime.now(UTC)
        window = {"from": (now - timedelta(hours=1)).isoformat(), "to": now.isoformat()}
        days = [{"day": "2026-11-19", "events": 3, "lastAppendedAt": "2026-12-04T14:10:00.000Z"}]
        answers += [{"complete": False, "behind": 7, "days": []}, requests.ConnectionError("refused"),
                    {"complete": True, "behind": 0, "days": days}]
        began = SimpleNamespace(start_date=now - timedelta(minutes=1))
        behind, down, done = (poke(window=window, dag_run=began) for _ in range(3))
        assert (behind.is_done, down.is_done, done.is_done) == (False, False, True)
        assert done.xcom_value == {**window, "days": days}
        # Still behind past the bound after the window's end: it fails, naming what the audit has to read.
        old = {"from": (now - timedelta(hours=4)).isoformat(), "to": (now - timedelta(hours=3)).isoformat()}
        answers.append({"complete": False, "behind": 7, "days": []})
        with pytest.raises(AirflowFailException, match="the audit has 7 users.persisted / users.dlq records"):
            poke(window=old, dag_run=SimpleNamespace(start_date=now - timedelta(hours=3)))
        # A manual run of a window that ended long ago is bounded from its own start: it waits.
        answers.append(requests.ConnectionError("refused"))
        assert poke(window=old, dag_run=began).is_done is False


class TestUserAutomation:
    @pytest.fixture
    def dag(self, bag):
        return bag.dags["user_automation"]

    def test_tasks_dependencies_and_schedule(self, dag):
        from airflow.timetables.base import TimeRestriction

        assert _deps(dag) == {"plan_pages": ["pull_page"], "pull_page": ["summarize"], "summarize": []}
        # Airflow 3's @daily: the run at midnight has that moment as its logical date (its pull's seed).
        timetable = _scheduled(dag).timetable
        assert type(timetable).__name__ == "CronTriggerTimetable" and timetable.summary == "0 0 * * *"
        info = timetable.next_dagrun_info(
            last_automated_data_interval=None,
            restriction=TimeRestriction(earliest=dag.start_date, latest=None, catchup=True),
        )
        assert info.logical_date == info.run_after == dag.start_date
        assert dag.catchup is False

    def test_pages_are_mapped_and_retried(self, dag):
        from airflow.sdk.definitions.mappedoperator import MappedOperator

        assert isinstance(dag.get_task("pull_page"), MappedOperator)
        assert all(t.retries == 3 and t.retry_exponential_backoff for t in dag.tasks)

    def test_count_is_bounded(self, dag):
        count = _param_schema(dag, "count")
        assert (count["type"], count["minimum"], count["maximum"]) == ("integer", 1, 5000)
        assert _param_schema(dag, "page_size")["type"] == "integer"
        assert set(dag.params.keys()) == {"count", "page_size", "seed", "nat", "randomuser_conn_id"}
