"""Every DAG that takes conf refuses a key none of its params declares, in its first task, before any
service is asked: Airflow's trigger takes such a key as a param of its own, unchecked, so a misspelt param
(`perDay` for `per_day`, `dayy` for `day`) would leave its default in force. The first task runs here as
Airflow's task runner runs it: its params merged from the conf (`process_params`), its templates rendered,
its callable given what it asks of the context."""

from __future__ import annotations

import copy
import random
import re
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import DAGS_DIR

LOGICAL_DATE = datetime(2026, 11, 30, tzinfo=UTC)
# When a run triggered without a logical date was queued: Airflow 3 gives every run one.
RUN_AFTER = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def dags():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR)).dags


def _context(dag, task, conf: Any, logical_date: datetime | None) -> dict[str, Any]:
    from airflow.sdk.definitions.param import process_params

    # A run's own copy of the params, as each task's process has: merging the conf changes their values.
    params = process_params(SimpleNamespace(params=copy.deepcopy(dag.params)),
                            SimpleNamespace(params=copy.deepcopy(task.params)), conf, suppress_exception=False)
    return {
        "params": params,
        "dag_run": SimpleNamespace(conf=conf, logical_date=logical_date, run_after=logical_date or RUN_AFTER),
        "ds": logical_date.date().isoformat() if logical_date else None,
        "logical_date": logical_date,
    }


class Audit:
    """Stands in for the audit's client: records each batch asked for, and has counted none yet."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def batch(self, batch_id: str) -> None:
        self.asked.append(batch_id)


@pytest.fixture
def audit(monkeypatch) -> Audit:
    from sparkflow_airflow import clients

    fake = Audit()
    monkeypatch.setattr(clients, "AuditClient", lambda *a, **k: fake)
    return fake


def run_plan_days(dags, conf: Any) -> list[dict[str, Any]]:
    dag = dags["users_backfill"]
    task = copy.deepcopy(dag.get_task("plan_days"))
    return task.execute(_context(dag, task, conf, None))


def run_plan_pages(dags, conf: Any, logical_date: datetime | None = LOGICAL_DATE) -> list[dict[str, Any]]:
    dag = dags["user_automation"]
    task = copy.deepcopy(dag.get_task("plan_pages"))
    return task.execute(_context(dag, task, conf, logical_date))


def render_aggregate_day(dags, conf: Any, logical_date: datetime | None = LOGICAL_DATE) -> list[str]:
    """aggregate_day's templated fields rendered as its run would: what it hands spark-submit."""
    dag = dags["users_daily_aggregates"]
    task = copy.deepcopy(dag.get_task("aggregate_day"))
    task.render_template_fields(_context(dag, task, conf, logical_date), jinja_env=dag.get_template_env())
    return task.application_args


def run_plan_window(dags, conf: Any) -> dict[str, str]:
    dag = dags["users_late_days"]
    task = copy.deepcopy(dag.get_task("plan_window"))
    return task.execute(_context(dag, task, conf, None))


BACKFILL_PARAMS = '"from", "to", "per_day", "seed", "source", "max_dead_letter_ratio", "aggregate"'


def test_the_trigger_takes_a_key_no_param_declares_so_the_first_task_must_refuse_it(dags):
    """What the API's and the CLI's trigger validate (the DAG as the scheduler holds it, merged with the
    conf): each declared param, and an unknown key as a param of its own with no schema. Should Airflow
    come to refuse it at the trigger, this fails, and the check can move there."""
    from airflow.serialization.serialized_objects import DagSerialization

    for dag_id, conf in [
        ("users_backfill", {"from": "2026-11-01", "to": "2026-11-01", "perDay": 5}),
        ("users_daily_aggregates", {"dayy": "2026-11-25"}),
        ("user_automation", {"pageSize": 5}),
    ]:
        scheduled = DagSerialization.from_dict(DagSerialization.to_dict(dags[dag_id]))
        assert scheduled.params.deep_merge(conf).validate().keys() >= conf.keys(), dag_id


def test_users_backfill_refuses_per_day_spelt_perDay_before_asking_any_service(dags, audit):
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException) as refused:
        run_plan_days(dags, {"from": "2026-11-01", "to": "2026-11-01", "perDay": 5})
    assert str(refused.value) == (
        f'users_backfill: unknown conf key "perDay" (did you mean "per_day"?); its params are {BACKFILL_PARAMS}'
    )
    assert audit.asked == []


def test_users_backfill_names_every_unknown_key(dags, audit):
    from airflow.sdk.exceptions import AirflowFailException

    conf = {"form": "2026-11-01", "to": "2026-11-01", "Seed": "s", "limit": 3}
    with pytest.raises(AirflowFailException) as refused:
        run_plan_days(dags, {"from": "2026-11-01", **conf})
    assert str(refused.value) == (
        'users_backfill: unknown conf keys "form" (did you mean "from"?), "Seed" (did you mean "seed"?), "limit"; '
        f"its params are {BACKFILL_PARAMS}"
    )
    assert audit.asked == []


