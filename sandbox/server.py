"""The sandbox's HTTP server: `SandboxServer(port=0).start()`, `.url`, `.stop()`, or as a context manager.

Requests are served on threads (http.server.ThreadingHTTPServer). REST handlers run under the
sandbox lock; webhooks start after it is released, and are delivered on their own threads.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sandbox import control_routes, rest_changes, rest_lookup, window_routes
from sandbox.accounts import Account
from sandbox.config import Settings
from sandbox.routing import ApiError, BadBody, Request, Response, Router, fail
from sandbox.state import Sandbox

log = logging.getLogger("sandbox")
MAX_BODY_BYTES = 1 << 20
FAULT_EXEMPT_PREFIX = "/sandbox"  # faults never hit the control API or the window, so tests keep control


class SandboxApp:
    """Routing, auth and fault injection around the route handlers."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.router = Router()
        rest_lookup.register(self.router, sandbox)
        rest_changes.register(self.router, sandbox)
        control_routes.register(self.router, sandbox)
        window_routes.register(self.router, sandbox)
        self.stopping = threading.Event()

    def dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response | None:
        sb = self.sandbox
        split = urllib.parse.urlsplit(target)
        path = split.path.rstrip("/") or "/"
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        generation = sb.generation
        if not path.startswith(FAULT_EXEMPT_PREFIX):
            fault = sb.faults.take(path, ("http_500", "timeout"))
            if fault is not None:
                if not self._sleep(fault.delay_s, generation):
                    return None  # reset or shutdown while held: drop the connection, change nothing
                if fault.kind == "http_500":
                    return fail(500, -1, "Internal Server Error (sandbox fault)")
        route, params, other_method = self.router.match(method, path)
        if route is None:
            if other_method:
                return fail(405, -1, sb.messages.text("method_not_allowed"))
            return fail(404, -1, sb.messages.text("route_not_found"))
        request = Request(method, path, query, headers, body, params)
        try:
            if route.auth:
                denied = self._authenticate(request)
                if denied is not None:
                    return denied
            if path.startswith("/sandbox"):
                response = route.handler(request)
            else:
                with sb.lock:
                    response = route.handler(request)
        except ApiError as exc:
            return fail(exc.status, exc.code, exc.message)
        except BadBody as exc:
            return fail(400, -1, f"{sb.messages.text('bad_body')} ({exc})")
        except Exception:  # a sandbox defect must still answer in the envelope, with the trace logged
            log.error("unhandled error on %s %s\n%s", method, path, traceback.format_exc())
            return fail(500, -1, "sandbox internal error")
        for payment, event, status, cancellation_id in request.notifications:
            sb.notify(payment, event, status, cancellation_id)
        if method != "GET" or route.auth:
            sb.persist()
        return response

    def _authenticate(self, request: Request) -> Response | None:
        sb = self.sandbox
        token = _token(request)
        with sb.lock:
            account = sb.accounts.resolve_token(token, sb.clock.now()) if token else None
            if account is not None and token and sb.faults.take(request.path, ("expire_token",)):
                sb.accounts.expire_token(token)
                account = None
        if account is None:
            return fail(401, -1, sb.messages.text("unauthorized"))
        request.account, request.token = account, token
        return None

    def _sleep(self, seconds: float, generation: int) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.stopping.wait(min(0.05, max(0.0, deadline - time.monotonic()))):
                return False
            if self.sandbox.generation != generation:
                return False
        return True


def _token(request: Request) -> str | None:
    """Authorization (raw or Bearer) wins over the legacy X-ImpTokenHeader
    (docs/iamport-v1.md#token-header)."""
    authorization = (request.header("authorization") or "").strip()
    if authorization:
        scheme, _, rest = authorization.partition(" ")
        return rest.strip() if scheme.lower() == "bearer" and rest.strip() else authorization
    legacy = (request.header("x-imptokenheader") or "").strip()
    return legacy or None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "IamportSandbox/1.0"
    timeout = 60  # idle keep-alive connections end, so their threads do not pile up
    # TCP_NODELAY on every connection: a small write goes out at once instead of waiting for the
    # client to acknowledge the previous one (which it delays, about 40 ms, on a kept-alive connection).
    disable_nagle_algorithm = True
    app: SandboxApp
    verbose = False
    _headers_buffer: list[bytes]  # http.server's pending status line and headers

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._send(fail(400, -1, "invalid Content-Length"))
            self.close_connection = True
            return
        if length > MAX_BODY_BYTES:
            self._send(fail(413, -1, "request body too large"))
            self.close_connection = True
            return
        body = self.rfile.read(length) if length > 0 else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        method = "GET" if self.command == "HEAD" else self.command  # _send drops a HEAD's body
        response = self.app.dispatch(method, self.path, headers, body)
        if response is None:
            self.close_connection = True
            return
        self._send(response)

    def _send(self, response: Response) -> None:
        payload = response.payload()
        self.send_response(response.status)
        if response.status != 204:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self._end_headers_with(payload if self.command != "HEAD" else b"")

    def _end_headers_with(self, body: bytes) -> None:
        """end_headers() plus the body, sent as one write: status line, headers and body leave together,
        so a kept-alive client never waits on a second small write."""
        self._headers_buffer.extend((b"\r\n", body))
        self.flush_headers()

    do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_HEAD = _serve

    def __getattr__(self, name: str) -> Any:
        # http.server answers a method without a do_* handler with an HTML 501; the router answers
        # every method instead (405 on a known path, 404 elsewhere), in the envelope.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
        if self.verbose:
            # Paths and statuses only: bodies (secrets, card data) are never logged.
            log.info("%s %s", self.address_string(), format % args)


class SandboxServer:
    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        webhook_url: str | None = None,
        webhook_content_type: str = "json",
        state_file: str | os.PathLike[str] | None = None,
        accounts: list[Account] | None = None,
        verbose: bool = False,
    ) -> None:
        settings = Settings(webhook_url=webhook_url, webhook_content_type=webhook_content_type)
        self.sandbox = Sandbox(settings, accounts, state_file)
        self.app = SandboxApp(self.sandbox)
        self.host, self.port, self.verbose = host, port, verbose
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url = ""

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. http://127.0.0.1:8090 (kept after stop())."""
        if not self._url:
            raise RuntimeError("the sandbox has not been started")
        return self._url

    def start(self) -> SandboxServer:
        handler = type("SandboxHandler", (_Handler,), {"app": self.app, "verbose": self.verbose})
        httpd = ThreadingHTTPServer((self.host, self.port), handler)  # OSError if the port is taken
        httpd.daemon_threads = True
        self._httpd = httpd
        self.port = int(httpd.server_address[1])
        # Bound to every interface (containers reach it from outside loopback): this machine's own
        # clients and pages still use loopback.
        host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(self.host, self.host)  # noqa: S104
        host = host if ":" not in host else f"[{host}]"
        self._url = f"http://{host}:{self.port}"
        self.sandbox.base_url = self._url
        self.app.stopping.clear()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self.app.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.sandbox.close()
        self._httpd = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
