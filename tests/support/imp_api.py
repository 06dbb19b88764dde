"""A thin client of the sandbox's REST API and a webhook receiver, for the sandbox's own tests."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

TIMEOUT = (3, 10)


class ImpApi:
    """Talks to the sandbox's REST API the way a merchant server does; keeps raw replies for asserts."""

    def __init__(self, url: str, imp_key: str, imp_secret: str) -> None:
        self.url = url
        self.imp_key, self.imp_secret = imp_key, imp_secret
        self.http = requests.Session()
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            reply = self.http.post(
                f"{self.url}/users/getToken",
                json={"imp_key": self.imp_key, "imp_secret": self.imp_secret},
                timeout=TIMEOUT,
            )
            assert reply.status_code == 200, reply.text
            self._token = reply.json()["response"]["access_token"]
        return self._token

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> requests.Response:
        all_headers = {"Authorization": self.token()} if auth else {}
        all_headers.update(headers or {})
        return self.http.request(
            method,
            f"{self.url}{path}",
            json=json_body,
            data=form,
            params=params,
            headers=all_headers,
            timeout=TIMEOUT,
        )

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """The `response` of a successful call (HTTP 200, code 0)."""
        reply = self.call(method, path, **kwargs)
        body = reply.json()
        assert reply.status_code == 200 and body["code"] == 0, (reply.status_code, body)
        assert body["message"] is None
        return body["response"]

    def payment(self, imp_uid: str) -> dict:
        return self.ok("GET", f"/payments/{imp_uid}")


@dataclass
class Received:
    path: str
    content_type: str
    body: dict
    at: float


@dataclass
class WebhookReceiver:
    """A merchant's webhook endpoint on a free port. `replies` is a queue of status codes to answer."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    replies: queue.Queue = field(default_factory=queue.Queue)
    default_status: int = 200
    delay_s: float = 0.0  # how long the endpoint takes to answer
    reply_body: bytes = b"{}"
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout_s
        with self.arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} webhooks, got {len(self.received)}: {self.received}"
                    )
                self.arrived.wait(left)
            return list(self.received)


@contextlib.contextmanager
def running_receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            content_type = self.headers.get("Content-Type", "")
            if content_type.startswith("application/json"):
                body = json.loads(raw)
            else:
                body = dict(urllib.parse.parse_qsl(raw))
            try:
                status = hook.replies.get_nowait()
            except queue.Empty:
                status = hook.default_status
            time.sleep(hook.delay_s)
            with hook.arrived:
                hook.received.append(Received(self.path, content_type, body, time.monotonic()))
                hook.arrived.notify_all()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(hook.reply_body)))
            self.end_headers()
            self.wfile.write(hook.reply_body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/iamport/webhook"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
