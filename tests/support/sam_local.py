"""The real SAM CLI running the template's functions in containers (podman), against DynamoDB Local and
the I'mport sandbox on this machine: what tests/samlocal drives. tools/sam_local.py prepares it."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.cfn import ROOT

# tools/sam_local.py writes it; SAM_LOCAL_STATUS points elsewhere (the test of the skip does).
STATUS = Path(os.environ.get("SAM_LOCAL_STATUS") or ROOT / ".cache" / "sam-local" / "status.json")
SAM = ROOT / ".venv-sam" / "bin" / "sam"
CONTAINERS_CONF = ROOT / "tools" / "sam-local" / "containers.conf"
INVOKE_TIMEOUT_S = 180
# Where containers find this machine (podman's own name for it; Docker's is host.docker.internal).
CONTAINER_HOST = "host.containers.internal"


def prepared() -> dict[str, Any]:
    """tools/sam_local.py's verdict: {"ready": true, "image": ..., ...} or {"ready": false, "reason": ...}."""
    if not STATUS.exists():
        return {"ready": False, "reason": "not prepared: run `make sam-local` (make test does)"}
    status: dict[str, Any] = json.loads(STATUS.read_text())
    return status


def engine_env(docker_host: str | None = None) -> dict[str, str]:
    env = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF), "SAM_CLI_TELEMETRY": "0"}
    if docker_host:
        env["DOCKER_HOST"] = docker_host
    return env


