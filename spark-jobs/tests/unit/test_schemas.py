"""Drift test: every field a job reads must exist in its contract with the Spark type the job expects."""
import copy

import pytest
import sparkflow_contracts as contracts
from pyspark.sql.types import ArrayType, DoubleType, LongType, StringType, StructField, StructType
from sparkflow_jobs.schemas import READS, ContractError, envelope_schema, flat_types, struct_for


@pytest.mark.parametrize("contract", sorted(READS))
def test_spark_schema_matches_its_json_schema(contract):
    built = flat_types(envelope_schema(contract))
    assert built == READS[contract], f"{contract}: contract types drifted from what the jobs read"


def test_every_contract_a_job_reads_is_a_topic():
    assert set(READS) <= set(contracts.topics().values())


SAMPLE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "n": {"type": "integer"},
        "score": {"type": "number"},
        "code": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "postcode": {"type": ["integer", "string"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "geo": {"type": "object", "properties": {"lat": {"type": ["number", "null"]}}},
    },
}


def test_converter_maps_json_types():
    got = struct_for(SAMPLE, ["id", "n", "score", "code", "postcode", "tags", "geo.lat"])
    assert got == StructType([
        StructField("id", StringType()),
        StructField("n", LongType()),
        StructField("score", DoubleType()),
        StructField("code", StringType()),
        StructField("postcode", StringType()),
        StructField("tags", ArrayType(StringType())),
        StructField("geo", StructType([StructField("lat", DoubleType())])),
    ])


def test_a_removed_field_fails():
    broken = copy.deepcopy(contracts.schema("users.enriched"))
    del broken["properties"]["payload"]["properties"]["countryCode"]
    with pytest.raises(ContractError, match="payload.countryCode"):
        struct_for(broken, list(READS["users.enriched"]))


def test_a_changed_type_is_drift():
    changed = copy.deepcopy(contracts.schema("users.raw"))
    changed["properties"]["payload"]["properties"]["location"]["properties"]["street"]["properties"]["number"] = {"type": "string"}
    assert flat_types(struct_for(changed, list(READS["users.raw"]))) != READS["users.raw"]
