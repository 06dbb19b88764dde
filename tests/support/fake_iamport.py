"""A scripted I'mport stand-in on a free port, for gateway behaviour that needs precise control
(concurrency, exact failure sequences, counting calls). The real sandbox is used by the integration suite.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KEY = "test-imp-key-1234"
SECRET = "test-imp-secret-SHOULD-NEVER-LEAK"


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes -> raw
    delay_s: float = 0.0
    trickle_s: float = 0.0  # > 0: the body goes out one byte at a time, this long apart


def ok(response: Any) -> Reply:
    return Reply(200, {"code": 0, "message": None, "response": response})


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeIamport:
    url: str = ""
    # (method, path) -> queue of replies; the last one repeats. Missing routes answer 404.
    script: dict[tuple[str, str], list[Reply | Callable[[Seen], Reply]]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    token_now: int = 1_700_000_000
    token_lifetime_s: int = 1800
    token_delay_s: float = 0.0
    tokens_issued: int = 0
    peers: set[tuple[str, int]] = field(default_factory=set)  # client addresses: one per connection
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, method: str, path: str, *replies: Reply | Callable[[Seen], Reply]) -> None:
        self.script[(method, path)] = list(replies)

    def calls(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path == path]

    def reply_for(self, seen: Seen) -> Reply:
        if (seen.method, seen.path) == ("POST", "/users/getToken") and (
            "POST",
            "/users/getToken",
        ) not in self.script:
            with self.lock:
                self.tokens_issued += 1
                number = self.tokens_issued
            time.sleep(self.token_delay_s)
            return ok(
                {
                    "access_token": f"token-{number}",
                    "now": self.token_now,
                    "expired_at": self.token_now + self.token_lifetime_s,
                }
            )
        with self.lock:
            queue = self.script.get((seen.method, seen.path))
            if not queue:
                return Reply(404, {"code": -1, "message": "존재하지 않는 결제정보입니다.", "response": None})
            reply = queue.pop(0) if len(queue) > 1 else queue[0]
        return reply(seen) if callable(reply) else reply


def _handler(fake: FakeIamport) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            seen = Seen(self.command, self.path, dict(self.headers.items()), body)
            with fake.lock:
                fake.seen.append(seen)
                fake.peers.add(self.client_address[:2])
            reply = fake.reply_for(seen)
            time.sleep(reply.delay_s)
            data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if reply.trickle_s > 0:
                    self.wfile.flush()
                    for i in range(len(data)):
                        self.wfile.write(data[i : i + 1])
                        self.wfile.flush()
                        time.sleep(reply.trickle_s)
                else:
                    self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and went away: what a timeout test wants

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 64  # twenty threads connect at once in the single-flight test
    daemon_threads = True


def serve(fake: FakeIamport) -> ThreadingHTTPServer:
    server = _Server(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def payment_json(**overrides: Any) -> dict[str, Any]:
    """A paid card payment as I'mport returns it: every documented field present, optional ones null."""
    sample: dict[str, Any] = {
        "imp_uid": "imp_448280090638",
        "merchant_uid": "order_20240101_0001",
        "pay_method": "card",
        "channel": "pc",
        "pg_provider": "html5_inicis",
        "emb_pg_provider": None,
        "pg_tid": "StdpayCARDINIpayTest20240101000000000001",
        "pg_id": "INIpayTest",
        "escrow": False,
        "apply_num": "30012345",
        "bank_code": None,
        "bank_name": None,
        "card_code": "366",
        "card_name": "신한카드",
        "card_quota": 0,
        "card_number": "412345*********1",
        "card_type": None,
        "vbank_code": None,
        "vbank_name": None,
        "vbank_num": None,
        "vbank_holder": None,
        "vbank_date": 0,
        "vbank_issued_at": 0,
        "name": "Coffee beans x2",
        "amount": 27000,
        "cancel_amount": 0,
        "currency": "KRW",
        "buyer_name": "홍길동",
        "buyer_email": "buyer@example.com",
        "buyer_tel": "010-1234-5678",
        "buyer_addr": "서울특별시 강남구",
        "buyer_postcode": "06236",
        "custom_data": '{"user_id":"u-1"}',
        "user_agent": "Mozilla/5.0",
        "status": "paid",
        "started_at": 1704067200,
        "paid_at": 1704067260,
        "failed_at": 0,
        "cancelled_at": 0,
        "fail_reason": None,
        "cancel_reason": None,
        "receipt_url": "https://iniweb.inicis.com/receipt/1",
        "cancel_history": [],
        "cancel_receipt_urls": [],
        "cash_receipt_issued": False,
        "customer_uid": None,
        "customer_uid_usage": None,
    }
    sample.update(overrides)
    return sample