@contextlib.contextmanager
def podman_service(work: Path) -> Iterator[str]:
    """podman's Docker-compatible API on a socket of our own, for the SAM CLI (DOCKER_HOST)."""
    sock = work / "podman.sock"
    url = f"unix://{sock}"
    log = (work / "podman-service.log").open("w")
    proc = subprocess.Popen(
        ["podman", "system", "service", "--time=0", url], env=engine_env(), stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if sock.exists():
                with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as probe:
                    probe.connect(str(sock))
                    break
            if proc.poll() is not None:
                raise RuntimeError(
                    f"podman system service exited: {(work / 'podman-service.log').read_text()}"
                )
            time.sleep(0.1)
        else:
            raise RuntimeError("podman system service did not open its socket within 30 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def env_vars_file(
    work: Path,
    ddb_port: int,
    sandbox_port: int,
    api_url: str,
    site_url: str,
    committed_name: str = "env.podman.json",
) -> Path:
    """A committed env file with this run's ports (the hosts and every other value as committed)."""
    committed = json.loads((ROOT / committed_name).read_text())
    params = dict(committed["Parameters"])
    params["DYNAMODB_ENDPOINT"] = params["DYNAMODB_ENDPOINT"].replace(":8000", f":{ddb_port}")
    params["IAMPORT_BASE_URL"] = params["IAMPORT_BASE_URL"].replace(":8090", f":{sandbox_port}")
    params["PUBLIC_API_URL"], params["SITE_URL"] = api_url, site_url
    params["POWERTOOLS_LOG_LEVEL"] = "INFO"
    path = work / f"run-{committed_name}"
    path.write_text(json.dumps({"Parameters": params}))
    return path


def podman_gateway() -> str:
    """The host's address on podman's default network (what host.containers.internal names)."""
    done = subprocess.run(
        ["podman", "network", "inspect", "podman", "--format", "{{range .Subnets}}{{.Gateway}}{{end}}"],
        env=engine_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.strip()


@dataclass
class Invocation:
    function_id: str
    event_name: str
    reply: Any  # what the function returned (the SAM CLI prints it on stdout)
    log: str  # the function's output and the SAM CLI's messages
    seconds: float

    @property
    def status(self) -> int | None:
        return self.reply.get("statusCode") if isinstance(self.reply, dict) else None

    @property
    def body(self) -> Any:
        raw = self.reply.get("body") if isinstance(self.reply, dict) else None
        return json.loads(raw) if raw else None

    @property
    def headers(self) -> dict[str, str]:
        raw = self.reply.get("headers") if isinstance(self.reply, dict) else None
        return {k.lower(): v for k, v in (raw or {}).items()}


@dataclass
class SamLocal:
    """`sam local invoke` / `sam local start-api` with the committed samconfig.toml's `podman` settings."""

    status: dict[str, Any]
    docker_host: str
    env_vars: Path
    work: Path

    def _common(self, config_env: str = "podman", env_vars: Path | None = None) -> list[str]:
        return [
            "--config-file",
            str(ROOT / "samconfig.toml"),
            "--config-env",
            config_env,
            "--template-file",
            self.status["template"],
            "--env-vars",
            str(env_vars or self.env_vars),
            "--invoke-image",
            self.status["image"],
            "--skip-pull-image",
            "--parameter-overrides",
            f"Architecture={self.status['architecture']}",
        ]

    def invoke(
        self,
        function_id: str,
        event: dict[str, Any],
        event_name: str,
        *options: str,
        config_env: str = "podman",
        env_vars: Path | None = None,
    ) -> Invocation:
        """`sam local invoke` with `--config-env config_env` (samconfig.toml) plus `options`."""
        with tempfile.NamedTemporaryFile("w", suffix=".json", dir=self.work, delete=False) as f:
            json.dump(event, f, ensure_ascii=False)
        started = time.monotonic()
        done = subprocess.run(
            [
                str(SAM),
                "local",
                "invoke",
                function_id,
                "--event",
                f.name,
                *self._common(config_env, env_vars),
                *options,
            ],
            cwd=ROOT,
            env=engine_env(self.docker_host),
            capture_output=True,
            text=True,
            timeout=INVOKE_TIMEOUT_S,
            check=False,
        )
        seconds = time.monotonic() - started
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        try:
            reply = json.loads(lines[-1]) if lines else None
        except json.JSONDecodeError:
            reply = None
        log = f"exit {done.returncode}\n--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-6000:]}"
        return Invocation(function_id, event_name, reply, log, seconds)

    @contextlib.contextmanager
    def start_api(self, port: int) -> Iterator[str]:
        """`sam local start-api` on 127.0.0.1:port, until the block ends."""
        log_path = self.work / "start-api.log"
        log = log_path.open("w")
        proc = subprocess.Popen(
            [str(SAM), "local", "start-api", "--host", "127.0.0.1", "--port", str(port), *self._common()],
            cwd=ROOT,
            env=engine_env(self.docker_host),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 240  # EAGER warm containers: every function starts first
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"sam local start-api exited:\n{log_path.read_text()[-4000:]}")
                if "Running on" in log_path.read_text():
                    with (
                        contextlib.suppress(OSError),
                        socket.create_connection(("127.0.0.1", port), timeout=1),
                    ):
                        break
                time.sleep(0.5)
            else:
                raise RuntimeError(f"sam local start-api did not start:\n{log_path.read_text()[-4000:]}")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()

    def start_api_log(self) -> str:
        path = self.work / "start-api.log"
        return path.read_text()[-6000:] if path.exists() else ""


def sample_event(function_dir: str, name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((ROOT / "events" / function_dir / name).read_text())
    return event


def as_user(event: dict[str, Any], sub: str) -> dict[str, Any]:
    """The sample event with the buyer's verified `sub` replaced (each case has a buyer of its own)."""
    event = copy.deepcopy(event)
    event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = sub
    return event


def with_path(event: dict[str, Any], **params: str) -> dict[str, Any]:
    """The sample event for other path parameters: pathParameters, rawPath and requestContext.http.path."""
    event = copy.deepcopy(event)
    raw = event["rawPath"]
    for name, value in params.items():
        raw = raw.replace(event["pathParameters"][name], value)
        event["pathParameters"][name] = value
    event["rawPath"] = event["requestContext"]["http"]["path"] = raw
    return event


def with_query(event: dict[str, Any], **params: str) -> dict[str, Any]:
    """The sample event's query string with some parameters replaced (order and the others kept)."""
    from urllib.parse import parse_qsl, urlencode

    event = copy.deepcopy(event)
    pairs = [(k, params.get(k, v)) for k, v in parse_qsl(event["rawQueryString"], keep_blank_values=True)]
    event["rawQueryString"] = urlencode(pairs)
    event["queryStringParameters"] = {k: params.get(k, v) for k, v in event["queryStringParameters"].items()}
    return event
