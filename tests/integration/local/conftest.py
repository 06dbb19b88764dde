"""The local API adapter serving a small fixture app (tests/integration/local/fixtures), so the adapter is
tested on its own, independent of the checkout's handlers."""

from __future__ import annotations

import json
import pathlib
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local.api import ApiGateway, attach, make_server
from local.cfn import load_template
from local.lambdas import FunctionRuntime
from local.samapp import SamApp, load_app
from local.tokens import SigningKey, TokenIssuer

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
ISSUER = "https://issuer.fixture.test"
AUDIENCES = ("fixture-web", "fixture-mobile")
SITE_ORIGIN = "https://shop.example"


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(values) if values else None

    def header_values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> Reply:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return Reply(resp.status, list(resp.headers.items()), resp.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, list(exc.headers.items()), exc.read())


@dataclass
class FixtureApi:
    url: str
    app: SamApp
    runtime: FunctionRuntime
    key: SigningKey
    issuer: TokenIssuer
    mark_file: pathlib.Path
    logs: list[tuple[str, str]]

    def call(
        self, path: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        return call(self.url + path, method, body, headers)

    def token(self, sub: str = "buyer-1", **kwargs: Any) -> str:
        return self.issuer.issue(sub, **kwargs)


@pytest.fixture(scope="module")
def fixture_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FixtureApi]:
    tmp = tmp_path_factory.mktemp("fixture-api")
    server = make_server("127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    mark_file = tmp / "sweeps.jsonl"
    app = load_app(
        load_template(FIXTURES / "template.yaml"),
        region="ap-northeast-2",
        api_url=url,
        parameter_overrides={"Issuer": ISSUER, "Audience": ",".join(AUDIENCES), "MarkFile": str(mark_file)},
        table_names={"ItemsTable": "fixture-items"},
        root=FIXTURES,
    )
    key = SigningKey.load(tmp / "jwt")
    logs: list[tuple[str, str]] = []
    runtime = FunctionRuntime(app.functions, "ap-northeast-2", {}, lambda fn, line: logs.append((fn, line)))
    attach(server, ApiGateway(app, runtime, key.jwks))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield FixtureApi(url, app, runtime, key, TokenIssuer(key, ISSUER, AUDIENCES[1]), mark_file, logs)
    finally:
        server.shutdown()
        server.server_close()
        runtime.close()
