"""A test HTTP receiver for ec112's signed webhooks, on a free loopback port (a thread of its own).

It checks each request the way an agency's system would, with nothing but ``hmac`` and ``hashlib`` (the
recipe of the README, independent of ``ec112.webhooks``), records what came, and can be told to answer the
next N requests with an error or to hang without answering (to test timeouts)::

    with WebhookReceiver({"damkar": SECRET}) as receiver:
        url = receiver.url_for("damkar")          # http://127.0.0.1:<port>/hooks/damkar
        receiver.fail_next(2)                     # 500, 500, then 200
        ...
        got = await receiver.wait_for(1)
        assert got[0].signature_ok and got[0].json["event"] == "dispatch.created"
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

TOLERANCE = 300


@dataclass(frozen=True)
class Received:
    path: str
    agency: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    answered: int | None  # the status sent back; None when the request was left hanging
    signature_ok: bool
    at: float = field(default_factory=time.time)

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def delivery(self) -> str:
        return self.headers.get("x-ec112-delivery", "")


def signature_ok(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> bool:
    """What a receiver does: fresh timestamp, then HMAC-SHA256 over ``f"{timestamp}." + body``."""
    stamp = headers.get("x-ec112-timestamp", "")
    if not stamp.isdigit() or abs((time.time() if now is None else now) - int(stamp)) > TOLERANCE:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("x-ec112-signature", ""))


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that gave up (a timeout under test) is expected, not a traceback on stderr


class WebhookReceiver:
    def __init__(self, secrets: Mapping[str, str]) -> None:
        self.secrets = dict(secrets)  # agency code (the last path segment) → secret
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._fail: list[tuple[str | None, int]] = []  # (agency or None for any, status) for the next requests
        self._hang = 0  # how many of the next requests get no answer
        self._release = threading.Event()  # lets hanging requests go (at stop)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url_for(self, agency: str) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{agency}"

    def fail_next(self, count: int, status: int = 500, *, agency: str | None = None) -> None:
        """Answer the next ``count`` requests (to ``agency``, or to any) with ``status``."""
        with self._lock:
            self._fail.extend([(agency, status)] * count)

    def hang_next(self, count: int) -> None:
        with self._lock:
            self._hang += count

    def requests(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The requests once at least ``count`` arrived (AssertionError after ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.requests()
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} webhook requests, got {len(got)}: {got}")
            await asyncio.sleep(0.02)

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        headers = {k.lower(): v for k, v in request.headers.items()}
        agency = request.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        secret = self.secrets.get(agency)
        ok = secret is not None and signature_ok(secret, headers, body)
        with self._lock:
            if self._hang:
                self._hang -= 1
                answer: int | None = None
            elif (failing := next((f for f in self._fail if f[0] in (None, agency)), None)) is not None:
                self._fail.remove(failing)
                answer = failing[1]
            else:
                answer = 200 if ok else 401
            self.received.append(Received(request.path, agency, headers, body, answer, ok))
        if answer is None:
            self._release.wait(30)
            request.close_connection = True
            return
        reply = json.dumps({"ok": answer < 300}).encode()
        request.send_response(answer)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(reply)))
        request.end_headers()
        request.wfile.write(reply)
