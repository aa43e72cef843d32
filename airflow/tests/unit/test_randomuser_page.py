"""What user_automation accepts from a randomuser-compatible API before pushing it to ingestion: the
`randomuser-response` contract, checked whole by sparkflow_contracts, every bad field named."""

from __future__ import annotations

import pytest
from sparkflow_airflow.automation import natural_ids
from sparkflow_airflow.clients import randomuser_people
from sparkflow_contracts import ContractViolation

UUIDS = ["5f0c8a8e-1d3c-4a7b-9a53-0c8f9b6a2e11", "0b7d9c52-6c1e-4f7e-8a8e-2f3b1c4d5e6f"]


def a_page(*people: dict) -> dict:
    return {"results": list(people), "info": {"seed": "s", "results": len(people), "page": 1, "version": "1.4"}}


def test_a_filtered_answer_needs_only_the_natural_id():
    # `inc`/`exc` may drop any top-level field but login (libs/contracts randomuser.ts).
    people = randomuser_people(a_page({"login": {"uuid": UUIDS[0]}}, {"login": {"uuid": UUIDS[1]}, "nat": "GB"}))
    assert natural_ids(people) == UUIDS


def test_a_person_without_login_uuid_refuses_the_page_naming_the_field():
    with pytest.raises(ContractViolation, match=r"^not a valid randomuser-response: results\.1\.login\.uuid: is required$"):
        randomuser_people(a_page({"login": {"uuid": UUIDS[0]}}, {"login": {"username": "x"}}))


def test_every_bad_field_of_the_page_is_named():
    bad = {"login": {"uuid": "42"}, "name": {"first": "", "last": "Li", "title": "Ms"}, "shoeSize": 9}
    with pytest.raises(ContractViolation) as raised:
        randomuser_people({"results": [bad]})
    assert [str(v) for v in raised.value.violations] == [
        "info: is required",
        "results.0.login.uuid: \"42\" is not a valid uuid",
        "results.0.name.first: '' should be non-empty",
        "results.0.shoeSize: is not in the contract",
    ]


def test_an_error_page_names_the_apis_error():
    with pytest.raises(RuntimeError, match="randomuser API error: Uh oh, something has gone wrong"):
        randomuser_people({"error": "Uh oh, something has gone wrong"})
