"""The serving core of the offline stack's HTTP servers (the local API Gateway and the site).

Both answer with a whole response in one write, on sockets with TCP_NODELAY: a response sent as two
small writes (headers, then body) waits on a kept-alive connection for the client's delayed
acknowledgement, about 40 ms on Linux, on every request (bench/keepalive.py shows it). The sandbox keeps
its own copy of the same trick so that it stays a standalone, standard-library package.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LocalServer(ThreadingHTTPServer):
    """One thread per connection; threads never keep the process alive; a restart can rebind at once."""

    daemon_threads = True
    allow_reuse_address = True


class OneWriteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY on every connection: a small write goes out at once instead of waiting for the
    # client to acknowledge the previous one (which it delays, about 40 ms, on a kept-alive connection).
    disable_nagle_algorithm = True
    _headers_buffer: list[bytes]  # http.server's pending status line and headers

    def send_whole(self, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> None:
        """The status line, `date`, `headers`, `content-length` and the body (none for HEAD), as one
        write."""
        self.send_response_only(status)
        self.send_header("date", formatdate(usegmt=True))
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self._headers_buffer.extend((b"\r\n", body if self.command != "HEAD" else b""))
        self.flush_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        """Quiet: each server reports its requests its own way."""
