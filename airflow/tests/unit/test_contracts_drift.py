"""Fails when libs/contracts/generated/ and what the DAGs send or read drift apart."""

from __future__ import annotations

import re

import sparkflow_contracts as contracts
from conftest import REPO_ROOT


def test_topic_names_come_from_topics_json():
    raw = (REPO_ROOT / "libs/contracts/generated/topics.json").read_text()
    assert contracts.topics() == {"usersRaw": "users.raw", "usersEnriched": "users.enriched",
                                  "usersDlq": "users.dlq", "usersPersisted": "users.persisted"}
    assert f'"{contracts.topic("usersDlq")}"' in raw


def test_the_natural_id_is_in_every_user_shape():
    # Idempotent upserts downstream key on login.uuid: the page user_automation pushes and the raw event must carry it.
    assert "results.login.uuid" in contracts.required_paths(contracts.schema("randomuser-response"))
    assert {"batchId", "payload.login.uuid"} <= contracts.required_paths(contracts.schema("users.raw"))


def test_user_automation_pushes_the_shape_it_validated():
    # The page is checked against randomuser-response, then pushed as {"results": [...]}, the body ingestion accepts.
    assert "results" in contracts.schema("randomuser-response")["required"]


def test_backfill_request_fields_match_ingestion():
    # The backfill request is not (yet) exported to generated/; until it is, read its zod object.
    src = (REPO_ROOT / "libs/ingestion-core/src/lib/backfills/backfills.service.ts").read_text()
    # A strict object since ingestion refuses unknown fields: what the DAG sends must be exactly these.
    # `BackfillRequest` refines `BackfillFields`, the object that lists the fields.
    assert re.search(r"export const BackfillRequest = BackfillFields\b", src), "BackfillRequest is not BackfillFields"
    body = re.search(r"BackfillFields = z\s*\.(?:strictObject|object)\(\{(.*?)\}\)", src, re.S)
    assert body, "BackfillFields zod object not found"
    fields = set(re.findall(r"^\s*(\w+):", body.group(1), re.M))
    assert fields == {"from", "to", "perDay", "seed", "source"}
    ids = (REPO_ROOT / "libs/contracts/src/lib/backfills.ts").read_text()
    assert "backfill-${seed}-${day}" in ids, "batch ids are backfill-<seed>-<day> (sparkflow_airflow.backfill.batch_id)"


def test_the_earliest_backfill_day_is_ingestions():
    from sparkflow_airflow.backfill import EARLIEST_DAY

    src = (REPO_ROOT / "libs/ingestion-core/src/lib/backfills/backfills.service.ts").read_text()
    assert f"export const EARLIEST_BACKFILL_DAY = '{EARLIEST_DAY}';" in src
