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


def _sign_in_raw(
    site: SiteServer, body: bytes, *, host: bytes | None = None, origin: bytes | None = None
) -> Any:
    port = site.server_address[1]
    head = b"POST /_dev/token HTTP/1.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
    if host is not None:
        head += b"Host: " + host + b"\r\n"
    if origin is not None:
        head += b"Origin: " + origin + b"\r\n"
    [(status, _, reply)] = exchange(port, head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    return status, json.loads(reply)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 2000 + b"]" * 2000,  # deeper than the parser goes: once a dropped connection
        b'{"sub": "a", "admin": NaN}',
        b'{"sub": ' + b"9" * 4000 + b"}",
        b'{"sub": "\xff"}',
        b'{"sub": "a",',
    ],
    ids=["deep", "nan", "long-number", "not-utf8", "truncated"],
)
def test_a_sign_in_body_that_is_not_usable_json_is_a_4xx_json_error(site: SiteServer, body: bytes) -> None:
    own = f"127.0.0.1:{site.server_address[1]}".encode()
    status, reply = _sign_in_raw(site, body, host=own)
    assert status in (400, 422) and reply["error"]["code"] in ("invalid_json", "validation_failed")
    # The server is still there for the next caller.
    assert _sign_in_raw(site, b'{"sub": "after"}', host=own)[0] == 200


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        (None, None),  # no Host at all
        (b"127.0.0.1", None),  # the right address on another port (80)
        (b"shop.example", None),  # a DNS-rebinding name pointing at this machine
        (b"127.0.0.1:{port}", b"null"),  # a sandboxed frame or a file:// page
        (b"127.0.0.1:{port}", b"http://127.0.0.1:{port}.evil.example"),
        (b"127.0.0.1:{port}", b"https://127.0.0.1:{port}"),  # another scheme is another origin
    ],
)
def test_the_sign_in_answers_no_other_host_or_origin(
    site: SiteServer, host: bytes | None, origin: bytes | None
) -> None:
    port = str(site.server_address[1]).encode()
    status, reply = _sign_in_raw(
        site,
        b'{"sub": "minji"}',
        host=host.replace(b"{port}", port) if host else None,
        origin=origin.replace(b"{port}", port) if origin else None,
    )
    assert status == 403 and reply["error"]["code"] == "forbidden_origin"


def test_the_sign_in_answers_its_own_page_under_either_loopback_name(site: SiteServer) -> None:
    port = str(site.server_address[1]).encode()
    for name in (b"127.0.0.1", b"localhost", b"LOCALHOST"):
        own = name + b":" + port
        status, reply = _sign_in_raw(site, b'{"sub": "minji"}', host=own, origin=b"http://" + own)
        assert status == 200 and reply["token"]


def test_a_site_not_started_for_it_mints_no_admin_token(tmp_path: pathlib.Path) -> None:
    server = SiteServer("127.0.0.1", 0, WEB_DIR)
    server.configure({}, TokenIssuer(SigningKey.load(tmp_path), "https://i.test", "aud"))  # the default
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        own = f"127.0.0.1:{server.server_address[1]}".encode()
        status, reply = _sign_in_raw(server, b'{"sub": "ops", "admin": true}', host=own)
        assert status == 403 and reply["error"]["code"] == "admin_tokens_off"
        assert "--dev-admin" in reply["error"]["message"]
        assert _sign_in_raw(server, b'{"sub": "ops", "admin": false}', host=own)[0] == 200
    finally:
        server.shutdown()
        server.server_close()
