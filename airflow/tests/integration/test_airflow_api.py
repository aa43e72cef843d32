"""The stack's Airflow answers on its port, authenticates the admin user, and lists the DAGs without import errors."""

from __future__ import annotations

import requests
from conftest import wait_for

EXPECTED_DAGS = {"users_backfill", "users_daily_aggregates", "user_automation"}


def test_health_is_public_and_every_part_is_healthy(airflow_api):
    body = requests.get(f"{airflow_api}/api/v2/monitor/health", timeout=10).json()
    for part in ("metadatabase", "scheduler", "dag_processor"):
        assert body[part]["status"] == "healthy", body


def test_the_api_refuses_anonymous_requests(airflow_api):
    assert requests.get(f"{airflow_api}/api/v2/dags", timeout=10).status_code == 401


def test_wrong_password_gets_no_token(airflow_api):
    res = requests.post(f"{airflow_api}/auth/token", json={"username": "admin", "password": "wrong"}, timeout=10)
    assert res.status_code == 401


def test_dags_are_listed_without_import_errors(airflow_api, admin_token):
    headers = {"Authorization": f"Bearer {admin_token}"}
    version = requests.get(f"{airflow_api}/api/v2/version", headers=headers, timeout=10).json()
    assert version["version"].startswith("3.")

    def listed():
        res = requests.get(f"{airflow_api}/api/v2/dags", headers=headers, params={"limit": 100}, timeout=10)
        res.raise_for_status()
        ids = {d["dag_id"] for d in res.json()["dags"]}
        return ids if EXPECTED_DAGS <= ids else None

    # The dag-processor parses the folder right after start; a fresh stack may need a few seconds more.
    ids = wait_for("the three DAGs listed by the API", listed, timeout=120, interval=3)
    assert EXPECTED_DAGS <= ids
    errors = requests.get(f"{airflow_api}/api/v2/importErrors", headers=headers, timeout=10).json()
    assert errors["total_entries"] == 0, errors["import_errors"]
    for dag_id in EXPECTED_DAGS:
        dag = requests.get(f"{airflow_api}/api/v2/dags/{dag_id}", headers=headers, timeout=10).json()
        assert dag["has_import_errors"] is False
