"""A merchant server keeps its connection to I'mport open: on a reused connection every sandbox response
(status line, headers and body) leaves in one write, on a socket with TCP_NODELAY, so no request waits
for the client's delayed acknowledgement."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.server import _Handler
from tests.support.keepalive import keep_alive_exchanges, watch_handler


def _requests(token: str, imp_uid: str) -> list[bytes]:
    lookup = f"GET /payments/{imp_uid} HTTP/1.1\r\nHost: x\r\nAuthorization: {token}\r\n\r\n".encode()
    return [
        lookup,
        lookup,
        f"HEAD /payments/{imp_uid} HTTP/1.1\r\nHost: x\r\nAuthorization: {token}\r\n\r\n".encode(),
        b"GET /payments/imp_missing HTTP/1.1\r\nHost: x\r\nAuthorization: " + token.encode() + b"\r\n\r\n",
        b"GET /no-such-route HTTP/1.1\r\nHost: x\r\n\r\n",
        lookup,
    ]


def test_the_sandbox_handler_turns_nagle_off() -> None:
    assert _Handler.disable_nagle_algorithm is True


def test_each_response_is_one_write_on_a_nodelay_socket(
    sandbox: Any, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    imp_uid = sandbox.control.pay("keepalive-1", 1000)["imp_uid"]
    token = api.token()
    served = watch_handler(monkeypatch, _Handler)
    exchanges = keep_alive_exchanges(sandbox.server.port, _requests(token, imp_uid))
    assert [e.status for e in exchanges] == [200, 200, 200, 404, 404, 200]
    assert served.nodelay == [True]  # one connection, reused for every request
    assert served.writes == [e.size for e in exchanges]
    head = exchanges[2]
    assert head.body == b"" and head.headers["content-length"] == exchanges[0].headers["content-length"]


def test_a_kept_alive_client_gets_each_whole_response_in_one_recv(sandbox: Any, api: Any) -> None:
    imp_uid = sandbox.control.pay("keepalive-2", 1000)["imp_uid"]
    exchanges = keep_alive_exchanges(sandbox.server.port, _requests(api.token(), imp_uid))
    assert exchanges[0].headers["content-type"].startswith("application/json")
    assert exchanges[0].body.startswith(b"{") and b'"imp_uid"' in exchanges[0].body
    assert [e.whole_in_first_recv for e in exchanges] == [True] * len(exchanges), [
        (e.first_recv_size, e.size) for e in exchanges
    ]