def test_users_backfill_with_declared_keys_plans_its_days_as_asked(dags, audit):
    planned = run_plan_days(dags, {"from": "2026-11-01", "to": "2026-11-02", "per_day": 5, "seed": "s"})
    assert [(p["day"], p["per_day"], p["seed"]) for p in planned] == [("2026-11-01", 5, "s"), ("2026-11-02", 5, "s")]
    assert audit.asked == ["backfill-s-2026-11-01", "backfill-s-2026-11-02"]


@pytest.mark.parametrize("logical_date", [None, LOGICAL_DATE])
def test_users_daily_aggregates_refuses_day_spelt_dayy_before_spark_is_asked(dags, logical_date):
    """With a logical date, the misspelt `day` would otherwise aggregate that date's day, not the one asked
    for; without one, the run would fail saying only that no day was given."""
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException) as refused:
        render_aggregate_day(dags, {"dayy": "2026-11-25"}, logical_date)
    assert str(refused.value) == (
        'users_daily_aggregates: unknown conf key "dayy" (did you mean "day"?); its params are "day"'
    )


@pytest.mark.parametrize(
    "conf,day",
    [({"day": "2026-11-25"}, "2026-11-25"), ({"day": None}, "2026-11-30"), ({}, "2026-11-30"), (None, "2026-11-30")],
)
def test_users_daily_aggregates_takes_day_or_its_absence(dags, conf, day):
    assert render_aggregate_day(dags, conf) == ["daily_user_aggregates", "--date", day]


def test_an_empty_day_is_refused_as_its_title_says_omit_it(dags):
    """`day` is omitted (or null) for the run's logical date, as the param's title says; "" is no date."""
    from airflow.sdk.exceptions import ParamValidationError

    title = dags["users_daily_aggregates"].params.get_param("day").schema["title"]
    assert "omit it (or null) for the run's logical date" in title
    with pytest.raises(ParamValidationError, match="day"):
        render_aggregate_day(dags, {"day": ""})


def test_user_automation_refuses_page_size_spelt_pageSize_before_any_page_is_pulled(dags):
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException) as refused:
        run_plan_pages(dags, {"count": 20, "pageSize": 5})
    assert str(refused.value) == (
        'user_automation: unknown conf key "pageSize" (did you mean "page_size"?); '
        'its params are "count", "page_size", "seed", "nat", "randomuser_conn_id"'
    )


def test_user_automation_with_declared_keys_or_a_scheduled_runs_conf_plans_its_pages(dags):
    pages = run_plan_pages(dags, {"count": 20, "page_size": 5, "seed": "s"})
    assert [(p["page"], p["size"], p["seed"]) for p in pages] == [(n, 5, "s-2026-11-30") for n in (1, 2, 3, 4)]
    for scheduled in (None, {}):
        assert sum(p["size"] for p in run_plan_pages(dags, scheduled)) == 500


# A value each declared param takes, and the params a run cannot do without.
VALID = {
    "users_backfill": {"from": "2026-11-01", "to": "2026-11-03", "per_day": 7, "seed": "s", "source": "synthetic",
                       "max_dead_letter_ratio": 0.5, "aggregate": False},
    "users_daily_aggregates": {"day": "2026-11-25"},
    "user_automation": {"count": 30, "page_size": 10, "seed": "s", "nat": "gb", "randomuser_conn_id": "c"},
    "users_late_days": {"from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00+00:00"},
}
REQUIRED = {"users_backfill": ["from", "to"], "users_daily_aggregates": [], "user_automation": [],
            "users_late_days": []}


def _unknown_key(rnd: random.Random, declared: list[str]) -> str:
    """A key no param declares: a declared one misspelt, or any string."""
    if rnd.random() < 0.5:
        name = rnd.choice(declared)
        variants = [name.upper(), name.replace("_", "-"), name + name[-1], name[:-1], name.title(), f" {name}"]
        key = rnd.choice(variants)
    else:
        key = "".join(rnd.choice("abcdefxyz_-É9") for _ in range(rnd.randint(0, 8)))
    return key if key not in declared else key + "!"


def _as_asked(dag_id: str, conf: dict[str, Any], out: list[Any], audit: Audit) -> bool:
    """Whether the first task's output is what the conf asks for (a param left out: its default)."""
    if dag_id == "users_backfill":
        per_day = conf.get("per_day", 100)
        return [p["per_day"] for p in out] == [per_day] * 3 and len(audit.asked) == 3
    if dag_id == "users_daily_aggregates":
        return out[-1] == (conf.get("day") or LOGICAL_DATE.date().isoformat())
    if dag_id == "users_late_days":
        # A manual run without `to` asks up to when it was queued; without `from`, the day before `to`.
        to = "2026-12-02T00:00:00.000Z" if "to" in conf else "2026-12-02T09:30:00.000Z"
        start = "2026-12-01T00:00:00.000Z" if "from" in conf else ("2026-12-01T00:00:00.000Z" if "to" in conf else
                                                                    "2026-12-01T09:30:00.000Z")
        return out == {"from": start, "to": to}
    return sum(p["size"] for p in out) == conf.get("count", 500)


