"""HTTP clients of the SparkFlow services, built on Airflow connections (never literal hosts or keys).

Connections come from the environment the stack sets (`AIRFLOW_CONN_SPARKFLOW_INGESTION`, …) and are
only looked up when a task runs: constructing a client at DAG parse time would query the secrets
backends on every parse.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import sparkflow_contracts as contracts

INGESTION_CONN_ID = "sparkflow_ingestion"
AUDIT_CONN_ID = "sparkflow_audit"
RANDOMUSER_CONN_ID = "sparkflow_randomuser"

_TIMEOUT = {"timeout": 30}


def _hook(method: str, conn_id: str):
    from airflow.providers.http.hooks.http import HttpHook

    return HttpHook(method=method, http_conn_id=conn_id)


def _not_found_errors() -> tuple[type[BaseException], ...]:
    """AirflowNotFoundException as the Task SDK and, when it is another class, Airflow core raise it."""
    from airflow.sdk.exceptions import AirflowNotFoundException

    found: list[type[BaseException]] = [AirflowNotFoundException]
    try:
        from airflow.exceptions import AirflowNotFoundException as CoreNotFound

        found.append(CoreNotFound)
    except ImportError:  # pragma: no cover - the core class is the SDK's in some releases
        pass
    return tuple(found)


def _run(method: str, conn_id: str, endpoint: str, **kwargs: Any):  # noqa: ANN202 - requests.Response
    """The hook's request on `conn_id`; a connection that does not exist fails the task at once, naming it
    (no retry defines it)."""
    try:
        return _hook(method, conn_id).run(endpoint, **kwargs)
    except _not_found_errors() as err:
        raise _refused(
            f"Airflow connection {conn_id!r} does not exist (not retried: define it or pass another): {err}"
        ) from err


def api_path(*segments: str) -> str:
    """An API path from its segments, each percent-encoded whole (`encodeURIComponent`, as the CLI does): a
    batch id holding `/`, `#`, `?` or `%` (seeds are free text) reaches the server as one segment, unchanged."""
    return "".join(f"/{quote(str(s), safe='')}" for s in segments)


# A 4xx is the request's fault and is refused again however often it is sent, except these: 408 (the body
# was too slow) and 429 (over the rate limit) pass with time.
_RETRYABLE_4XX = frozenset({408, 429})


def _refused(message: str) -> Exception:
    """An error that fails the task at once, without its retries (Airflow's AirflowFailException)."""
    from airflow.sdk.exceptions import AirflowFailException

    return AirflowFailException(message)


def reason_text(reason: dict[str, Any]) -> str:
    """One reason of the error model as a task's failure names it: `path: message` for a reason about a
    field (`perDay: Too big: …`), its message alone for one about the whole body (`path: ""`) or naming no
    part (`null`, or no path), as the CLI prints them."""
    path = reason.get("path")
    message = reason.get("message")
    return f"{path}: {message}" if isinstance(path, str) and path else str(message)


def _refusal_detail(res) -> str:
    """What a refused request's body says. In SparkFlow's error model (`{statusCode, code, message, reasons:
    [{code, message, path}]}`), its code, message and each reason (`reason_text`:
    `SCHEMA_INVALID: invalid request (perDay: Too big: …)`, `MALFORMED_JSON: … (the body is empty)` for one
    about the whole body); any other body as sent. At most 1,000 characters either way."""
    try:
        body = res.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), str) and isinstance(body.get("reasons"), list):
        reasons = "; ".join(reason_text(r) for r in body["reasons"] if isinstance(r, dict))
        return f"{body['code']}: {body.get('message')} ({reasons})"[:1000]
    return res.text[:1000]


def _raise_for_status(res, conn_id: str) -> None:
    """Raises for an answer that is not 2xx. A 4xx that no retry can change fails the task at once, naming
    the status and the server's refusal (`_refusal_detail`: its code and the field at fault; a refused key
    also names the connection to fix, never the key); a 5xx (503 included), 408 or 429 is raised as
    requests' HTTPError, which the task's retries apply to."""
    status = res.status_code
    if status == 401:
        raise _refused(
            f"{res.url} answered 401: connection {conn_id!r} needs a valid `x-api-key` in its extra ({res.text})"
        )
    if 400 <= status < 500 and status not in _RETRYABLE_4XX:
        raise _refused(f"{res.request.method} {res.url} answered {status} (not retried: {_refusal_detail(res)})")
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
    res = _run("GET", conn_id, path, extra_options={**_TIMEOUT, "check_response": False})
    if res.status_code == 404:
        return None
    _raise_for_status(res, conn_id)
    return res.json()


