"""Fails when libs/contracts/generated/ and what the DAGs send or read drift apart."""

from __future__ import annotations

import re

from conftest import REPO_ROOT
from sparkflow_airflow import contracts
from sparkflow_airflow.automation import missing_required


def test_topic_names_come_from_topics_json():
    raw = (REPO_ROOT / "libs/contracts/generated/topics.json").read_text()
    assert contracts.topics() == {"usersRaw": "users.raw", "usersEnriched": "users.enriched",
                                  "usersDlq": "users.dlq", "usersPersisted": "users.persisted"}
    assert f'"{contracts.topic("usersDlq")}"' in raw


def test_every_topic_has_a_schema():
    for name in contracts.topics().values():
        assert contracts.schema(name)["type"] == "object", name


def test_the_natural_id_is_in_every_user_shape():
    # Idempotent upserts downstream key on login.uuid: the page user_automation pushes and the raw event must carry it.
    assert "results.login.uuid" in contracts.required_paths(contracts.schema("randomuser-response"))
    assert {"batchId", "payload.login.uuid"} <= contracts.required_paths(contracts.schema("users.raw"))


def test_what_user_automation_checks_exists_in_the_schema():
    declared = contracts.field_paths(contracts.schema("randomuser-response")["properties"]["results"])
    checked = set(missing_required({}))
    assert checked and checked <= declared
    # user_automation pushes {"results": [...]}, the randomuser response shape ingestion accepts.
    assert "results" in contracts.schema("randomuser-response")["required"]


def test_backfill_request_fields_match_ingestion():
    # The backfill request is not (yet) exported to generated/; until it is, read its zod object.
    src = (REPO_ROOT / "libs/ingestion-core/src/lib/backfills/backfills.service.ts").read_text()
    body = re.search(r"BackfillRequest = z\s*\.object\(\{(.*?)\}\)", src, re.S)
    assert body, "BackfillRequest zod object not found"
    fields = set(re.findall(r"^\s*(\w+):", body.group(1), re.M))
    assert fields == {"from", "to", "perDay", "seed", "source"}
    assert "backfill-${seed}-${day}" in src, "batch ids are backfill-<seed>-<day> (sparkflow_airflow.backfill.batch_id)"
