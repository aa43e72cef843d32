"""A local randomuser-compatible API for the tests (the machines running them cannot reach randomuser.me):
`?results=N&seed=S&page=P` returns the same people for the same (seed, page, index), like randomuser.me."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from conftest import REPO_ROOT

FIXTURE = json.loads((REPO_ROOT / "libs/contracts/src/fixtures/randomuser-response.json").read_text())["results"]


def person(seed: str, page: int, i: int) -> dict:
    p = copy.deepcopy(FIXTURE[(page * 7 + i) % len(FIXTURE)])
    key = f"{seed}-{page}-{i}"
    p["login"]["uuid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, key))
    p["login"]["username"] = f"u{uuid.uuid5(uuid.NAMESPACE_URL, key).hex[:10]}"
    p["email"] = f"{p['name']['first'].lower()}.{p['login']['username']}@example.com"
    return p


class RandomUserServer:
    """Serves on 127.0.0.1:<free port> in a thread; `requests` lists the query of every request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        served = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                q = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                served.append(q)
                n, page = int(q["results"]), int(q.get("page", 1))
                body = json.dumps({"results": [person(q["seed"], page, i) for i in range(n)],
                                   "info": {"seed": q["seed"], "results": n, "page": page, "version": "1.4"}}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/api/"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
