"""Integration tests run against the stack `npm run stack -- up` started (any ports: the same env overrides).

The Airflow settings and AIRFLOW_CONN_* connections are taken from deploy/local itself
(scripts/stack-env.ts prints what the airflow component gives its processes), before Airflow is imported,
so `dag.test()` here runs with the stack's metadata DB and connections, not a hand-made copy.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from tenacity import RetryError, Retrying, retry_if_exception_type, retry_if_result, stop_after_delay, wait_fixed

REPO_ROOT = Path(__file__).resolve().parents[3]


def _stack_env() -> dict[str, str]:
    tsx = REPO_ROOT / "node_modules" / ".bin" / "tsx"
    out = subprocess.run(
        [str(tsx), "--tsconfig", str(REPO_ROOT / "tsconfig.base.json"), str(REPO_ROOT / "airflow/scripts/stack-env.ts")],
        cwd=REPO_ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


os.environ.update(_stack_env())
# Poll the audit every 2 s instead of the production 15 s.
os.environ.setdefault("SPARKFLOW_SENSOR_POKE_SECONDS", "2")
os.environ.setdefault("SPARKFLOW_SENSOR_TIMEOUT_SECONDS", "300")


def conn(name: str) -> dict[str, Any]:
    return json.loads(os.environ[f"AIRFLOW_CONN_{name.upper()}"])


def http_base(name: str) -> str:
    c = conn(name)
    return f"{c.get('schema') or 'http'}://{c['host']}:{c['port']}"


def http_headers(name: str) -> dict[str, str]:
    """The headers Airflow's HttpHook sends for a connection: its extra (the `x-api-key`)."""
    return dict(conn(name).get("extra") or {})


def batch_counts(batch_id: str) -> dict:
    """The audit's report of one batch (`GET /v1/batches/:id`), as the CLI and Airflow's clients read it."""
    res = requests.get(
        f"{http_base('sparkflow_audit')}/v1/batches/{quote(batch_id, safe='')}",
        headers=http_headers("sparkflow_audit"),
        timeout=10,
    )
    res.raise_for_status()
    return res.json()


def wait_for(what: str, fn, timeout: float = 60, interval: float = 1.0):
    """fn() until it answers something truthy, every `interval` s; an exception counts as "not yet". After
    `timeout` s, an AssertionError with what fn last answered or raised."""
    retrying = Retrying(
        stop=stop_after_delay(timeout),
        wait=wait_fixed(interval),
        retry=retry_if_exception_type(Exception) | retry_if_result(lambda answer: not answer),
    )
    try:
        return retrying(fn)
    except RetryError as gave_up:
        last = gave_up.last_attempt
        raise AssertionError(f"{what}: not true within {timeout}s (last: {last.exception() or last.result()!r})") from None


@pytest.fixture(scope="session")
def airflow_api() -> str:
    return os.environ["AIRFLOW__API__BASE_URL"]


@pytest.fixture(scope="session")
def admin_token(airflow_api) -> str:
    import requests

    user = os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].split(":")[0]
    password = json.loads(Path(os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]).read_text())[user]
    res = requests.post(f"{airflow_api}/auth/token", json={"username": user, "password": password}, timeout=10)
    assert res.status_code in (200, 201), res.text
    return res.json()["access_token"]


@pytest.fixture(scope="session")
def cassandra():
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import Cluster

    host, port = os.environ["CASSANDRA_CONTACT_POINTS"].split(",")[0].rsplit(":", 1)
    cluster = Cluster(
        [host], port=int(port),
        auth_provider=PlainTextAuthProvider(os.environ["CASSANDRA_USERNAME"], os.environ["CASSANDRA_PASSWORD"]),
    )
    session = cluster.connect(os.environ["CASSANDRA_KEYSPACE"])
    yield session
    cluster.shutdown()


@pytest.fixture(scope="session")
def analytics_db():
    """PostgreSQL as the DAGs' `sparkflow_analytics` connection reaches it (the app role)."""
    import psycopg2

    c = conn("sparkflow_analytics")
    db = psycopg2.connect(host=c["host"], port=c["port"], user=c["login"], password=c["password"], dbname=c["schema"])
    db.autocommit = True
    yield db
    db.close()
