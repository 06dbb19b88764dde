"""Running the sandbox: in-process server, state file, accounts, routing errors, and the CLI."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.accounts import DEV_ACCOUNT, Account
from sandbox.control import SandboxControl
from sandbox.server import SandboxServer
from tests.support.imp_api import ImpApi

ROOT = Path(__file__).resolve().parents[2]


def test_server_is_a_context_manager_with_a_url_without_trailing_slash() -> None:
    with SandboxServer(port=0) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert requests.get(f"{server.url}/sandbox", timeout=5).json()["response"]["url"] == server.url
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/sandbox", timeout=1)


def test_state_file_keeps_payments_prepares_and_tokens_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "state" / "sandbox.json"
    with SandboxServer(state_file=state) as server:
        api = ImpApi(server.url, DEV_ACCOUNT.imp_key, DEV_ACCOUNT.imp_secret)
        api.ok("POST", "/payments/prepare", json_body={"merchant_uid": "order-s1", "amount": 3000})
        paid = SandboxControl(server.url).pay("order-s1", 3000)
        api.ok("POST", "/payments/cancel", json_body={"imp_uid": paid["imp_uid"], "amount": 1000})
        token = api.token()
    saved = json.loads(state.read_text())
    assert saved["version"] == 1 and len(saved["store"]["payments"]) == 1
    assert [p.name for p in state.parent.iterdir()] == ["sandbox.json"]  # no temp files left behind
    with SandboxServer(state_file=state) as restarted:
        reply = requests.get(
            f"{restarted.url}/payments/{paid['imp_uid']}", headers={"Authorization": token}, timeout=5
        )
        payment = reply.json()["response"]
        assert payment["cancel_amount"] == 1000 and payment["status"] == "paid"
        prepared = requests.get(
            f"{restarted.url}/payments/prepare/order-s1", headers={"Authorization": token}, timeout=5
        )
        assert prepared.json()["response"]["amount"] == 3000


def test_without_a_state_file_nothing_survives_a_restart() -> None:
    with SandboxServer() as server:
        paid = SandboxControl(server.url).pay("order-s2", 1000)
    with SandboxServer() as server:
        assert all(p["imp_uid"] != paid["imp_uid"] for p in SandboxControl(server.url).payments())


def test_accounts_see_only_their_own_payments() -> None:
    other = Account("imp22222222", "key-2", "secret-2")
    with SandboxServer(accounts=[DEV_ACCOUNT, other]) as server:
        control = SandboxControl(server.url)
        mine = control.pay("order-s3", 1000)
        theirs = control.pay("order-s3", 1000, merchant_code="imp22222222")
        dev = ImpApi(server.url, DEV_ACCOUNT.imp_key, DEV_ACCOUNT.imp_secret)
        second = ImpApi(server.url, "key-2", "key-2-wrong")
        assert dev.ok("GET", "/payments/find/order-s3")["imp_uid"] == mine["imp_uid"]
        assert dev.call("GET", f"/payments/{theirs['imp_uid']}").status_code == 404
        with pytest.raises(AssertionError):
            second.token()
        second.imp_secret = "secret-2"
        assert second.ok("GET", "/payments/find/order-s3")["imp_uid"] == theirs["imp_uid"]
        assert {a["merchant_code"] for a in control.accounts()} == {"imp00000000", "imp22222222"}
        assert all("imp_secret" not in a for a in control.accounts())


def test_unknown_routes_wrong_methods_and_bad_bodies_answer_in_the_envelope(
    sandbox: Any, api: ImpApi
) -> None:
    unknown = api.call("GET", "/no/such/route")
    assert unknown.status_code == 404 and unknown.json()["code"] == -1
    wrong_method = api.call("DELETE", "/payments/prepare")
    assert wrong_method.status_code == 405 and wrong_method.json()["response"] is None
    bad_json = api.call(
        "POST", "/payments/prepare", headers={"Content-Type": "application/json"}, form="{not json"
    )
    assert bad_json.status_code == 400 and bad_json.json()["code"] == -1
    not_object = api.call("POST", "/payments/cancel", json_body=[1, 2])
    assert not_object.status_code == 400
    assert unknown.headers["Content-Type"] == "application/json; charset=UTF-8"


def test_window_endpoints_allow_any_origin(sandbox: Any) -> None:
    preflight = requests.options(
        f"{sandbox.url}/sandbox/window/open",
        timeout=5,
        headers={"Origin": "http://127.0.0.1:1", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    script = requests.get(f"{sandbox.url}/sandbox/iamport.js", timeout=5)
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert "window.IMP" in script.text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sandbox", *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_cli_prints_its_url_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    state = tmp_path / "cli-state.json"
    process = start_cli("--port", str(port), "--webhook-content-type", "form", "--state-file", str(state))
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in banner and "sandbox-secret" not in banner
        control = SandboxControl(f"http://127.0.0.1:{port}")
        assert control.config()["webhook_content_type"] == "form"
        control.pay("order-cli", 1000)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert "order-cli" in state.read_text()


def test_cli_stops_cleanly_on_sigint() -> None:
    process = start_cli("--port", "0")
    try:
        assert process.stdout is not None and "listening" in process.stdout.readline()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_cli_exits_2_with_one_line_when_the_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start_cli("--port", str(port))
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and str(port) in lines[0] and "in use" in lines[0]


def test_server_start_raises_when_the_port_is_taken() -> None:
    with SandboxServer() as first:
        started = time.monotonic()
        with pytest.raises(OSError):
            SandboxServer(port=first.port).start()
        assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "content",
    [
        "{broken",
        '{"version": 1, "store": {"payments": [{"imp_uid": 1}]}}',
        '{"version": 1, "store": []}',
        "[]",
    ],
)
def test_an_unusable_state_file_is_one_clear_line_saying_what_to_do(tmp_path: Path, content: str) -> None:
    state = tmp_path / "sandbox-state.json"
    state.write_text(content)
    with pytest.raises(ValueError, match="delete it"):
        SandboxServer(port=0, state_file=state)
    process = start_cli("--port", "0", "--state-file", str(state))
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and str(state) in lines[0] and "delete it" in lines[0], stderr


def test_the_cli_warns_before_listening_beyond_this_machine(capsys) -> None:
    from sandbox.cli import is_loopback, main

    assert (
        is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("[::1]") and is_loopback("localhost")
    )
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1") and not is_loopback("shop.example")  # noqa: S104 - only parsed, never bound
    # 192.0.2.1 (a documentation address) is not this machine's: the bind fails after the warning.
    assert main(["--host", "192.0.2.1", "--port", "0"]) != 0
    err = capsys.readouterr().err
    assert "warning: the sandbox is listening on 192.0.2.1" in err and "unauthenticated" in err


def _this_machines_network_address() -> str | None:
    """An address of this machine that is not loopback (the route out), or None without a network."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP: nothing is sent
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    kind = ipaddress.ip_address(address)
    return None if kind.is_loopback or kind.is_unspecified else address


@pytest.mark.parametrize("host", [None, "127.0.0.1", "localhost"])
def test_the_cli_listens_on_loopback_by_default_and_warns_of_nothing_there(host: str | None) -> None:
    from sandbox.cli import is_loopback, parse_args

    assert parse_args([]).host == "127.0.0.1"
    process = start_cli("--port", "0", *(("--host", host) if host else ()))
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        found = re.search(r"http://([^\s:]+):(\d+)", banner)
        assert found and is_loopback(found.group(1)), banner
        # Not reachable from the network: the machine's own network address finds nothing there.
        network = _this_machines_network_address()
        if network is not None:
            with pytest.raises(OSError), socket.create_connection((network, int(found.group(2))), timeout=1):
                pass
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert process.stderr is not None
    assert "warning" not in process.stderr.read()
