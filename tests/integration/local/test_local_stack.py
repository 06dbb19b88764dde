"""The whole offline shop (`local.stack.running_stack`, `python -m local`): DynamoDB Local, tables and
sample data, the sandbox, the API through the real template, and the site server."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from local.cfn import load_template
from local.seed import DEMO_POINTS, DEMO_USER, read_catalog
from local.stack import LocalStack, LocalUrls, PortInUse, load_local_app, running_stack
from local.tables import dynamodb_client, local_table_names
from local.tokens import JwtVerifier, SigningKey

ROOT = pathlib.Path(__file__).resolve().parents[3]


def _call(url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None) -> Any:
    import urllib.error
    import urllib.request

    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, method=method, headers={"content-type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with running_stack() as s:
        yield s


def test_running_stack_serves_everything_on_free_ports_with_tables_and_sample_data(stack: LocalStack) -> None:
    urls = {stack.api_url, stack.web_url, stack.sandbox_url, stack.ddb_endpoint}
    assert len(urls) == 4 and all(u.startswith("http://127.0.0.1:") for u in urls)
    tables = set(dynamodb_client(stack.ddb_endpoint).list_tables()["TableNames"])
    assert set(stack.table_names.values()) <= tables
    assert stack.seeded is not None
    assert stack.seeded.products_loaded == len(read_catalog())
    assert stack.seeded.points_granted == DEMO_POINTS
    balance = dynamodb_client(stack.ddb_endpoint).get_item(
        TableName=stack.table_names["PointsTable"], Key={"user_id": {"S": DEMO_USER}, "sk": {"S": "BALANCE"}}
    )
    assert balance["Item"]["available"] == {"N": str(DEMO_POINTS)}


def test_catalog_has_korean_items_with_integer_krw_prices_and_stock() -> None:
    products = read_catalog()
    assert len(products) >= 5
    assert all(isinstance(p["price"], int) and p["price"] >= 100 for p in products)
    assert any(any("\uac00" <= ch <= "\ud7a3" for ch in str(p["name"])) for p in products)


def test_get_products_through_the_adapter_returns_the_catalog(stack: LocalStack) -> None:
    status, headers, body = _call(f"{stack.api_url}/products", headers={"Origin": stack.web_url})
    assert status == 200, body
    assert headers.get("access-control-allow-origin") == stack.web_url
    listed = json.loads(body)
    products = listed["products"] if isinstance(listed, dict) else listed
    by_id = {p["product_id"]: p for p in products}
    for p in read_catalog():
        assert by_id[p["product_id"]]["price"] == p["price"]


def test_stack_tokens_pass_the_api_authorizer_and_missing_tokens_do_not(stack: LocalStack) -> None:
    status, _, _ = _call(f"{stack.api_url}/points")
    assert status == 401
    status, _, body = _call(
        f"{stack.api_url}/points", headers={"Authorization": f"Bearer {stack.token_for(DEMO_USER)}"}
    )
    assert status == 200, body


def test_site_serves_a_config_pointing_at_the_local_api_and_the_sandbox_shim(stack: LocalStack) -> None:
    status, headers, body = _call(f"{stack.web_url}/config.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript")
    text = body.decode()
    assert text.startswith("window.CHECKOUT_CONFIG = ")
    config = json.loads(text.removeprefix("window.CHECKOUT_CONFIG = ").rstrip().rstrip(";"))
    assert config == {
        "apiBaseUrl": stack.api_url,
        "merchantCode": "imp00000000",
        "impScriptUrl": f"{stack.sandbox_url}/sandbox/iamport.js",
        "devTokenUrl": "/_dev/token",
    }
    assert _call(config["impScriptUrl"])[0] == 200


def test_site_serves_files_and_falls_back_to_index_for_app_routes(stack: LocalStack) -> None:
    index = (ROOT / "web" / "index.html").read_bytes()
    assert _call(f"{stack.web_url}/")[2] == index
    assert _call(f"{stack.web_url}/result?merchant_uid=order-1")[2] == index
    status, headers, _ = _call(f"{stack.web_url}/src/api.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript")
    assert _call(f"{stack.web_url}/src/missing.js")[0] == 404
    assert _call(f"{stack.web_url}/..%2f..%2fpyproject.toml")[0] == 404


def test_dev_token_endpoint_issues_tokens_the_api_accepts(stack: LocalStack) -> None:
    status, _, body = _call(f"{stack.web_url}/_dev/token", "POST", {"sub": "minji"})
    assert status == 200
    token = json.loads(body)["token"]
    spec = next(iter(stack.app.authorizers.values()))
    claims, _ = JwtVerifier(stack.issuer.key.jwks, spec.issuer, spec.audiences).verify(token)
    assert claims["sub"] == "minji" and not claims.get("cognito:groups")


def test_dev_token_endpoint_mints_no_admin_unless_the_stack_was_started_for_it(stack: LocalStack) -> None:
    status, _, body = _call(f"{stack.web_url}/_dev/token", "POST", {"sub": "minji", "admin": True})
    assert status == 403 and json.loads(body)["error"]["code"] == "admin_tokens_off"


def test_dynamodb_local_lets_no_web_page_in_and_reports_nothing(stack: LocalStack) -> None:
    # A page on any site the developer has open must not reach the local tables through the browser:
    # DynamoDB Local's own default would answer every origin's preflight.
    status, headers, _ = _call(
        stack.ddb_endpoint,
        "OPTIONS",
        headers={
            "Origin": "http://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-amz-target",
        },
    )
    assert not {k.lower() for k in headers} & {"access-control-allow-origin"}, (status, headers)
    assert "-disableTelemetry" in stack.ddb.process.args  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},  # another page the browser has open
        {"Origin": "http://127.0.0.1:1"},  # another local port
        {"Host": "rebound.example"},  # a DNS-rebinding name pointing at this machine
    ],
)
def test_dev_token_endpoint_answers_only_the_sites_own_page(
    stack: LocalStack, headers: dict[str, str]
) -> None:
    status, _, body = _call(f"{stack.web_url}/_dev/token", "POST", {"sub": "minji"}, headers=headers)
    assert status == 403 and json.loads(body)["error"]["code"] == "forbidden_origin"
    own = stack.web_url.replace("127.0.0.1", "localhost")
    assert _call(f"{stack.web_url}/_dev/token", "POST", {"sub": "minji"}, headers={"Origin": own})[0] == 200


@pytest.mark.parametrize(
    "payload", [{}, {"sub": ""}, {"sub": 5}, {"sub": "x" * 129}, {"sub": "a", "admin": "yes"}, ["sub"]]
)
def test_dev_token_endpoint_refuses_bad_input_with_a_clear_4xx(stack: LocalStack, payload: Any) -> None:
    status, _, body = _call(f"{stack.web_url}/_dev/token", "POST", payload)
    assert status == 422
    assert json.loads(body)["error"]["code"] == "validation_failed"


def test_dev_token_endpoint_refuses_non_json(stack: LocalStack) -> None:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(f"{stack.web_url}/_dev/token", data=b"sub=me", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 400


def _busy_port() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    return sock


def test_port_in_use_is_a_clear_error_before_anything_starts() -> None:
    with _busy_port() as busy:
        port = busy.getsockname()[1]
        with pytest.raises(PortInUse) as err:
            LocalStack(web_port=port).start()
    assert f"port {port} (the site) is already in use" in str(err.value)
    assert "WEB_PORT" in str(err.value)


def _local_command(data_dir: pathlib.Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m local ARGS` as a developer runs it, with its data kept in `data_dir`."""
    return subprocess.run(
        [sys.executable, "-m", "local", *args],
        cwd=ROOT,
        env={**os.environ, "LOCAL_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_run_with_a_busy_port_prints_one_line_saying_what_to_do(tmp_path: pathlib.Path) -> None:
    with _busy_port() as busy:
        port = busy.getsockname()[1]
        proc = _local_command(tmp_path, "run", API_PORT=str(port))
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert errors == [
        f"error: port {port} (the API) is already in use on 127.0.0.1: stop what uses it "
        f"or set API_PORT to a free port"
    ]


def test_bad_port_setting_is_a_clear_error(tmp_path: pathlib.Path) -> None:
    proc = _local_command(tmp_path, "run", WEB_PORT="http")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: WEB_PORT='http' is not a port number (1-65535)"


def test_token_command_prints_a_token_for_the_template_authorizer(tmp_path: pathlib.Path) -> None:
    proc = _local_command(tmp_path, "token", "--sub", "seoyeon", "--admin")
    assert proc.returncode == 0, proc.stderr
    token = proc.stdout.strip()
    app = load_local_app(
        load_template(),
        LocalUrls("http://127.0.0.1:3000", "http://127.0.0.1:4000", "http://127.0.0.1:8090"),
        local_table_names(),
    )
    spec = next(iter(app.authorizers.values()))
    key = SigningKey.load(tmp_path / "jwt")
    claims, _ = JwtVerifier(key.jwks, spec.issuer, spec.audiences).verify(token)
    assert claims["sub"] == "seoyeon" and claims["cognito:groups"] == ["admin"]


def test_token_command_refuses_an_empty_subject(tmp_path: pathlib.Path) -> None:
    proc = _local_command(tmp_path, "token", "--sub", " ")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: sub must be a non-empty string"


def test_data_survives_a_restart_and_first_start_data_is_not_loaded_twice(tmp_path: pathlib.Path) -> None:
    with running_stack(data_dir=tmp_path) as first:
        assert first.seeded is not None and first.seeded.points_granted == DEMO_POINTS
        client = dynamodb_client(first.ddb_endpoint)
        client.put_item(
            TableName=first.table_names["OrdersTable"],
            Item={
                "merchant_uid": {"S": "order-kept"},
                "user_id": {"S": DEMO_USER},
                "created_at": {"S": "2026-01-01"},
            },
        )
        token = first.token_for(DEMO_USER)
    assert (tmp_path / "ddb").is_dir() and (tmp_path / "jwt" / "signing-key.pem").is_file()
    with running_stack(data_dir=tmp_path) as second:
        assert second.seeded is not None
        assert (second.seeded.products_loaded, second.seeded.points_granted) == (0, 0)
        item = dynamodb_client(second.ddb_endpoint).get_item(
            TableName=second.table_names["OrdersTable"], Key={"merchant_uid": {"S": "order-kept"}}
        )
        assert item["Item"]["user_id"] == {"S": DEMO_USER}
        # The signing key is kept too: a token from before the restart still works.
        spec = next(iter(second.app.authorizers.values()))
        assert (
            JwtVerifier(second.issuer.key.jwks, spec.issuer, spec.audiences).verify(token)[0]["sub"]
            == DEMO_USER
        )


def test_make_run_without_java_prints_one_line_saying_what_to_do(tmp_path: pathlib.Path) -> None:
    from local.dynamodb import free_port

    no_java = tmp_path / "bin"
    no_java.mkdir()
    env = {
        **os.environ,
        "PATH": str(no_java),
        "LOCAL_DATA_DIR": str(tmp_path),
        "API_PORT": str(free_port()),
        "WEB_PORT": str(free_port()),
        "SANDBOX_PORT": str(free_port()),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "local", "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert errors == [
        "error: Java 17 is required for DynamoDB Local: run `make setup` (it installs "
        "openjdk-17-jre-headless) or install a JRE 17, then retry"
    ]
