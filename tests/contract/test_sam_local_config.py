"""The committed SAM local settings agree with the template and with `make run`
(docs/deploy.md#sam-local-testing): env.local.json (Docker) and env.podman.json (podman) differ only
in how containers name the host, set only variables the template declares, and point at the ports and
tables `make run` serves."""

from __future__ import annotations

import json
import pathlib
import tomllib

from local import __main__ as cli
from local.cfn import load_template
from local.tables import local_table_names, table_env
from sandbox.server import SandboxServer

ROOT = pathlib.Path(__file__).resolve().parents[2]
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - what SANDBOX_HOST may ask for
HOSTS = {"env.local.json": "host.docker.internal", "env.podman.json": "host.containers.internal"}


def _params(name: str) -> dict[str, str]:
    params: dict[str, str] = json.loads((ROOT / name).read_text())["Parameters"]
    return params


def test_both_env_files_differ_only_in_the_host_name() -> None:
    docker, podman = _params("env.local.json"), _params("env.podman.json")
    assert set(docker) == set(podman)
    differ = {k for k in docker if docker[k] != podman[k]}
    assert differ == {"DYNAMODB_ENDPOINT", "IAMPORT_BASE_URL"}
    for name, host in HOSTS.items():
        params = _params(name)
        assert params["DYNAMODB_ENDPOINT"] == f"http://{host}:{cli.DEFAULT_PORTS['DDB_PORT']}"
        assert params["IAMPORT_BASE_URL"] == f"http://{host}:{cli.DEFAULT_PORTS['SANDBOX_PORT']}"


def test_env_files_set_only_declared_variables_and_make_runs_tables() -> None:
    declared = set(load_template()["Globals"]["Function"]["Environment"]["Variables"])
    for name in HOSTS:
        params = _params(name)
        # SAM local ignores a variable the template does not declare: it would silently not apply.
        assert set(params) <= declared, set(params) - declared
        assert table_env(local_table_names()).items() <= params.items()
        assert params["IAMPORT_API_KEY_PARAM"] == "" and params["IAMPORT_API_KEY"] == "sandbox-key"


def test_samconfig_local_settings() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    default = config["default"]
    for command in ("local_invoke", "local_start_api"):
        assert default[command]["parameters"]["env_vars"] == "env.local.json"
        assert default[command]["parameters"]["add_host"] == ["host.docker.internal:host-gateway"]
        podman = config["podman"][command]["parameters"]
        assert podman["env_vars"] == "env.podman.json"
        assert podman["parameter_overrides"] == "Architecture=x86_64"
        assert "add_host" not in podman  # podman names the host itself (and knows no host-gateway)
    template = load_template()
    assert template["Parameters"]["Architecture"]["Default"] == "arm64"  # what deploys stays arm64
    assert template["Globals"]["Function"]["Architectures"] == [{"Ref": "Architecture"}]


def test_a_sandbox_open_to_containers_still_gives_loopback_urls() -> None:
    server = SandboxServer(port=0, host=EVERY_INTERFACE).start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.sandbox.base_url == server.url
    finally:
        server.stop()


def test_sandbox_host_is_loopback_or_every_interface(monkeypatch) -> None:
    monkeypatch.delenv("SANDBOX_HOST", raising=False)
    assert cli._sandbox_host() == "127.0.0.1"
    monkeypatch.setenv("SANDBOX_HOST", EVERY_INTERFACE)
    assert cli._sandbox_host() == EVERY_INTERFACE
    monkeypatch.setenv("SANDBOX_HOST", "10.0.0.5")
    try:
        cli._sandbox_host()
    except cli.UsageError as exc:
        assert "SANDBOX_HOST" in str(exc)
    else:
        raise AssertionError("an arbitrary address was accepted")
