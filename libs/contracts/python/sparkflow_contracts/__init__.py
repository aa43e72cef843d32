"""SparkFlow's contracts for Python: topic names, JSON Schemas and shared limits, read from `libs/contracts/generated/`.

The generated files are written from the TypeScript zod contracts (`npx nx run contracts:generate`) and
committed; Airflow's DAGs and the Spark jobs read them only through this package, so a renamed topic or
field fails here, with its name, instead of becoming a silently empty column downstream.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import validators

__all__ = [
    "ContractViolation",
    "ContractsMissing",
    "Violation",
    "cassandra_consistency",
    "field_paths",
    "first_event_day_timestamp_base",
    "generated_dir",
    "max_age_years",
    "required_paths",
    "schema",
    "schema_names",
    "topic",
    "topics",
    "validate",
    "violations",
]

_DEFAULT_DIR = Path(__file__).resolve().parents[2] / "generated"
GENERATE = "npx nx run contracts:generate"
# Like the TypeScript side's randomuser client: enough to fix a payload, short enough for a log line.
MAX_LISTED = 10


class ContractsMissing(FileNotFoundError):
    """The generated contracts are not where this package looks for them."""


def generated_dir() -> Path:
    """`libs/contracts/generated/` beside this package; SPARKFLOW_CONTRACTS_DIR overrides it (an image, a mount)."""
    return Path(os.environ.get("SPARKFLOW_CONTRACTS_DIR") or _DEFAULT_DIR)


@cache
def _load(file_name: str) -> dict[str, Any]:
    path = generated_dir() / file_name
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ContractsMissing(
            f"{path} is missing: run `{GENERATE}` (or point SPARKFLOW_CONTRACTS_DIR at the generated contracts)"
        ) from err
    return loaded


def topics() -> dict[str, str]:
    """Logical name → Kafka topic, e.g. {"usersRaw": "users.raw", ...}."""
    return dict(_load("topics.json")["topics"])


def topic(key: str) -> str:
    names = topics()
    if key not in names:
        raise KeyError(f"no topic {key!r} in topics.json; known: {sorted(names)}")
    return names[key]


def max_age_years() -> int:
    """How many calendar years before an event a person's dates may go (MAX_AGE_YEARS of person-dates.ts)."""
    value = _load("limits.json")["maxAgeYears"]
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"maxAgeYears in {generated_dir() / 'limits.json'} is {value!r}, not a positive whole number")
    return value


# The levels a Cassandra client may be told to use for every read and write (the driver's names).
CONSISTENCY_LEVELS = frozenset({"ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE"})


def cassandra_consistency() -> str:
    """The consistency level of every Cassandra read and write (CASSANDRA_CONSISTENCY_LEVEL of topology.ts)."""
    value = _load("cassandra.json")["consistency"]
    if value not in CONSISTENCY_LEVELS:
        raise ValueError(f"consistency in {generated_dir() / 'cassandra.json'} is {value!r}, not a Cassandra consistency level")
    return str(value)


# 10000-01-01T00:00:00Z in microseconds: the base first-event-day.ts counts down from (it hard-codes it, as
# FIRST_EVENT_DAY_TIMESTAMP_BASE; so does every cell persistence has written).
_TIMESTAMP_BASE = 253_402_300_800_000_000
_TIMESTAMP_BASE_SOURCE = "libs/contracts/src/lib/first-event-day.ts"


def first_event_day_timestamp_base() -> int:
    """FIRST_EVENT_DAY_TIMESTAMP_BASE of first-event-day.ts, in microseconds: `users.first_event_day` is
    written with the timestamp base - event time, so the earliest version's day has the highest timestamp
    and wins. Generated as a decimal string (a JSON number would lose digits past 2^53)."""
    path = generated_dir() / "cassandra.json"
    value = _load("cassandra.json").get("firstEventDayTimestampBase")
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise ValueError(f"firstEventDayTimestampBase in {path} is {value!r}, not a whole number of microseconds as a string")
    base = int(value)
    if base != _TIMESTAMP_BASE:
        raise ValueError(
            f"firstEventDayTimestampBase in {path} is {base}, not {_TIMESTAMP_BASE} (10000-01-01 in µs), "
            f"FIRST_EVENT_DAY_TIMESTAMP_BASE of {_TIMESTAMP_BASE_SOURCE}")
    return base


