"""The Python mirror of libs/contracts: topic names and JSON Schemas, read from the generated files.

`libs/contracts/generated/` is written from the TypeScript zod contracts and committed; this module
only reads it, so a renamed topic or field shows up here (and in tests/unit/test_contracts_drift.py)
instead of as a silently empty column downstream.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

_DEFAULT_DIR = Path(__file__).resolve().parents[3] / "libs" / "contracts" / "generated"


def generated_dir() -> Path:
    """Where the generated contracts live; SPARKFLOW_CONTRACTS_DIR overrides it (e.g. in an image)."""
    return Path(os.environ.get("SPARKFLOW_CONTRACTS_DIR", _DEFAULT_DIR))


@cache
def _load(name: str) -> dict[str, Any]:
    path = generated_dir() / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise FileNotFoundError(
            f"{path} is missing: run the contracts `generate` target (nx run contracts:generate)"
        ) from err


def topics() -> dict[str, str]:
    """Logical name → Kafka topic, e.g. {"usersRaw": "users.raw", ...}."""
    return dict(_load("topics.json")["topics"])


def topic(key: str) -> str:
    names = topics()
    if key not in names:
        raise KeyError(f"no topic {key!r} in topics.json; known: {sorted(names)}")
    return names[key]


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of a topic payload or API shape, by file stem (e.g. "users.raw", "randomuser-response")."""
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