def _post(conn_id: str, path: str, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """POST `body` as JSON (with `headers` besides the connection's): the answer's JSON body, or raised as
    `_raise_for_status` says."""
    res = _run("POST", conn_id, path, json=body, headers=headers, extra_options={**_TIMEOUT, "check_response": False})
    _raise_for_status(res, conn_id)
    return res.json()


class IngestionClient:
    """ingestion's write API; the api key travels as the `x-api-key` extra of the connection."""

    def __init__(self, conn_id: str = INGESTION_CONN_ID) -> None:
        self.conn_id = conn_id

    def start_backfill(
        self, *, day: str, per_day: int, seed: str, source: str, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Starts a backfill of one day. Under an `idempotency_key` (ingestion's `Idempotency-Key`) the same
        request sent again, after a timeout or by a retry of the task, answers the backfill the first one
        started and starts nothing more; the same key with another body is refused (422)."""
        body = {"from": day, "to": day, "perDay": per_day, "seed": seed, "source": source}
        headers = None if idempotency_key is None else {"Idempotency-Key": idempotency_key}
        return _post(self.conn_id, "/v1/backfills", body, headers)

    def backfill(self, backfill_id: str) -> dict[str, Any] | None:
        """The backfill as every ingestion replica reads it (they keep backfills in PostgreSQL); None on 404."""
        return _get_or_none(self.conn_id, api_path("v1", "backfills", backfill_id))

    def running_backfills(self, first_day: str | None = None, last_day: str | None = None) -> dict[str, Any]:
        """The backfills still producing, the oldest request first (`GET /v1/backfills?status=running`):
        `{backfills: [...], truncated}`. Given `first_day` and/or `last_day` (ISO days, both included), only
        those with a batch on a day between them (`from`, `to`), `truncated` then counting those alone."""
        params = {"status": "running"}
        if first_day is not None:
            params["from"] = first_day
        if last_day is not None:
            params["to"] = last_day
        res = _run(
            "GET",
            self.conn_id,
            "/v1/backfills",
            data=params,
            extra_options={**_TIMEOUT, "check_response": False},
        )
        _raise_for_status(res, self.conn_id)
        return res.json()

    def push_users(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        return _post(self.conn_id, "/v1/users", {"results": results})


class AuditClient:
    """The audit's query API; like ingestion's, it needs the `x-api-key` extra of the connection."""

    def __init__(self, conn_id: str = AUDIT_CONN_ID) -> None:
        self.conn_id = conn_id

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        """The batch's reconciliation counts, or None while the audit has not recorded any of its events."""
        return _get_or_none(self.conn_id, api_path("v1", "batches", batch_id))

    def settled(self, start: str, end: str) -> dict[str, Any]:
        """Whether every event with an event time in [start, end) (ISO date-times) is persisted or
        dead-lettered, and what is not yet (`GET /v1/events/settled`, ADR 23)."""
        return self._window("/v1/events/settled", start, end)

    def late_days(self, start: str, end: str) -> dict[str, Any]:
        """The days whose events were persisted or dead-lettered with a broker append time in [start, end), and
        whether the audit has read every such record appended before `end` (`GET /v1/events/late-days`)."""
        return self._window("/v1/events/late-days", start, end)

    def _window(self, path: str, start: str, end: str) -> dict[str, Any]:
        res = _run(
            "GET", self.conn_id, path, data={"from": start, "to": end}, extra_options={**_TIMEOUT, "check_response": False}
        )
        _raise_for_status(res, self.conn_id)
        return res.json()


class RandomUserClient:
    """A randomuser-compatible API: `?results=N&seed=S&page=P` returns the same people for the same
    (seed, page), which is what makes a rerun of user_automation land on the same login.uuid keys."""

    def __init__(self, conn_id: str = RANDOMUSER_CONN_ID) -> None:
        self.conn_id = conn_id

    def page(self, *, seed: str, page: int, size: int, nat: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"results": size, "seed": seed, "page": page}
        if nat:
            params["nat"] = nat
        res = _run("GET", self.conn_id, "", data=params, extra_options={**_TIMEOUT, "check_response": False})
        _raise_for_status(res, self.conn_id)
        return randomuser_people(res.json())