def schema_names() -> list[str]:
    """The names `schema` takes: every `<name>.schema.json` of the generated dir."""
    directory = generated_dir()
    if not directory.is_dir():
        raise ContractsMissing(f"{directory} is missing: run `{GENERATE}` (or point SPARKFLOW_CONTRACTS_DIR at it)")
    return sorted(p.name.removesuffix(".schema.json") for p in directory.glob("*.schema.json"))


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of a topic payload or API shape, by file stem (e.g. "users.raw", "randomuser-response")."""
    if not (generated_dir() / f"{name}.schema.json").is_file():
        raise KeyError(f"no schema {name!r} in {generated_dir()}; known: {schema_names()}")
    return _load(f"{name}.schema.json")


def field_paths(node: dict[str, Any], prefix: str = "") -> set[str]:
    """Every dotted property path a JSON Schema declares (arrays contribute their items' paths)."""
    paths: set[str] = set()
    if node.get("type") == "array" and isinstance(node.get("items"), dict):
        return field_paths(node["items"], prefix)
    for variant in node.get("anyOf", []) + node.get("oneOf", []):
        if isinstance(variant, dict):
            paths |= field_paths(variant, prefix)
    for key, child in (node.get("properties") or {}).items():
        path = f"{prefix}{key}"
        paths.add(path)
        if isinstance(child, dict):
            paths |= field_paths(child, f"{path}.")
    return paths


def required_paths(node: dict[str, Any], prefix: str = "") -> set[str]:
    """Dotted paths the schema requires (a nested path counts when its parents are required too)."""
    if node.get("type") == "array" and isinstance(node.get("items"), dict):
        return required_paths(node["items"], prefix)
    out: set[str] = set()
    props = node.get("properties") or {}
    for key in node.get("required", []):
        path = f"{prefix}{key}"
        out.add(path)
        if isinstance(props.get(key), dict):
            out |= required_paths(props[key], f"{path}.")
    return out


# ---- validation -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One way a payload breaks its contract: the dotted path of the bad field (array items by index,
    `results.3.login.uuid`, as the TypeScript side names them) and what is wrong with it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ContractViolation(ValueError):
    """A payload does not match its generated JSON Schema; `violations` lists every bad field."""

    def __init__(self, name: str, found: list[Violation]) -> None:
        listed = [str(v) for v in found[:MAX_LISTED]]
        if len(found) > MAX_LISTED:
            listed.append(f"and {len(found) - MAX_LISTED} more")
        super().__init__(f"not a valid {name}: {'; '.join(listed)}")
        self.name = name
        self.violations = found


@cache
def _validator(name: str) -> Any:
    """The validator of the draft the schema names (`$schema`), the schema itself checked once."""
    contract = schema(name)
    cls = validators.validator_for(contract)
    cls.check_schema(contract)
    return cls(contract, format_checker=cls.FORMAT_CHECKER)


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _dotted(parts: Any) -> str:
    return ".".join(str(p) for p in parts)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def violations(name: str, payload: Any) -> list[Violation]:
    """Every field of `payload` that breaks the generated schema `name`, by path; empty when it matches."""
    found: set[Violation] = set()
    for err in _validator(name).iter_errors(payload):
        at = _dotted(err.absolute_path)
        if err.validator == "required" and isinstance(err.instance, dict):
            # jsonschema reports a missing field at its parent; name the field itself.
            found |= {Violation(_join(at, k), "is required") for k in err.validator_value if k not in err.instance}
        elif err.validator == "additionalProperties" and isinstance(err.instance, dict):
            declared = err.schema.get("properties") or {}
            found |= {Violation(_join(at, k), "is not in the contract") for k in err.instance if k not in declared}
        elif err.validator in ("pattern", "format"):
            found.add(Violation(at or "(root)", f"{_short(err.instance)} is not a valid {err.schema.get('format', 'value')}"))
        else:
            message = err.message if len(err.message) <= 160 else f"{err.message[:157]}..."
            found.add(Violation(at or "(root)", message))
    return sorted(found, key=_document_order)


def _document_order(v: Violation) -> tuple[tuple[tuple[int, int | str], ...], str]:
    """Array items by index (results.2 before results.10), fields by name."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in v.path.split(".")), v.message


def validate(name: str, payload: Any) -> None:
    """Raises ContractViolation, naming every bad field, unless `payload` matches the generated schema `name`."""
    found = violations(name, payload)
    if found:
        raise ContractViolation(name, found)
