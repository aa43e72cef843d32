"""A run's `dag_run.conf` against the params its DAG declares.

Airflow validates each declared param of a triggered run, but takes a conf key no param declares as a new,
unchecked param: `{"perDay": 5}` for `per_day` is accepted, and the run goes on with `per_day`'s default.
Every SparkFlow DAG that takes conf therefore refuses such a key in its first task, before anything is
asked of a service, naming each unknown key, the declared param it most likely meant, and the ones it
takes. Pure logic, no I/O (tests/unit/test_run_conf.py).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from typing import Any

# How alike a key and a param must be (difflib's ratio, after _shape) for the param to be suggested.
SUGGESTION_CUTOFF = 0.6


def _shape(name: str) -> str:
    """A name without case or separators, so `perDay`, `PER-DAY` and `per_day` read alike."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def suggestion(key: str, declared: Collection[str]) -> str | None:
    """The declared param `key` most likely meant: the one it equals but for case and separators, else the
    closest by spelling, else None."""
    by_shape: dict[str, str] = {}
    for name in declared:
        by_shape.setdefault(_shape(name), name)
    shaped = _shape(key)
    if shaped in by_shape:
        return by_shape[shaped]
    close = difflib.get_close_matches(shaped, list(by_shape), n=1, cutoff=SUGGESTION_CUTOFF)
    return by_shape[close[0]] if close else None


def unknown_keys(conf: Mapping[str, Any] | None, declared: Collection[str]) -> list[str]:
    """The keys of `conf` that no declared param has, in the conf's order."""
    return [key for key in (conf or {}) if key not in declared]


def conf_problem(conf: Any, declared: Collection[str], dag_id: str) -> str | None:
    """What is wrong with a run's conf as `dag_id` reads it, or None: a conf that is not a JSON object, or
    every key no param declares, each with the param it most likely meant."""
    accepted = ", ".join(f'"{name}"' for name in declared)
    if conf is not None and not isinstance(conf, Mapping):
        return f"{dag_id}: conf must be a JSON object of params ({accepted}), got {type(conf).__name__}"
    unknown = unknown_keys(conf, declared)
    if not unknown:
        return None
    named = []
    for key in unknown:
        meant = suggestion(str(key), declared)
        named.append(f'"{key}" (did you mean "{meant}"?)' if meant else f'"{key}"')
    noun = "key" if len(unknown) == 1 else "keys"
    return f"{dag_id}: unknown conf {noun} {', '.join(named)}; its params are {accepted}"


def refuse_unknown_conf(conf: Any, declared: Collection[str], dag_id: str) -> None:
    """Fail the task at once, without retries (the run's conf cannot change between tries), when
    `conf_problem` finds something wrong."""
    problem = conf_problem(conf, declared, dag_id)
    if problem:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(problem)


# Ingestion's rule for a seed (libs/ingestion-core `Seed`): text without control characters (Unicode's Cc:
# U+0000–U+001F, U+007F–U+009F) or lone surrogates, which no store or URL downstream holds. As a Param's
# pattern it refuses such a seed at trigger with a 400 naming the param, before a run exists; without it,
# Airflow's own database refused a lone surrogate with a 422 that names nothing.
PRINTABLE_TEXT = r"^[^\x00-\x1f\x7f-\x9f\ud800-\udfff]+$"
