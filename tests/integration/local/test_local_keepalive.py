"""The page and the browser keep their connections open: on a reused connection every response of the
local API and of the site server (status line, headers and body) leaves in one write, on a socket with
TCP_NODELAY, so no request waits for the client's delayed acknowledgement."""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Iterator
from socketserver import StreamRequestHandler
from typing import Any

import pytest

from local.api import ApiGateway, ApiServer, attach, make_server
from local.site import SiteServer, _SiteHandler
from local.tokens import SigningKey, TokenIssuer
from tests.support.keepalive import keep_alive_exchanges, watch_handler

WEB_DIR = pathlib.Path(__file__).resolve().parents[3] / "web"


@pytest.fixture
def api_server(fixture_api: Any) -> Iterator[ApiServer]:
    """A second local API on the fixture app, so the test can reach its handler class."""
    server = make_server("127.0.0.1", 0)
    attach(server, ApiGateway(fixture_api.app, fixture_api.runtime, fixture_api.key.jwks))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    server = SiteServer("127.0.0.1", 0, WEB_DIR)
    key = SigningKey.load(tmp_path_factory.mktemp("site-jwt"))
    server.configure({"apiBaseUrl": "http://127.0.0.1:1"}, TokenIssuer(key, "https://i.test", "aud"))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


API_REQUESTS = [
    b"GET /public/state HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /public/state HTTP/1.1\r\nHost: x\r\n\r\n",
    b"HEAD /public/state HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /no/such/route HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /private HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /public/state HTTP/1.1\r\nHost: x\r\n\r\n",
]
SITE_REQUESTS = [
    b"GET /config.js HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /config.js HTTP/1.1\r\nHost: x\r\n\r\n",
    b"HEAD /config.js HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /missing.png HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /config.js HTTP/1.1\r\nHost: x\r\n\r\n",
]


def test_the_local_api_handler_turns_nagle_off(api_server: ApiServer) -> None:
    assert getattr(api_server.RequestHandlerClass, "disable_nagle_algorithm", False) is True


def test_the_site_handler_turns_nagle_off(site: SiteServer) -> None:
    assert site.RequestHandlerClass is _SiteHandler
    assert _SiteHandler.disable_nagle_algorithm is True


def test_each_local_api_response_is_one_write_on_a_nodelay_socket(
    api_server: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = api_server.RequestHandlerClass
    assert isinstance(handler, type) and issubclass(handler, StreamRequestHandler)
    served = watch_handler(monkeypatch, handler)
    exchanges = keep_alive_exchanges(api_server.server_address[1], API_REQUESTS)
    assert [e.status for e in exchanges] == [200, 200, 200, 404, 401, 200]
    assert served.nodelay == [True]  # one connection, reused for every request
    assert served.writes == [e.size for e in exchanges]
    head = exchanges[2]
    assert head.body == b"" and int(head.headers["content-length"]) > 0


def test_each_site_response_is_one_write_on_a_nodelay_socket(
    site: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = watch_handler(monkeypatch, _SiteHandler)
    exchanges = keep_alive_exchanges(site.server_address[1], SITE_REQUESTS)
    assert [e.status for e in exchanges] == [200, 200, 200, 404, 200, 200]
    assert served.nodelay == [True]
    assert served.writes == [e.size for e in exchanges]
    head = exchanges[2]
    assert head.body == b"" and head.headers["content-length"] == exchanges[0].headers["content-length"]
    assert exchanges[4].body == (WEB_DIR / "index.html").read_bytes()


@pytest.mark.parametrize("which", ["api", "site"])
def test_a_kept_alive_client_gets_each_whole_response_in_one_recv(
    which: str, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue("api_server" if which == "api" else "site")
    exchanges = keep_alive_exchanges(
        server.server_address[1], API_REQUESTS if which == "api" else SITE_REQUESTS
    )
    assert exchanges[0].status == 200 and exchanges[0].body
    assert [e.whole_in_first_recv for e in exchanges] == [True] * len(exchanges), [
        (e.first_recv_size, e.size) for e in exchanges
    ]
