"""The sandbox installs on its own (sandbox/pyproject.toml): a wheel built from sandbox/ alone, installed
into a clean virtualenv with nothing else of this project, answers REST calls through its console script
and gives pytest the `sandbox` fixture, payment window included."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("sandbox-package")
    source = work / "src" / "sandbox"
    shutil.copytree(
        ROOT / "sandbox", source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info")
    )
    env = _clean_env()
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(source)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (work / "dist").glob("iamport_sandbox-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True, timeout=120)
    python = work / "venv" / "bin" / "python"
    pytest_version = __import__("pytest").__version__
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel), f"pytest=={pytest_version}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    return work / "venv"


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def test_the_wheel_holds_only_the_sandbox(venv: Path) -> None:
    python = venv / "bin" / "python"
    code = (
        "import importlib.util as u; "
        "print([m for m in ('sandbox', 'checkout', 'local', 'tests') if u.find_spec(m)])"
    )
    found = subprocess.run(
        [str(python), "-c", code], cwd=venv, env=_clean_env(), capture_output=True, text=True
    )
    assert found.stdout.strip() == "['sandbox']", found.stderr


def test_the_console_script_serves_the_rest_api(venv: Path) -> None:
    server = subprocess.Popen(
        [str(venv / "bin" / "iamport-sandbox"), "--port", "0"],
        cwd=venv,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        url = line.split("listening on ", 1)[1].split(" ", 1)[0]
        request = urllib.request.Request(  # noqa: S310 - the sandbox on loopback
            f"{url}/users/getToken",
            data=json.dumps({"imp_key": "sandbox-key", "imp_secret": "sandbox-secret"}).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
            body = json.loads(reply.read())
        assert body["code"] == 0 and body["response"]["access_token"]
        with urllib.request.urlopen(f"{url}/sandbox/iamport.js", timeout=10) as script:  # noqa: S310
            assert b"request_pay" in script.read()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_pytest_gets_the_sandbox_fixture_from_the_installed_package(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "test_uses_sandbox.py").write_text(
        "import json, urllib.request\n"
        "\n"
        "def test_pay_through_the_window_and_read_it_back(sandbox):\n"
        "    paid = sandbox.control.pay('order-1', 1000)\n"
        "    request = urllib.request.Request(\n"
        "        sandbox.url + '/users/getToken', data=json.dumps(sandbox.credentials).encode(),\n"
        "        headers={'content-type': 'application/json'})\n"
        "    answer = json.loads(urllib.request.urlopen(request, timeout=10).read())\n"
        "    token = answer['response']['access_token']\n"
        "    lookup = urllib.request.Request(sandbox.url + '/payments/' + paid['imp_uid'],\n"
        "        headers={'Authorization': token})\n"
        "    payment = json.loads(urllib.request.urlopen(lookup, timeout=10).read())['response']\n"
        "    assert payment['status'] == 'paid' and payment['amount'] == 1000\n"
        "    assert payment['merchant_uid'] == 'order-1'\n"
    )
    run = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "1 passed" in run.stdout
