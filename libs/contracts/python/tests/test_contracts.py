"""sparkflow_contracts against the committed libs/contracts/generated/ files."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import sparkflow_contracts as contracts
from sparkflow_contracts import ContractsMissing, ContractViolation, Violation

CONTRACTS_DIR = Path(__file__).resolve().parents[2]
# A real randomuser.me answer, the one the TypeScript contract tests parse too.
FIXTURE = json.loads((CONTRACTS_DIR / "src/fixtures/randomuser-response.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _fresh_caches():
    contracts._load.cache_clear()
    contracts._validator.cache_clear()
    yield
    contracts._load.cache_clear()
    contracts._validator.cache_clear()


def a_response() -> dict:
    return copy.deepcopy(FIXTURE)


def test_reads_the_generated_dir_beside_the_package_by_default(monkeypatch):
    monkeypatch.delenv("SPARKFLOW_CONTRACTS_DIR", raising=False)
    assert contracts.generated_dir() == CONTRACTS_DIR / "generated"
    assert contracts.topic("usersRaw") == "users.raw"


def test_sparkflow_contracts_dir_overrides_the_location(monkeypatch, tmp_path):
    (tmp_path / "topics.json").write_text(json.dumps({"topics": {"usersRaw": "elsewhere.raw"}}))
    monkeypatch.setenv("SPARKFLOW_CONTRACTS_DIR", str(tmp_path))
    assert contracts.topics() == {"usersRaw": "elsewhere.raw"}


def test_missing_generated_files_name_the_generate_target(monkeypatch, tmp_path):
    monkeypatch.setenv("SPARKFLOW_CONTRACTS_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(ContractsMissing, match=r"topics.json is missing: run `npx nx run contracts:generate`"):
        contracts.topics()
    with pytest.raises(ContractsMissing, match="contracts:generate"):
        contracts.schema("users.raw")


def test_an_unknown_topic_names_the_known_ones():
    with pytest.raises(KeyError, match=r"no topic 'usersCooked'.*'usersDlq', 'usersEnriched'"):
        contracts.topic("usersCooked")


def test_an_unknown_schema_names_the_known_ones():
    assert {"users.raw", "users.enriched", "users.dlq", "users.persisted", "randomuser-response"} <= set(
        contracts.schema_names()
    )
    with pytest.raises(KeyError, match=r"no schema 'users.cooked'.*'randomuser-response'"):
        contracts.schema("users.cooked")


def test_every_topic_has_an_object_schema():
    for name in contracts.topics().values():
        assert contracts.schema(name)["type"] == "object", name


def test_field_and_required_paths_follow_objects_arrays_and_unions():
    node = {
        "type": "object",
        "required": ["a", "list"],
        "properties": {
            "a": {"type": "object", "required": ["b"], "properties": {"b": {"type": "string"}, "c": {"type": "string"}}},
            "list": {"type": "array", "items": {"type": "object", "required": ["id"], "properties": {"id": {}}}},
            "u": {"anyOf": [{"type": "null"}, {"type": "object", "properties": {"v": {"type": "integer"}}}]},
        },
    }
    assert contracts.field_paths(node) == {"a", "a.b", "a.c", "list", "list.id", "u", "u.v"}
    assert contracts.required_paths(node) == {"a", "a.b", "list", "list.id"}


def test_a_real_randomuser_answer_matches_its_contract():
    assert contracts.violations("randomuser-response", a_response()) == []
    contracts.validate("randomuser-response", a_response())


def test_a_missing_field_is_named_by_its_own_path():
    body = a_response()
    del body["results"][1]["login"]["uuid"]
    assert contracts.violations("randomuser-response", body) == [Violation("results.1.login.uuid", "is required")]


def test_a_field_the_contract_does_not_declare_is_named():
    body = a_response()
    body["results"][0]["login"]["nickname"] = "x"
    assert contracts.violations("randomuser-response", body) == [
        Violation("results.0.login.nickname", "is not in the contract")
    ]


def test_a_malformed_value_is_named_without_the_pattern():
    body = a_response()
    body["results"][0]["login"]["uuid"] = "not-a-uuid"
    body["results"][0]["location"]["street"]["number"] = "12"
    found = contracts.violations("randomuser-response", body)
    assert found == [
        Violation("results.0.location.street.number", "'12' is not of type 'integer'"),
        Violation("results.0.login.uuid", '"not-a-uuid" is not a valid uuid'),
    ]


def test_validate_raises_with_every_bad_field_in_the_message():
    body = a_response()
    del body["info"]
    body["results"][0]["email"] = ""
    with pytest.raises(ContractViolation) as raised:
        contracts.validate("randomuser-response", body)
    assert str(raised.value).startswith("not a valid randomuser-response: ")
    assert "info: is required" in str(raised.value)
    assert "results.0.email: " in str(raised.value)
    assert [v.path for v in raised.value.violations] == ["info", "results.0.email"]


def test_a_long_list_of_violations_is_cut_short():
    body = {"results": [{"login": {}} for _ in range(15)], "info": {"seed": "s", "results": 15, "page": 1, "version": "1.4"}}
    with pytest.raises(ContractViolation, match=r"results.9.login.uuid: is required; and 5 more$") as raised:
        contracts.validate("randomuser-response", body)
    assert len(raised.value.violations) == 15


def test_not_an_object_at_all_is_reported_at_the_root():
    assert contracts.violations("users.raw", ["not", "an", "event"]) == [
        Violation("(root)", "['not', 'an', 'event'] is not of type 'object'")
    ]


def test_max_age_years_is_the_generated_bound(monkeypatch, tmp_path):
    assert contracts.max_age_years() == json.loads((CONTRACTS_DIR / "generated/limits.json").read_text())["maxAgeYears"]
    (tmp_path / "limits.json").write_text(json.dumps({"maxAgeYears": "130"}))
    contracts._load.cache_clear()
    monkeypatch.setenv("SPARKFLOW_CONTRACTS_DIR", str(tmp_path))
    with pytest.raises(ValueError, match=r"maxAgeYears in .*limits.json is '130', not a positive whole number"):
        contracts.max_age_years()


def test_cassandra_consistency_is_the_generated_level(monkeypatch, tmp_path):
    assert contracts.cassandra_consistency() == "LOCAL_QUORUM"
    (tmp_path / "cassandra.json").write_text(json.dumps({"consistency": "local_quorum"}))
    contracts._load.cache_clear()
    monkeypatch.setenv("SPARKFLOW_CONTRACTS_DIR", str(tmp_path))
    with pytest.raises(ValueError, match=r"consistency in .*cassandra.json is 'local_quorum', not a Cassandra"):
        contracts.cassandra_consistency()


def test_first_event_day_timestamp_base_is_the_generated_microseconds(monkeypatch, tmp_path):
    generated = json.loads((CONTRACTS_DIR / "generated/cassandra.json").read_text())["firstEventDayTimestampBase"]
    assert contracts.first_event_day_timestamp_base() == int(generated) == 253_402_300_800_000_000
    monkeypatch.setenv("SPARKFLOW_CONTRACTS_DIR", str(tmp_path))
    for bad, reason in ((253402300800000000, "not a whole number"), ("2.5e17", "not a whole number"),
                        (None, "not a whole number"), ("0", "not 253402300800000000 .*first-event-day.ts"),
                        ("253402300799999999", "not 253402300800000000 .*first-event-day.ts"),
                        ("253402300800000001", "not 253402300800000000 .*first-event-day.ts")):
        (tmp_path / "cassandra.json").write_text(json.dumps({"consistency": "LOCAL_QUORUM", "firstEventDayTimestampBase": bad}))
        contracts._load.cache_clear()
        with pytest.raises(ValueError, match=rf"firstEventDayTimestampBase in .*cassandra.json is .*{reason}"):
            contracts.first_event_day_timestamp_base()
