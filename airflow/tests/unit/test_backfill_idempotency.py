"""users_backfill's request_day against a local server standing in for ingestion: every try of one task
instance starts its backfill under the same Idempotency-Key, so a retry resumes it instead of starting a
second one; another run, or another day of the run, has a key of its own."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from conftest import DAGS_DIR
from sparkflow_airflow.backfill import backfill_idempotency_key


class Ingestion:
    """Answers POST /v1/backfills with a backfill of the day asked for, GET /v1/batches/... with 404, and
    records every request's method, path and headers."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.ids: dict[str | None, str] = {}  # one backfill per Idempotency-Key, as ingestion keeps them
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                outer.requests.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                if self.command == "POST":
                    key = self.headers.get("idempotency-key")
                    backfill = outer.ids.setdefault(key, f"backfill-{len(outer.requests)}") if key else (
                        f"backfill-{len(outer.requests)}")
                    status, answer = 202, {
                        "id": backfill,
                        "batches": [{"day": body["from"], "batchId": f"backfill-{body['seed']}-{body['from']}",
                                     "expected": body["perDay"], "produced": 0}],
                    }
                else:
                    status, answer = 404, {"statusCode": 404}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer  # noqa: N815 - http.server's naming

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def keys(self) -> list[str | None]:
        return [h.get("idempotency-key") for method, _, h in self.requests if method == "POST"]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def ingestion(monkeypatch) -> Iterator[Ingestion]:
    server = Ingestion()
    port = server.httpd.server_address[1]
    conn = json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": port, "extra": {"x-api-key": "k"}})
    for name in ("SPARKFLOW_AUDIT", "SPARKFLOW_INGESTION"):
        monkeypatch.setenv(f"AIRFLOW_CONN_{name}", conn)
    yield server
    server.close()


@pytest.fixture(autouse=True)
def kept(monkeypatch) -> dict:
    """The Airflow Variables request_day keeps baselines in, as a dict."""
    from sparkflow_airflow import backfill

    store: dict = {}
    monkeypatch.setattr(backfill.BaselineStore, "get", lambda self, i: store.get(i))
    monkeypatch.setattr(backfill.BaselineStore, "set", lambda self, i, v: store.__setitem__(i, v))
    return store


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR)).dags["users_backfill"]


RUN = "manual__2026-12-01T06:00:00.123456+00:00"


def ti(run_id: str = RUN, try_number: int = 1, map_index: int = 0) -> SimpleNamespace:
    return SimpleNamespace(dag_id="users_backfill", run_id=run_id, task_id="request_day", map_index=map_index,
                           try_number=try_number)


def request_day_of(dag):
    return dag.get_task("request_day").python_callable


def day(d: str = "2026-11-01") -> dict:
    return {"day": d, "per_day": 5, "seed": "s", "source": "synthetic",
            "baseline": {"ingested": 7, "dead_lettered": 1}}


def test_a_retry_of_the_task_sends_the_key_of_its_first_try_and_another_run_another_key(dag, ingestion):
    request_day = dag.get_task("request_day").python_callable
    first = request_day(request=day(), ti=ti(try_number=1))
    retry = request_day(request=day(), ti=ti(try_number=2))
    other_run = request_day(request=day(), ti=ti(run_id="manual__2026-12-01T07:00:00+00:00"))
    other_day = request_day(request=day("2026-11-02"), ti=ti(map_index=1))

    keys = ingestion.keys()
    assert len(keys) == 4 and all(keys)
    assert keys[0] == keys[1] == backfill_idempotency_key("users_backfill", RUN, "request_day", 0)
    assert len({keys[0], keys[2], keys[3]}) == 3
    # The baseline is the one plan_days read before any try: a retry does not count again.
    assert [m for m, _, _ in ingestion.requests] == ["POST"] * 4
    for out in (first, retry, other_run, other_day):
        assert out["baseline"] == {"ingested": 7, "dead_lettered": 1}


