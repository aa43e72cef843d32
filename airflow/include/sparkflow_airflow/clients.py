"""HTTP clients of the SparkFlow services, built on Airflow connections (never literal hosts or keys).

Connections come from the environment the stack sets (`AIRFLOW_CONN_SPARKFLOW_INGESTION`, …) and are
only looked up when a task runs: constructing a client at DAG parse time would query the secrets
backends on every parse.
"""

from __future__ import annotations

from typing import Any

import sparkflow_contracts as contracts

INGESTION_CONN_ID = "sparkflow_ingestion"
AUDIT_CONN_ID = "sparkflow_audit"
RANDOMUSER_CONN_ID = "sparkflow_randomuser"

_TIMEOUT = {"timeout": 30}


def _hook(method: str, conn_id: str):
    from airflow.providers.http.hooks.http import HttpHook

    return HttpHook(method=method, http_conn_id=conn_id)


def _raise_for_status(res, conn_id: str) -> None:
    """A refused key names the connection to fix instead of a bare 401 (the key itself is never shown)."""
    if res.status_code == 401:
        raise PermissionError(
            f"{res.url} answered 401: connection {conn_id!r} needs a valid `x-api-key` in its extra ({res.text})"
        )
    res.raise_for_status()


def randomuser_people(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The people of a randomuser answer, once the whole body matches the `randomuser-response` contract
    (the check ingestion's own randomuser client makes): ContractViolation names every bad field, e.g.
    `results.3.login.uuid: is required`, so a page that is not randomuser-shaped is never pushed."""
    if isinstance(body, dict) and body.get("error"):
        raise RuntimeError(f"randomuser API error: {body['error']}")
    contracts.validate("randomuser-response", body)
    return list(body["results"])


def _get_or_none(conn_id: str, path: str) -> dict[str, Any] | None:
    """GET `path`: its JSON body, None on 404 (not there, or not yet), and any other failure raised."""
    res = _hook("GET", conn_id).run(path, extra_options={**_TIMEOUT, "check_response": False})
    if res.status_code == 404:
        return None
    _raise_for_status(res, conn_id)
    return res.json()


class IngestionClient:
    """ingestion's write API; the api key travels as the `x-api-key` extra of the connection."""

    def __init__(self, conn_id: str = INGESTION_CONN_ID) -> None:
        self.conn_id = conn_id

    def start_backfill(self, *, day: str, per_day: int, seed: str, source: str) -> dict[str, Any]:
        body = {"from": day, "to": day, "perDay": per_day, "seed": seed, "source": source}
        return _hook("POST", self.conn_id).run("/v1/backfills", json=body, extra_options=_TIMEOUT).json()

    def backfill(self, backfill_id: str) -> dict[str, Any] | None:
        """The backfill as every ingestion replica reads it (they keep backfills in PostgreSQL); None on 404."""
        return _get_or_none(self.conn_id, f"/v1/backfills/{backfill_id}")

    def push_users(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        return _hook("POST", self.conn_id).run("/v1/users", json={"results": results}, extra_options=_TIMEOUT).json()


class AuditClient:
    """The audit's query API; like ingestion's, it needs the `x-api-key` extra of the connection."""

    def __init__(self, conn_id: str = AUDIT_CONN_ID) -> None:
        self.conn_id = conn_id

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        """The batch's reconciliation counts, or None while the audit has not recorded any of its events."""
        return _get_or_none(self.conn_id, f"/v1/batches/{batch_id}")


class RandomUserClient:
    """A randomuser-compatible API: `?results=N&seed=S&page=P` returns the same people for the same
    (seed, page), which is what makes a rerun of user_automation land on the same login.uuid keys."""

    def __init__(self, conn_id: str = RANDOMUSER_CONN_ID) -> None:
        self.conn_id = conn_id

    def page(self, *, seed: str, page: int, size: int, nat: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"results": size, "seed": seed, "page": page}
        if nat:
            params["nat"] = nat
        return randomuser_people(_hook("GET", self.conn_id).run("", data=params, extra_options=_TIMEOUT).json())
