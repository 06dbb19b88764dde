"""`python -m local run` (what `make run` starts), as a developer sees it: the printed URLs and dev
token work, the site's /config.js points at them, Ctrl-C stops everything, and a restart keeps the data
(orders in DynamoDB Local and payments in the I'mport sandbox)."""

from __future__ import annotations

import base64
import json
import os
import pathlib
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from local import __main__ as cli
from local.dynamodb import free_port

ROOT = pathlib.Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 120  # DynamoDB Local's JVM and the first imports on a busy 2-core machine


class RunningCommand:
    def __init__(self, env: dict[str, str], *args: str) -> None:
        inherited = {k: v for k, v in os.environ.items() if k != "LOCAL_DEV_ADMIN"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local", "run", *args],
            cwd=ROOT,
            env={**inherited, **env, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def banner(self) -> dict[str, str]:
        """Reads until the dev token; returns the printed values by name."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while not any("dev token for" in line for line in self.seen[:-1]):
            try:
                self.seen.append(self.lines.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"no banner after {START_TIMEOUT_S} s: {self.seen}") from None
        text = "\n".join(self.seen)
        found = {
            name: re.search(rf"^\s+{label}\s+(\S+)", text, re.M)
            for name, label in (
                ("site", "site"),
                ("api", "API"),
                ("sandbox", "I'mport sandbox"),
                ("ddb", "DynamoDB Local"),
                ("sample", "sample data"),
            )
        }
        values = {name: match.group(1) for name, match in found.items() if match}
        values["token"] = self.seen[-1].strip()
        values["text"] = text
        return values

    def interrupt(self) -> tuple[int, str]:
        """Ctrl-C: the exit code and what it printed after."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=60)
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        return code, "\n".join(rest)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def http(url: str, body: Any = None, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as reply:
        return reply.status, reply.read()


def sign_in(web: str, sub: str, *, admin: bool) -> tuple[int, dict[str, Any]]:
    """The site's development sign-in, as its own page calls it."""
    request = urllib.request.Request(
        f"{web}/_dev/token",
        data=json.dumps({"sub": sub, "admin": admin}).encode(),
        headers={"Content-Type": "application/json", "Origin": web},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def accepts_connections(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def test_default_ports_are_3000_4000_8090_and_8000(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("API_PORT", "WEB_PORT", "SANDBOX_PORT", "DDB_PORT"):
        monkeypatch.delenv(name, raising=False)
    # The fixed ports env.local.json and env.podman.json name (SAM local reaches DynamoDB Local there).
    assert (cli._port("DDB_PORT"), cli._port("SANDBOX_PORT")) == (8000, 8090)
    urls = cli._urls_from_env()
    assert (urls.api_url, urls.web_url, urls.sandbox_url) == (
        "http://127.0.0.1:3000",
        "http://127.0.0.1:4000",
        "http://127.0.0.1:8090",
    )


@pytest.mark.parametrize(
    ("flag", "env", "on"),
    [
        (False, None, False),
        (False, "", False),
        (False, "0", False),
        (False, "no", False),
        (False, "admin", False),
        (False, "1", True),
        (False, " TRUE ", True),
        (False, "yes", True),
        (True, None, True),
    ],
)
def test_admin_tokens_from_the_site_only_when_the_run_asks_for_them(
    monkeypatch: pytest.MonkeyPatch, flag: bool, env: str | None, on: bool
) -> None:
    if env is None:
        monkeypatch.delenv("LOCAL_DEV_ADMIN", raising=False)
    else:
        monkeypatch.setenv("LOCAL_DEV_ADMIN", env)
    assert cli.dev_admin_enabled(flag) is on


def test_run_prints_working_urls_and_token_stops_on_ctrl_c_and_keeps_data(tmp_path: pathlib.Path) -> None:
    ports = {
        "API_PORT": free_port(),
        "WEB_PORT": free_port(),
        "SANDBOX_PORT": free_port(),
        "DDB_PORT": free_port(),
    }
    env = {name: str(port) for name, port in ports.items()} | {"LOCAL_DATA_DIR": str(tmp_path)}
    api, web, sandbox = (f"http://127.0.0.1:{ports[n]}" for n in ("API_PORT", "WEB_PORT", "SANDBOX_PORT"))

    first = RunningCommand(env)
    try:
        shown = first.banner()
        assert (shown["site"], shown["api"], shown["sandbox"]) == (web, api, sandbox)
        assert "merchant imp00000000, key sandbox-key / sandbox-secret" in shown["text"]
        assert f"API explorer    {web}/api-docs/" in shown["text"]
        assert f"(data in {tmp_path / 'ddb'})" in shown["text"]
        assert shown["ddb"] == f"http://127.0.0.1:{ports['DDB_PORT']}"
        assert shown["sample"] != "0"  # the catalog is loaded into empty tables
        # Started without --dev-admin: the site's sign-in issues buyers' tokens only, and says so.
        assert "site sign-in    buyers only" in shown["text"]
        assert sign_in(web, "minji", admin=False)[0] == 200
        status, refused = sign_in(web, "minji", admin=True)
        assert status == 403 and refused["error"]["code"] == "admin_tokens_off"

        status, body = http(f"{api}/points", token=shown["token"])
        assert status == 200 and json.loads(body)["available"] > 0  # the demo user's welcome points
        status, script = http(f"{web}/config.js")
        config = json.loads(script.decode().split("=", 1)[1].strip().rstrip(";"))
        assert config == {
            "apiBaseUrl": api,
            "merchantCode": "imp00000000",
            "impScriptUrl": f"{sandbox}/sandbox/iamport.js",
            "devTokenUrl": "/_dev/token",
        }
        status, body = http(
            f"{sandbox}/sandbox/payments", {"merchant_uid": "kept-order", "amount": 1000, "outcome": "paid"}
        )
        assert status == 200

        code, after = first.interrupt()
        assert code == 0 and "Stopping..." in after
        assert not any(accepts_connections(url) for url in (api, web, sandbox, shown["ddb"]))
    finally:
        first.kill()

    second = RunningCommand(env, "--dev-admin")
    try:
        shown = second.banner()
        assert shown["sample"] == "0"  # nothing loaded twice
        # Started with --dev-admin: the sign-in issues admin tokens too, and the banner warns of it.
        assert "site sign-in    buyers and ADMINS" in shown["text"]
        status, minted = sign_in(web, "ops", admin=True)
        assert status == 200
        payload = minted["token"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert claims["sub"] == "ops" and claims["cognito:groups"] == ["admin"]
        status, body = http(f"{api}/points", token=shown["token"])
        assert json.loads(body)["ledger"], "the points ledger survived the restart"
        status, body = http(f"{sandbox}/sandbox/payments")
        assert [p["merchant_uid"] for p in json.loads(body)["response"]] == ["kept-order"]
        assert second.interrupt()[0] == 0
    finally:
        second.kill()
