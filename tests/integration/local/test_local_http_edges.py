"""HTTP edges of the local servers: a method no route has, and a body the server does not want, get a
clear JSON answer and never desynchronise a kept-alive connection."""

from __future__ import annotations

import json
import pathlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from local.site import SiteServer
from local.tokens import SigningKey, TokenIssuer

WEB_DIR = pathlib.Path(__file__).resolve().parents[3] / "web"


def exchange(port: int, raw: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Send raw bytes on one connection and read every response until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(raw)
        data = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    replies = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
        length = int(headers.get("content-length", "0"))
        replies.append((int(status_line.split()[1]), headers, rest[:length]))
        data = rest[length:]
    return replies


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    server = SiteServer("127.0.0.1", 0, WEB_DIR)
    key = SigningKey.load(tmp_path_factory.mktemp("site-jwt"))
    server.configure(
        {"apiBaseUrl": "http://127.0.0.1:1"}, TokenIssuer(key, "https://i.test", "aud"), allow_admin=True
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "PROPFIND"])
def test_site_answers_other_methods_with_a_405_json_error(site: SiteServer, method: str) -> None:
    [(status, headers, body)] = exchange(
        site.server_address[1], f"{method} / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    )
    assert status == 405
    assert headers["content-type"] == "application/json" and headers["allow"] == "GET, HEAD, POST"
    assert json.loads(body)["error"]["code"] == "method_not_allowed"


def test_a_refused_post_body_is_never_read_as_the_next_request(site: SiteServer) -> None:
    smuggled = b"GET /config.js HTTP/1.1\r\nHost: x\r\n\r\n"
    raw = (
        b"POST /not-an-endpoint HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(smuggled) + smuggled
    )
    replies = exchange(site.server_address[1], raw)
    assert [status for status, _, _ in replies] == [404], replies


def test_a_post_body_refused_after_reading_keeps_the_connection_usable(site: SiteServer) -> None:
    body = b'{"sub": ""}'
    host = f"127.0.0.1:{site.server_address[1]}".encode()
    raw = (
        b"POST /_dev/token HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n"
        % len(body)
        + body
        + b"GET /config.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    replies = exchange(site.server_address[1], raw)
    assert [status for status, _, _ in replies] == [422, 200]
    assert replies[1][2].startswith(b"window.CHECKOUT_CONFIG")


@pytest.mark.parametrize("method", ["PROPFIND", "TRACE"])
def test_api_routes_any_method_like_api_gateway(fixture_api: Any, method: str) -> None:
    port = int(fixture_api.url.rsplit(":", 1)[1])
    # /private is GET only: another method is API Gateway's JSON 404, not http.server's HTML 501.
    [(status, headers, body)] = exchange(
        port, f"{method} /private HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    )
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    assert headers["content-type"] == "application/json"
    # /public/{item} is an ANY route: it takes every method, these too.
    [(status, _, body)] = exchange(
        port, f"{method} /public/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    )
    assert status == 200 and json.loads(body)["event"]["requestContext"]["http"]["method"] == method


def test_a_stack_started_for_it_mints_admin_tokens(site: SiteServer) -> None:
    import json
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{site.server_address[1]}/_dev/token",
        data=json.dumps({"sub": "ops", "admin": True}).encode(),
        method="POST",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 200 and json.loads(reply.read())["token"]
