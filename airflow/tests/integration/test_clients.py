"""The DAGs' HTTP clients against the stack's running services, with the connections deploy/local defines."""

from __future__ import annotations

import json
import random
import time

import pytest
from conftest import conn


def test_the_audit_connection_carries_a_key_the_audit_accepts():
    from sparkflow_airflow.clients import AuditClient

    # 404 (None), not 401: the key in the connection's extra got the request past the audit's guard.
    assert AuditClient().batch(f"no-such-batch-{time.time_ns()}") is None


def test_an_audit_connection_without_a_key_fails_at_once_naming_the_connection(monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException
    from sparkflow_airflow.clients import AuditClient

    keyless = {k: v for k, v in conn("sparkflow_audit").items() if k != "extra"}
    monkeypatch.setenv("AIRFLOW_CONN_SPARKFLOW_AUDIT_KEYLESS", json.dumps(keyless))
    with pytest.raises(AirflowFailException, match="'sparkflow_audit_keyless' needs a valid `x-api-key`"):
        AuditClient("sparkflow_audit_keyless").batch("any-batch")


# The characters a URL gives a meaning to or a server may refuse to decode, and some that need UTF-8.
HOSTILE = "/#?%&+=;:@!$'()*,[] \\\"<>^`{|}~.é€😀"


def hostile_seeds(n: int, seed: int = 20261202) -> list[str]:
    """Seeded and bounded: the seeds of the reported failures, then random ones over HOSTILE."""
    rnd = random.Random(seed)
    seeds = ["x/a#f", "%", "a?b", "%zz", "%2F"]
    seeds += ["".join(rnd.choice(HOSTILE + "ab") for _ in range(rnd.randint(1, 10))) for _ in range(n)]
    return [f"{s}-{time.time_ns()}" for s in seeds]


def test_the_audit_finds_every_batch_whatever_its_seed_holds():
    """Batches named by hostile seeds (one synthetic person each, through the real pipeline): AuditClient
    reads each one back under its own id, as the backfill's sensor does."""
    import requests
    from conftest import http_base, http_headers, wait_for
    from sparkflow_airflow.clients import AuditClient

    seeds = hostile_seeds(15)
    for seed in seeds:
        res = requests.post(f"{http_base('sparkflow_ingestion')}/v1/synthetic", json={"count": 1, "seed": seed, "page": 1},
                            headers=http_headers("sparkflow_ingestion"), timeout=30)
        assert res.status_code == 202, res.text
        assert res.json()["batchId"] == f"synthetic-{seed}-p1-n1"
    audit = AuditClient()
    for seed in seeds:
        batch = f"synthetic-{seed}-p1-n1"
        report = wait_for(f"the audit's report of {batch!r}", lambda b=batch: audit.batch(b), timeout=60)
        assert report["batchId"] == batch
        assert report["ingested"] == 1
