"""Checks that a stdlib HTTP server sends each response in one write, for the keep-alive tests.

A response whose status line and headers leave in one small write and its body in a second stalls a
kept-alive client for its delayed acknowledgement (about 40 ms a request). These helpers look at
both ends: the socket option and the writes of the handler, on the server, and what one `recv` of a
client on a reused connection gets.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from socketserver import StreamRequestHandler
from typing import Any

import pytest


class _CountingWriter:
    """Wraps a handler's `wfile` and records the size of every write."""

    def __init__(self, inner: Any, writes: list[int]) -> None:
        self._inner = inner
        self._writes = writes

    def write(self, data: bytes) -> int:
        self._writes.append(len(data))
        return int(self._inner.write(data) or len(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@dataclass
class Served:
    """What the server did on the connections it accepted while being watched."""

    writes: list[int] = field(default_factory=list)  # the size of every write, in order
    nodelay: list[bool] = field(default_factory=list)  # TCP_NODELAY of each accepted socket


def watch_handler(monkeypatch: pytest.MonkeyPatch, handler_class: type[StreamRequestHandler]) -> Served:
    """From now on, connections served by `handler_class` (or a subclass) are recorded in the result."""
    served = Served()
    original = handler_class.setup

    def setup(self: Any) -> None:
        original(self)
        served.nodelay.append(bool(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))
        self.wfile = _CountingWriter(self.wfile, served.writes)

    monkeypatch.setattr(handler_class, "setup", setup)
    return served


@dataclass
class Exchange:
    status: int
    headers: dict[str, str]
    body: bytes
    size: int  # the whole response: status line, headers and body
    first_recv_size: int  # what the first recv() after the request returned

    @property
    def whole_in_first_recv(self) -> bool:
        return self.first_recv_size == self.size


def _parse(data: bytes, head_request: bool) -> tuple[int, dict[str, str], int] | None:
    """(status, headers, total length of the response) once the head is complete, else None."""
    head, sep, _ = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    length = 0 if head_request else int(headers.get("content-length", "0"))
    return int(status_line.split()[1]), headers, len(head) + 4 + length


def keep_alive_exchanges(port: int, requests: list[bytes], host: str = "127.0.0.1") -> list[Exchange]:
    """Send each request on one connection, after the previous response has fully arrived."""
    out = []
    with socket.create_connection((host, port), timeout=10) as conn:
        for raw in requests:
            conn.sendall(raw)
            first = conn.recv(1 << 20)
            data = first
            parsed = _parse(data, raw.startswith(b"HEAD "))
            while parsed is None or len(data) < parsed[2]:
                chunk = conn.recv(1 << 20)
                if not chunk:
                    raise AssertionError(f"the server closed the connection mid-response: {data!r}")
                data += chunk
                parsed = _parse(data, raw.startswith(b"HEAD "))
            status, headers, total = parsed
            assert len(data) == total, f"more bytes than one response: {data!r}"
            body = data[data.index(b"\r\n\r\n") + 4 :]
            out.append(Exchange(status, headers, body, total, len(first)))
    return out