def test_plan_days_reads_each_days_baseline_once_before_any_request(dag, ingestion):
    plan_days = dag.get_task("plan_days").python_callable
    params = {"from": "2026-11-01", "to": "2026-11-02", "per_day": 5, "seed": "a/b", "source": "synthetic"}
    planned = plan_days(params=params, dag_run=SimpleNamespace(conf=params))
    assert [p["day"] for p in planned] == ["2026-11-01", "2026-11-02"]
    assert all(p["baseline"] == {"ingested": 0, "dead_lettered": 0} for p in planned)
    # The batch id travels as one whole path segment, as the client encodes it.
    assert [p for m, p, _ in ingestion.requests] == ["/v1/batches/backfill-a%2Fb-2026-11-01",
                                                     "/v1/batches/backfill-a%2Fb-2026-11-02"]


@pytest.mark.parametrize("run_id", [RUN, "scheduled__2026-12-01T00:00:00+00:00", "my run: été 😀", "r" * 250])
def test_the_key_is_a_header_value_ingestion_takes_whatever_the_run_id_holds(run_id):
    key = backfill_idempotency_key("users_backfill", run_id, "request_day", 3)
    assert key.isascii() and key.isprintable() and " " not in key and 1 <= len(key) <= 255
    assert key == backfill_idempotency_key("users_backfill", run_id, "request_day", 3)
    assert key != backfill_idempotency_key("users_backfill", run_id, "request_day", 4)
    assert key != backfill_idempotency_key("users_backfill", run_id + "x", "request_day", 3)
    assert key != backfill_idempotency_key("users_backfill_other", run_id, "request_day", 3)


def test_a_cleared_run_gets_its_backfill_again_and_measures_it_from_the_baseline_kept_before_it_started(
    dag, ingestion, kept, capsys
):
    request_day = dag.get_task("request_day").python_callable
    first = request_day(request=day(), ti=ti())
    # The clear re-runs plan_days, whose baseline now holds the first try's 5 events.
    again = {**day(), "baseline": {"ingested": 12, "dead_lettered": 1}}
    cleared = request_day(request=again, ti=ti(try_number=2))

    assert cleared["backfill_id"] == first["backfill_id"]
    assert first["made_before"] is False and cleared["made_before"] is True
    assert cleared["baseline"] == first["baseline"] == {"ingested": 7, "dead_lettered": 1}
    assert f"backfill {first['backfill_id']}, which an earlier try of this run made" in capsys.readouterr().out
    assert list(kept) == [first["backfill_id"]]


def test_the_kept_baseline_names_its_batch_run_and_when_it_was_kept(dag, ingestion, kept):
    before = datetime.now(UTC)
    first = request_day_of(dag)(request=day(), ti=ti())
    record = kept[first["backfill_id"]]
    assert {k: v for k, v in record.items() if k != "kept_at"} == {
        "baseline": {"ingested": 7, "dead_lettered": 1},
        "batch_id": "backfill-s-2026-11-01",
        "run_id": RUN,
    }
    # When it was kept, with its offset: what an operator deletes old Variables by.
    assert before <= datetime.fromisoformat(record["kept_at"]) <= datetime.now(UTC)


def test_a_new_backfill_under_an_expired_key_is_measured_from_the_new_baseline(dag, ingestion, kept):
    request_day = dag.get_task("request_day").python_callable
    first = request_day(request=day(), ti=ti())
    ingestion.ids.clear()  # 24 h later: ingestion forgot the key and starts another backfill
    later = request_day(request={**day(), "baseline": {"ingested": 12, "dead_lettered": 1}}, ti=ti(try_number=2))
    assert later["backfill_id"] != first["backfill_id"]
    assert later["made_before"] is False and later["baseline"] == {"ingested": 12, "dead_lettered": 1}


def test_a_cleared_run_passes_only_once_its_events_are_settled_on_top_of_the_kept_baseline():
    from sparkflow_airflow.backfill import Baseline, judge_batch, measure_from

    baseline, made_before = measure_from({"baseline": {"ingested": 0, "dead_lettered": 0}},
                                         {"ingested": 100, "dead_lettered": 0})
    assert made_before
    counts = {"batchId": "b", "ingested": 100, "persisted": 100, "deadLettered": 0, "complete": True}
    assert judge_batch(counts, expected=100, baseline=Baseline(**baseline), max_dead_letter_ratio=0).verdict == "done"
    in_flight = {**counts, "persisted": 90, "complete": False}
    assert judge_batch(in_flight, expected=100, baseline=Baseline(**baseline), max_dead_letter_ratio=0).verdict == "wait"
