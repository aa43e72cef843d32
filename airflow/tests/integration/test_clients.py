"""The DAGs' HTTP clients against the stack's running services, with the connections deploy/local defines."""

from __future__ import annotations

import json
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