@pytest.mark.parametrize("dag_id", sorted(VALID))
def test_the_first_task_refuses_exactly_the_confs_with_a_key_no_param_declares(dags, audit, dag_id):
    from airflow.sdk.exceptions import AirflowFailException
    from sparkflow_airflow.run_conf import conf_problem

    declared = list(dags[dag_id].params.keys())
    assert sorted(declared) == sorted(VALID[dag_id])
    first_task = {"users_backfill": run_plan_days, "users_daily_aggregates": render_aggregate_day,
                  "user_automation": run_plan_pages, "users_late_days": run_plan_window}[dag_id]
    refused_runs = 0
    for seed in range(150):
        rnd = random.Random(seed)
        optional = [k for k in declared if k not in REQUIRED[dag_id]]
        keys = REQUIRED[dag_id] + rnd.sample(optional, rnd.randint(0, len(optional)))
        unknown = list(dict.fromkeys(_unknown_key(rnd, declared) for _ in range(rnd.choice([0, 0, 1, 2, 3]))))
        keys += unknown
        rnd.shuffle(keys)
        conf = {k: VALID[dag_id].get(k, rnd.choice([5, "2026-11-01", None, True])) for k in keys}
        context = f"seed {seed}: conf {conf}"
        audit.asked.clear()

        if not unknown:
            assert _as_asked(dag_id, conf, first_task(dags, conf), audit), context
            continue
        refused_runs += 1
        with pytest.raises(AirflowFailException) as refused:
            first_task(dags, conf)
        # Every unknown key named, in the conf's order, against the params this DAG declares.
        assert str(refused.value) == conf_problem(conf, declared, dag_id), context
        assert all(f'"{key}"' in str(refused.value) for key in unknown), context
        assert audit.asked == [], context
    # Both outcomes were drawn often enough to mean something.
    assert 30 < refused_runs < 120


@pytest.mark.parametrize("dag_id", ["users_backfill", "user_automation"])
def test_the_trigger_refuses_a_seed_ingestion_would_refuse_naming_seed(dags, dag_id):
    """As the scheduler holds the DAG (serialized, then read back): a seed holding a lone surrogate or a
    control character is refused at trigger, naming `seed`, before a run exists."""
    from airflow.sdk.exceptions import ParamValidationError
    from airflow.serialization.serialized_objects import DagSerialization

    scheduled = DagSerialization.from_dict(DagSerialization.to_dict(dags[dag_id]))
    days = {"from": "2026-11-01", "to": "2026-11-01"} if dag_id == "users_backfill" else {}
    for seed in ("a\ud800b", "a\x00b", "line\nbreak"):
        with pytest.raises(ParamValidationError, match="seed"):
            scheduled.params.deep_merge({**days, "seed": seed}).validate()
    assert scheduled.params.deep_merge({**days, "seed": "démo 日本 😀"}).validate()["seed"] == "démo 日本 😀"


def test_user_automation_seeds_a_run_triggered_without_a_logical_date_with_its_run_after_day(dags):
    """`airflow dags trigger` and REST with `logical_date: null` give no logical date: the seed was
    `sparkflow-None` for every such run, whatever its day."""
    assert {p["seed"] for p in run_plan_pages(dags, {"count": 3}, logical_date=None)} == {"sparkflow-2026-12-02"}
    assert {p["seed"] for p in run_plan_pages(dags, {"count": 3})} == {"sparkflow-2026-11-30"}


@pytest.mark.parametrize(("start", "end", "named"), [("2026-12-01", "2027-01-01", "`to` (2027-01-01) is after today"),
                                                      ("1890-01-01", "1890-01-02", "`from` (1890-01-01) is before")])
def test_users_backfill_refuses_a_range_with_a_day_ingestion_refuses_before_asking_any_service(
    dags, audit, start, end, named
):
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match=r"^bad params: .*" + re.escape(named)):
        run_plan_days(dags, {"from": start, "to": end, "per_day": 5})
    assert audit.asked == []


def test_users_backfill_refuses_at_once_a_seed_whose_batch_ids_are_too_long_in_utf16_units(dags, audit):
    """Airflow's maxLength (100) counts code points: 91 emoji pass it, but are 182 UTF-16 units, and the
    audit's batch ids (backfill-<seed>-<day>) hold at most 200."""
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match=r"^bad params: `seed` is 182 UTF-16 units long; at most 180 fit"):
        run_plan_days(dags, {"from": "2026-11-01", "to": "2026-11-01", "seed": "😀" * 91})
    assert audit.asked == []
    run_plan_days(dags, {"from": "2026-11-01", "to": "2026-11-01", "seed": "😀" * 90})
    assert len(audit.asked) == 1
