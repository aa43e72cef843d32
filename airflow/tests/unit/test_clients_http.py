"""The DAGs' HTTP clients against a local server standing in for the services: every path segment reaches
the server whole whatever a seed holds, and an answer no retry can change fails the task at once while one
that passes with time is left to the task's retries."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import pytest
import requests

# The characters a URL gives a meaning to, or that a server may decode or refuse, and some that need UTF-8.
HOSTILE = "/#?%&+=;:@!$'()*,[] \\\"<>^`{|}~.-_é€😀\u00a0"


def hostile_ids(n: int, seed: int = 20261202) -> list[str]:
    """Seeded, bounded: batch ids as ingestion names them (`backfill-<seed>-<day>`) with free-text seeds."""
    rnd = random.Random(seed)
    ids = ["backfill-x/a#f-2026-11-12", "backfill-%-2026-11-12", "backfill-?a=b&c-2026-11-12", "backfill-..-2026-11-12",
           "backfill-%2F%zz-2026-11-12"]
    for _ in range(n):
        seed_text = "".join(rnd.choice(HOSTILE + "ab") for _ in range(rnd.randint(1, 12)))
        ids.append(f"backfill-{seed_text}-2026-11-{rnd.randint(1, 30):02d}")
    return ids


class Server:
    """Answers every request with the next (status, body) of `answers` (200 `{}` once they run out) and
    records each raw request line's path."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.answers: list[tuple[int, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                outer.paths.append(self.path)
                status, body = outer.answers.pop(0) if outer.answers else (200, {"path": self.path})
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer  # noqa: N815 - http.server's naming

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.port = self.httpd.server_address[1]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch) -> Iterator[Server]:
    s = Server()
    conn = json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": s.port, "extra": {"x-api-key": "k"}})
    for name in ("SPARKFLOW_AUDIT", "SPARKFLOW_INGESTION", "SPARKFLOW_RANDOMUSER"):
        monkeypatch.setenv(f"AIRFLOW_CONN_{name}", conn)
    yield s
    s.close()


def test_every_batch_id_reaches_the_audit_as_one_whole_segment(server):
    from sparkflow_airflow.clients import AuditClient, IngestionClient

    ids = hostile_ids(200)
    for batch in ids:
        AuditClient().batch(batch)
    IngestionClient().backfill("a/b#c?d%e")
    assert len(server.paths) == len(ids) + 1
    for batch, raw in zip([*ids, "a/b#c?d%e"], server.paths, strict=True):
        assert "?" not in raw and "#" not in raw, raw
        _, v1, resource, segment = raw.split("/")
        assert (v1, resource) in {("v1", "batches"), ("v1", "backfills")}
        # What the server's router decodes (decodeURIComponent) is the id, byte for byte.
        assert unquote(segment, errors="strict") == batch, raw


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 415, 422])
def test_a_refused_backfill_request_fails_at_once(server, status):
    from airflow.sdk.exceptions import AirflowFailException
    from sparkflow_airflow.clients import IngestionClient

    server.answers.append((status, {"statusCode": status, "message": "to must not be before from"}))
    with pytest.raises(AirflowFailException, match=f"answered {status}"):
        IngestionClient().start_backfill(day="2026-11-01", per_day=5, seed="s", source="synthetic")


def test_a_refusal_in_the_error_model_fails_naming_its_code_and_each_field(server):
    from airflow.sdk.exceptions import AirflowFailException
    from sparkflow_airflow.clients import IngestionClient

    too_big = "Too big: expected number to be <=100000"
    reasons = [
        {"code": "SCHEMA_INVALID", "message": too_big, "path": "perDay"},
        {"code": "SCHEMA_INVALID", "message": "Invalid ISO date", "path": "from"},
    ]
    body = {"statusCode": 400, "code": "SCHEMA_INVALID", "message": "invalid request", "reasons": reasons}
    server.answers.append((400, {**body, "errors": [{"path": r["path"], "message": r["message"]} for r in reasons]}))
    with pytest.raises(AirflowFailException) as raised:
        IngestionClient().start_backfill(day="2026-11-01", per_day=100_001, seed="s", source="synthetic")
    assert str(raised.value).endswith(
        f"answered 400 (not retried: SCHEMA_INVALID: invalid request (perDay: {too_big}; from: Invalid ISO date))"
    )


