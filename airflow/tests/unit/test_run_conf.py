"""sparkflow_airflow.run_conf: a run's conf against the params its DAG declares. Which keys are unknown,
which declared param each most likely meant, and the message that names them."""

from __future__ import annotations

import random
import string

import pytest
from sparkflow_airflow.run_conf import conf_problem, refuse_unknown_conf, suggestion, unknown_keys

BACKFILL = ("from", "to", "per_day", "seed", "source", "max_dead_letter_ratio")


@pytest.mark.parametrize(
    "key,declared,meant",
    [
        ("perDay", BACKFILL, "per_day"),
        ("PER-DAY", BACKFILL, "per_day"),
        ("maxDeadLetterRatio", BACKFILL, "max_dead_letter_ratio"),
        ("dayy", ("day",), "day"),
        ("Day", ("day",), "day"),
        ("pageSize", ("count", "page_size", "seed", "nat", "randomuser_conn_id"), "page_size"),
        ("sed", BACKFILL, "seed"),
        ("randomuserConnId", ("count", "page_size", "seed", "nat", "randomuser_conn_id"), "randomuser_conn_id"),
    ],
)
def test_the_param_a_key_most_likely_meant(key, declared, meant):
    assert suggestion(key, declared) == meant


@pytest.mark.parametrize("key", ["zzz", "limit", "", "__"])
def test_no_suggestion_for_a_key_like_no_param(key):
    assert suggestion(key, BACKFILL) is None


def test_the_message_names_every_unknown_key_its_suggestion_and_the_params():
    problem = conf_problem({"from": "2026-11-01", "perDay": 5, "to": "2026-11-01", "limit": 3}, BACKFILL,
                           "users_backfill")
    assert problem == (
        'users_backfill: unknown conf keys "perDay" (did you mean "per_day"?), "limit"; its params are '
        '"from", "to", "per_day", "seed", "source", "max_dead_letter_ratio"'
    )
    assert conf_problem({"dayy": "2026-11-25"}, ("day",), "users_daily_aggregates") == (
        'users_daily_aggregates: unknown conf key "dayy" (did you mean "day"?); its params are "day"'
    )


@pytest.mark.parametrize("conf", [None, {}, {"day": "2026-11-25"}, {"day": None}])
def test_a_conf_of_declared_keys_or_none_passes(conf):
    assert conf_problem(conf, ("day",), "users_daily_aggregates") is None
    refuse_unknown_conf(conf, ("day",), "users_daily_aggregates")


@pytest.mark.parametrize("conf", [["day"], "2026-11-25", 3])
def test_a_conf_that_is_not_an_object_is_refused(conf):
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match=r'users_daily_aggregates: conf must be a JSON object of params \("day"\)'):
        refuse_unknown_conf(conf, ("day",), "users_daily_aggregates")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


# Ways of misspelling a declared name that keep it recognisable: the one it came from is the suggestion.
NEAR_MISSES = (
    _camel,
    str.upper,
    lambda n: n.replace("_", "-"),
    lambda n: n.replace("_", ""),
    lambda n: n + n[-1],
    lambda n: n.title().replace("_", " "),
)


def _random_key(rnd: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits + "_-. éß😀"
    return "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))


@pytest.mark.parametrize(
    "declared",
    [
        BACKFILL,
        ("day",),
        ("count", "page_size", "seed", "nat", "randomuser_conn_id"),
    ],
)
def test_refused_exactly_when_a_key_is_not_declared(declared):
    from airflow.sdk.exceptions import AirflowFailException

    for seed in range(500):
        rnd = random.Random(seed)
        keys = rnd.sample(declared, rnd.randint(0, len(declared)))
        misspelt: dict[str, str] = {}
        for _ in range(rnd.choice([0, 0, 1, 2, 3])):
            if rnd.random() < 0.5:
                meant = rnd.choice(declared)
                key = rnd.choice(NEAR_MISSES)(meant)
                if key not in declared:
                    misspelt[key] = meant
            else:
                key = _random_key(rnd)
            keys.append(key)
        rnd.shuffle(keys)
        conf = {k: rnd.choice([1, "x", None, [1], {"a": 1}]) for k in keys}
        unknown = [k for k in conf if k not in declared]
        context = f"seed {seed}: conf keys {list(conf)}"

        assert unknown_keys(conf, declared) == unknown, context
        problem = conf_problem(conf, declared, "a_dag")
        if not unknown:
            assert problem is None, context
            refuse_unknown_conf(conf, declared, "a_dag")
            continue
        assert problem is not None, context
        # Every unknown key, in the conf's order, and no declared one; each with the param it most likely
        # meant when there is one (a recognisable misspelling always has the one it came from).
        named = ", ".join(
            f'"{k}" (did you mean "{misspelt.get(k) or suggestion(k, declared)}"?)'
            if misspelt.get(k) or suggestion(k, declared)
            else f'"{k}"'
            for k in unknown
        )
        accepted = ", ".join(f'"{d}"' for d in declared)
        noun = "key" if len(unknown) == 1 else "keys"
        assert problem == f"a_dag: unknown conf {noun} {named}; its params are {accepted}", context
        with pytest.raises(AirflowFailException) as refused:
            refuse_unknown_conf(conf, declared, "a_dag")
        assert str(refused.value) == problem, context


def test_a_seed_param_refuses_exactly_the_text_ingestion_refuses():
    """Ingestion's `Seed` (libs/ingestion-core seed.ts) refuses Unicode's control characters (Cc) and lone
    surrogates (Cs); the DAGs' seed params refuse the same at trigger. Checked over every code point of the
    BMP, and a seeded sample of longer strings."""
    import random
    import unicodedata

    from airflow.sdk import Param
    from airflow.sdk.exceptions import ParamValidationError
    from sparkflow_airflow.run_conf import PRINTABLE_TEXT

    def accepted(value: str) -> bool:
        try:
            Param("x", type="string", minLength=1, maxLength=100, pattern=PRINTABLE_TEXT).resolve(value)
        except ParamValidationError:
            return False
        return True

    def ingestion_takes(value: str) -> bool:
        return 1 <= len(value) <= 100 and all(unicodedata.category(c) not in ("Cc", "Cs") for c in value)

    for code in range(0x10000):
        c = chr(code)
        assert accepted(f"a{c}b") == ingestion_takes(f"a{c}b"), hex(code)
    rng = random.Random(20261202)
    alphabet = ["a", "-", " ", "é", "日", "😀", "\x00", "\x1f", "\x7f", "\x85", "\ud800", "\udfff", "\u200f"]
    for _ in range(500):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        assert accepted(value) == ingestion_takes(value), ascii(value)
