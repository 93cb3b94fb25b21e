"""A local HTTP server that speaks the part of Agora's RESTful channel-management API this project calls.

``POST /dev/v1/kicking-rule`` ("Create a banning rule"), checked as Agora documents it: HTTP Basic
authentication with the customer id and secret, a JSON body (``Content-Type: application/json``) with the
project's ``appid``, the channel ``cname``, a non-zero ``uid``, ``time`` in minutes (0 to 1440) and
``privileges`` ``["join_channel"]``. A valid request answers ``200 {"status": "success", "id": <rule id>}``;
bad credentials answer 401, a malformed request 400, anything else 404. Every request is recorded, and
``fail_next`` makes the next N valid requests answer an error, to prove retries.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CUSTOMER_ID = "b3b7c1d2e4f54a6b8c9d0e1f2a3b4c5d"
CUSTOMER_SECRET = "7e6d5c4b3a2910f8e7d6c5b4a3928170"
KICK_PATH = "/dev/v1/kicking-rule"


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int


@dataclass
class AgoraRestServer:
    app_id: str
    base_url: str = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1953))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, times: int = 1, status: int = 500) -> None:
        with self._lock:
            self.failures.extend([status] * times)

    def kicks(self) -> list[RecordedRequest]:
        """The kicking rules Agora accepted."""
        return [r for r in self.requests if r.path == KICK_PATH and r.status == 200]

    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        if method != "POST" or path != KICK_PATH:
            return 404, {"message": "Not found"}
        expected = "Basic " + base64.b64encode(f"{CUSTOMER_ID}:{CUSTOMER_SECRET}".encode()).decode()
        if headers.get("authorization") != expected:
            return 401, {"message": "Invalid authentication credentials"}
        if headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return 400, {"message": "Content-Type must be application/json"}
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, {"message": "Invalid JSON"}
        problem = _body_problem(body, self.app_id)
        if problem:
            return 400, {"message": problem}
        with self._lock:
            if self.failures:
                return self.failures.pop(0), {"message": "Internal error"}
            return 200, {"status": "success", "id": next(self._ids)}


def _body_problem(body: Any, app_id: str) -> str:
    if not isinstance(body, dict):
        return "The body must be a JSON object"
    if body.get("appid") != app_id:
        return "Invalid appid"
    if not isinstance(body.get("cname"), str) or not body["cname"]:
        return "cname must be a non-empty string"
    uid = body.get("uid")
    if isinstance(uid, bool) or not isinstance(uid, int) or uid == 0:
        return "uid must be a non-zero number"
    time = body.get("time")
    if isinstance(time, bool) or not isinstance(time, int) or not 0 <= time <= 1440:
        return "time must be a number of minutes from 0 to 1440"
    if body.get("privileges") != ["join_channel"]:
        return 'privileges must be ["join_channel"]'
    unknown = set(body) - {"appid", "cname", "uid", "ip", "time", "time_in_seconds", "privileges"}
    if unknown:
        return f"Unknown fields: {sorted(unknown)}"
    return ""


@contextmanager
def running_agora_rest_server(*, app_id: str) -> Iterator[AgoraRestServer]:
    state = AgoraRestServer(app_id=app_id)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._answer()

        def do_GET(self) -> None:
            self._answer()

        def do_DELETE(self) -> None:
            self._answer()

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer = state.handle(self.command, self.path, headers, raw)
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            with state._lock:
                state.requests.append(RecordedRequest(self.command, self.path, headers, body, status))
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