def test_a_refusal_about_the_whole_body_names_its_message_alone(server):
    from airflow.sdk.exceptions import AirflowFailException
    from sparkflow_airflow.clients import IngestionClient

    reasons = [
        {"code": "MALFORMED_JSON", "message": "the body is empty", "path": ""},
        {"code": "SCHEMA_INVALID", "message": "no part named", "path": None},
        {"code": "SCHEMA_INVALID", "message": "Invalid ISO date", "path": "from"},
    ]
    server.answers.append((400, {"statusCode": 400, "code": "MALFORMED_JSON", "message": "bad", "reasons": reasons}))
    with pytest.raises(AirflowFailException) as raised:
        IngestionClient().start_backfill(day="2026-11-01", per_day=1, seed="s", source="synthetic")
    assert str(raised.value).endswith(
        "answered 400 (not retried: MALFORMED_JSON: bad (the body is empty; no part named; from: Invalid ISO date))"
    )


# Reasons as a server may send them, seeded: a path naming a field, the whole body (""), none (null), left
# out, or not text; messages of any characters, colons and semicolons included.
_NO_PART: list[object] = ["", None, 0, [], {}]
_TEXT = "abc:; _.-0é😀\t"


def _generated_reasons(n: int, seed: int = 20261203) -> list[tuple[dict, bool]]:
    rnd = random.Random(seed)
    cases: list[tuple[dict, bool]] = []
    for i in range(n):
        message = "".join(rnd.choice(_TEXT) for _ in range(rnd.randint(0, 12)))
        reason: dict = {"code": rnd.choice(["SCHEMA_INVALID", "MALFORMED_JSON"]), "message": message}
        kind = i % 3
        if kind == 0:
            reason["path"] = "".join(rnd.choice(_TEXT) for _ in range(rnd.randint(1, 8)))
        elif kind == 1:
            reason["path"] = rnd.choice(_NO_PART)
        cases.append((reason, kind == 0))
    return cases


@pytest.mark.parametrize(("reason", "names_a_part"), _generated_reasons(300))
def test_a_reason_names_its_part_before_its_message_or_is_its_message_alone(reason, names_a_part):
    from sparkflow_airflow.clients import reason_text

    text = reason_text(reason)
    if names_a_part:
        assert text == f"{reason['path']}: {reason['message']}"
    else:
        assert text == reason["message"]


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_an_answer_that_can_pass_is_left_to_the_retries(server, status):
    from airflow.sdk.exceptions import AirflowFailException
    from sparkflow_airflow.clients import AuditClient, IngestionClient

    server.answers += [(status, {"statusCode": status})] * 3
    for call in (
        lambda: IngestionClient().start_backfill(day="2026-11-01", per_day=5, seed="s", source="synthetic"),
        lambda: IngestionClient().push_users([]),
        lambda: AuditClient().batch("b"),
    ):
        with pytest.raises(requests.HTTPError) as raised:
            call()
        assert not isinstance(raised.value, AirflowFailException)


