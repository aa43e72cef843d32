"""Spark schemas of the Kafka topics, built from the contracts in libs/contracts/generated.

The contracts' JSON Schemas are the one source of truth (STYLE §8), read through sparkflow_contracts
(libs/contracts/python), the reader Airflow uses too. Each job declares the fields it reads
(`*_FIELDS`: dotted path -> the Spark type the job expects); the StructType is built from the JSON
Schema, restricted to those paths, so a field the job reads that disappears from the contract
raises here, and tests/unit/test_schemas.py fails when its type drifts from what the job expects.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sparkflow_contracts as contracts
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DataType,
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
)


class ContractError(ValueError):
    """The contract does not have a field a job reads, or has it with a type Spark cannot take."""


_SCALARS: dict[str, DataType] = {
    "string": StringType(),
    "integer": LongType(),  # JSON Schema integers go up to 2^53: int would overflow
    "number": DoubleType(),
    "boolean": BooleanType(),
}


def _types_of(node: Mapping[str, Any]) -> list[str]:
    """The non-null JSON types a node allows, from `type` (string or list) or `anyOf`."""
    if "anyOf" in node:
        out: list[str] = []
        for alt in node["anyOf"]:
            out += [t for t in _types_of(alt) if t not in out]
        return out
    t = node.get("type")
    if t is None and "properties" in node:
        t = "object"
    types = t if isinstance(t, list) else [t] if t else []
    return [x for x in types if x != "null"]


def _object_node(node: Mapping[str, Any]) -> Mapping[str, Any]:
    if "anyOf" in node:
        for alt in node["anyOf"]:
            if "properties" in alt:
                return alt
    return node


def to_spark_type(node: Mapping[str, Any]) -> DataType:
    """JSON Schema node -> Spark type. Mixed scalars (e.g. postcode integer|string) become string:
    Spark's JSON reader keeps a number's text for a string field, so "EC1A 1BB" and 12345 both survive."""
    types = _types_of(node)
    if not types:
        raise ContractError(f"schema node without a type: {json.dumps(node)[:120]}")
    if types == ["object"]:
        obj = _object_node(node)
        return StructType(
            [StructField(k, to_spark_type(v), True) for k, v in obj.get("properties", {}).items()]
        )
    if types == ["array"]:
        return ArrayType(to_spark_type(node.get("items", {"type": "string"})), True)
    if "object" in types or "array" in types:
        raise ContractError(f"cannot map a union of {types} to one Spark type")
    if len(types) == 1:
        return _SCALARS[types[0]]
    if set(types) <= {"integer", "number"}:
        return DoubleType()
    return StringType()


def _node_at(schema: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    node: Mapping[str, Any] = schema
    for part in path.split("."):
        props = _object_node(node).get("properties", {})
        if part not in props:
            raise ContractError(f"contract has no field {path!r} (missing {part!r})")
        node = props[part]
    return node


def struct_for(schema: Mapping[str, Any], paths: list[str]) -> StructType:
    """The StructType of `schema` holding only the dotted `paths`, nested as in the contract."""
    tree: dict[str, Any] = {}
    for path in paths:
        parts = path.split(".")
        cur = tree
        for p in parts[:-1]:
            cur = cur.setdefault(p, {})
            if not isinstance(cur, dict):
                raise ContractError(f"{path!r} goes through a scalar field")
        cur[parts[-1]] = to_spark_type(_node_at(schema, path))

    def build(sub: dict[str, Any]) -> StructType:
        return StructType(
            [StructField(k, build(v) if isinstance(v, dict) else v, True) for k, v in sub.items()]
        )

    return build(tree)


def flat_types(struct: StructType, prefix: str = "") -> dict[str, DataType]:
    """Dotted path -> leaf type of a StructType (the inverse of struct_for's paths)."""
    out: dict[str, DataType] = {}
    for f in struct.fields:
        if isinstance(f.dataType, StructType):
            out.update(flat_types(f.dataType, f"{prefix}{f.name}."))
        else:
            out[f"{prefix}{f.name}"] = f.dataType
    return out


# ---- what each job reads, and the Spark type it expects -------------------------------------------

ENRICHED_FIELDS: dict[str, DataType] = {
    "eventId": StringType(),
    "producedAt": StringType(),
    "payload.userId": StringType(),
    "payload.countryCode": StringType(),
    "payload.ageBand": StringType(),
}

RAW_FIELDS: dict[str, DataType] = {
    "eventId": StringType(),
    "producedAt": StringType(),
    "payload.login.uuid": StringType(),
    "payload.login.username": StringType(),
    "payload.name.first": StringType(),
    "payload.name.last": StringType(),
    "payload.gender": StringType(),
    "payload.location.street.number": LongType(),
    "payload.location.street.name": StringType(),
    "payload.location.city": StringType(),
    "payload.location.state": StringType(),
    "payload.location.country": StringType(),
    "payload.location.postcode": StringType(),
    "payload.email": StringType(),
    "payload.dob.date": StringType(),
    "payload.registered.date": StringType(),
    "payload.phone": StringType(),
    "payload.picture.medium": StringType(),
}

# contract file name -> fields read from it
READS: dict[str, dict[str, DataType]] = {
    "users.enriched": ENRICHED_FIELDS,
    "users.raw": RAW_FIELDS,
}


def envelope_schema(contract: str) -> StructType:
    """The StructType a job passes to from_json for `contract` (e.g. "users.enriched")."""
    return struct_for(contracts.schema(contract), list(READS[contract]))