def test_a_connection_error_is_left_to_the_retries(monkeypatch):
    from sparkflow_airflow.clients import AuditClient

    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = closed.server_address[1]
    closed.server_close()
    monkeypatch.setenv("AIRFLOW_CONN_SPARKFLOW_AUDIT", json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": port}))
    with pytest.raises(requests.ConnectionError):
        AuditClient().batch("b")


def test_a_missing_batch_is_none_and_a_refused_key_names_the_connection(server):
    from airflow.sdk.exceptions import AirflowFailException
    from sparkflow_airflow.clients import AuditClient

    server.answers.append((404, {"statusCode": 404}))
    assert AuditClient().batch("not-yet") is None
    server.answers.append((401, {"statusCode": 401}))
    with pytest.raises(AirflowFailException, match="connection 'sparkflow_audit' needs a valid `x-api-key`"):
        AuditClient().batch("b")


def test_a_randomuser_connection_that_does_not_exist_fails_at_once_naming_it(monkeypatch):
    """A `randomuser_conn_id` nobody defined: AirflowNotFoundException was retried 4 times."""
    from airflow.sdk.exceptions import AirflowFailException
    from sparkflow_airflow.clients import RandomUserClient

    monkeypatch.delenv("AIRFLOW_CONN_NO_SUCH_MIRROR", raising=False)
    with pytest.raises(AirflowFailException, match=r"^Airflow connection 'no_such_mirror' does not exist \(not retried"):
        RandomUserClient("no_such_mirror").page(seed="s", page=1, size=1)


def test_the_settled_check_asks_the_audit_for_the_window_and_a_refusal_fails_at_once(server):
    from urllib.parse import parse_qs, urlsplit

    from airflow.sdk.exceptions import AirflowFailException
    from sparkflow_airflow.clients import AuditClient

    server.answers.append((200, {"settled": True, "pending": 0}))
    assert AuditClient().settled("2026-12-03T00:00:00.000Z", "2026-12-04T09:30:15.123Z") == {"settled": True, "pending": 0}
    url = urlsplit(server.paths[-1])
    assert url.path == "/v1/events/settled"
    assert parse_qs(url.query, strict_parsing=True) == {
        "from": ["2026-12-03T00:00:00.000Z"],
        "to": ["2026-12-04T09:30:15.123Z"],
    }
    reasons = [{"code": "SCHEMA_INVALID", "message": "must be after `from`", "path": "to"}]
    server.answers.append((400, {"statusCode": 400, "code": "SCHEMA_INVALID", "message": "bad query", "reasons": reasons}))
    with pytest.raises(AirflowFailException, match=r"answered 400 \(not retried: SCHEMA_INVALID: bad query \(to: must be after `from`\)\)"):
        AuditClient().settled("2026-12-04T00:00:00.000Z", "2026-12-03T00:00:00.000Z")
    server.answers.append((503, {"statusCode": 503}))
    with pytest.raises(requests.HTTPError):
        AuditClient().settled("2026-12-03T00:00:00.000Z", "2026-12-04T00:00:00.000Z")


def test_ingestion_is_asked_for_its_running_backfills(server):
    from urllib.parse import parse_qs, urlsplit

    from sparkflow_airflow.clients import IngestionClient

    server.answers.append((200, {"backfills": [], "truncated": False}))
    assert IngestionClient().running_backfills() == {"backfills": [], "truncated": False}
    url = urlsplit(server.paths[-1])
    assert (url.path, parse_qs(url.query, strict_parsing=True)) == ("/v1/backfills", {"status": ["running"]})
    # Kept to the backfills with a batch on some days: each end sent when given, alone or both.
    for days, sent in [
        (("2026-12-03", "2026-12-04"), {"from": ["2026-12-03"], "to": ["2026-12-04"]}),
        (("2026-12-03", None), {"from": ["2026-12-03"]}),
        ((None, "2026-12-04"), {"to": ["2026-12-04"]}),
    ]:
        server.answers.append((200, {"backfills": [], "truncated": True}))
        assert IngestionClient().running_backfills(*days) == {"backfills": [], "truncated": True}
        url = urlsplit(server.paths[-1])
        assert (url.path, parse_qs(url.query, strict_parsing=True)) == ("/v1/backfills", {"status": ["running"], **sent})
    server.answers.append((502, {"statusCode": 502}))
    with pytest.raises(requests.HTTPError):
        IngestionClient().running_backfills()
