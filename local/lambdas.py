"""Warm Lambda execution environments: each function runs in its own worker subprocesses.

Like Lambda, a function gets a new environment (a cold start) when none is idle, keeps it warm between
invocations, never runs two invocations in one environment at once, and throws an environment away
when the runtime dies or the invocation runs past the function's timeout.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from local.cfn import ROOT
from local.intrinsics import ACCOUNT_ID
from local.samapp import FunctionSpec

WORKER = ROOT / "local" / "worker.py"
INIT_TIMEOUT_S = 10.0  # Lambda's init phase limit
DEFAULT_MAX_ENVIRONMENTS = 4
# Passed through from the host so subprocesses work at all; everything else comes from the template.
_HOST_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")

LogSink = Callable[[str, str], None]  # (function logical id, one log line)


class InvocationFailed(Exception):
    """The function did not produce a result: `kind` is how Lambda would report it."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class Invocation:
    result: Any
    request_id: str
    duration_ms: float
    cold_start: bool
    init_ms: float | None


def lambda_environment(spec: FunctionSpec, region: str, extra: Mapping[str, str | None]) -> dict[str, str]:
    """The environment Lambda gives the function: its variables plus the runtime's reserved ones.

    `extra` is applied last (the offline deployment's values); a None there removes the variable.
    """
    env = {k: os.environ[k] for k in _HOST_ENV if k in os.environ}
    env.update(
        {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local/[$LATEST]local",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "_HANDLER": spec.handler,
            "TZ": ":UTC",
            "PYTHONUNBUFFERED": "1",
            # Powertools reads this to skip X-Ray, which has no daemon offline.
            "AWS_SAM_LOCAL": "true",
            # DynamoDB Local accepts any credentials; boto3 only needs some.
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",  # noqa: S105 - DynamoDB Local's placeholder credentials
        }
    )
    env.update(spec.environment)
    for name, value in extra.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


class Environment:
    """One worker subprocess (one execution environment)."""

    def __init__(self, spec: FunctionSpec, env: Mapping[str, str], log: LogSink) -> None:
        self.spec = spec
        self.region = env.get("AWS_REGION", "ap-northeast-2")
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        args = [sys.executable, "-P", str(WORKER)]
        for layer in spec.layer_dirs:
            args += ["--layer", str(layer)]
        try:
            self.process = subprocess.Popen(
                args,
                cwd=spec.code_dir,
                env=dict(env),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        except OSError as exc:  # e.g. CodeUri names a directory that does not exist
            raise InvocationFailed(
                "Runtime.InvalidEntrypoint", f"cannot start {spec.code_dir}: {exc}"
            ) from exc
        assert self.process.stdout and self.process.stderr
        threading.Thread(target=self._read_protocol, args=(self.process.stdout,), daemon=True).start()
        threading.Thread(target=self._forward_log, args=(self.process.stderr, log), daemon=True).start()
        self.init_ms: float | None = None

    def _read_protocol(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                self._messages.put(json.loads(line))
            except json.JSONDecodeError:
                continue
        self._messages.put(None)  # the runtime exited

    def _forward_log(self, stream: IO[str], log: LogSink) -> None:
        for line in stream:
            log(self.spec.logical_id, line.rstrip("\n"))

    def _next(self, deadline: float) -> dict[str, Any] | None:
        return self._messages.get(timeout=max(0.0, deadline - time.monotonic()))

    def wait_ready(self) -> None:
        try:
            message = self._next(time.monotonic() + INIT_TIMEOUT_S)
        except queue.Empty as exc:
            self.kill()
            raise InvocationFailed(
                "Runtime.InitTimeout", f"init did not finish in {INIT_TIMEOUT_S}s"
            ) from exc
        if message is None:
            raise InvocationFailed("Runtime.ExitError", "the runtime exited during init")
        if "init_error" in message:
            self.kill()
            err = message["init_error"]
            raise InvocationFailed(err.get("errorType", "Runtime.Unknown"), err.get("errorMessage", ""))
        self.init_ms = message.get("init_ms")

    def invoke(self, event: Any, request_id: str, seq: int) -> Any:
        timeout_s = self.spec.timeout_s
        deadline = time.monotonic() + timeout_s
        request = {
            "id": seq,
            "event": event,
            "request_id": request_id,
            "deadline_ms": int(time.time() * 1000 + timeout_s * 1000),
            "arn": f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.spec.name}",
        }
        assert self.process.stdin
        try:
            self.process.stdin.write(json.dumps(request, separators=(",", ":")) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            self.kill()
            raise InvocationFailed("Runtime.ExitError", "the runtime is not running") from exc
        try:
            message = self._next(deadline)
        except queue.Empty as exc:
            # Lambda stops the environment at the timeout; the next invocation starts a new one.
            self.kill()
            raise InvocationFailed(
                "Sandbox.Timedout", f"Task timed out after {timeout_s:.2f} seconds"
            ) from exc
        if message is None:
            self.kill()
            raise InvocationFailed("Runtime.ExitError", f"RequestId: {request_id} Error: Runtime exited")
        if "error" in message:
            err = message["error"]
            raise InvocationFailed(err.get("errorType", "Error"), err.get("errorMessage", ""))
        return message.get("result")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace_s: float = 2.0) -> None:
        if self.process.stdin:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)


class FunctionPool:
    """A function's execution environments, created on demand up to `max_environments`."""

    def __init__(
        self,
        spec: FunctionSpec,
        env: Mapping[str, str],
        log: LogSink,
        max_environments: int = DEFAULT_MAX_ENVIRONMENTS,
    ) -> None:
        self.spec = spec
        self._env = dict(env)
        self._log = log
        self._max = max_environments
        self._idle: list[Environment] = []
        self._all: set[Environment] = set()
        self._busy = 0
        self._cond = threading.Condition()
        self._closed = False
        self._seq = itertools.count(1)
        self.cold_starts = 0

    @property
    def environment(self) -> dict[str, str]:
        return dict(self._env)

    def _acquire(self) -> tuple[Environment | None, bool]:
        with self._cond:
            while True:
                if self._closed:
                    raise InvocationFailed("Runtime.Stopped", "the local stack is stopping")
                while self._idle:
                    env = self._idle.pop()
                    if env.alive:
                        self._busy += 1
                        return env, False
                if self._busy < self._max:
                    self._busy += 1
                    return None, True
                self._cond.wait()

    def _release(self, env: Environment | None) -> None:
        with self._cond:
            self._busy -= 1
            if env is not None:
                if self._closed:
                    env.kill()
                else:
                    self._idle.append(env)
            self._cond.notify()

    def invoke(self, event: Any, request_id: str | None = None) -> Invocation:
        request_id = request_id or str(uuid.uuid4())
        env, cold = self._acquire()
        keep = False
        try:
            init_ms = None
            if env is None:
                env = Environment(self.spec, self._env, self._log)
                with self._cond:
                    self._all.add(env)
                self.cold_starts += 1
                env.wait_ready()
                init_ms = env.init_ms
            started = time.perf_counter()
            result = env.invoke(event, request_id, next(self._seq))
            keep = True
            return Invocation(
                result=result,
                request_id=request_id,
                duration_ms=(time.perf_counter() - started) * 1000,
                cold_start=cold,
                init_ms=init_ms,
            )
        except InvocationFailed as exc:
            # A handled exception leaves the runtime warm; a dead or timed-out one is replaced next time.
            keep = env is not None and env.alive and exc.kind != "Sandbox.Timedout"
            raise
        finally:
            if env is not None and not keep:
                env.kill()
                with self._cond:
                    self._all.discard(env)
            self._release(env if keep else None)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            envs, self._all, self._idle = list(self._all), set(), []
            self._cond.notify_all()
        for env in envs:
            env.stop()


class FunctionRuntime:
    """Every function of the app, each with its own pool of warm environments."""

    def __init__(
        self,
        functions: Mapping[str, FunctionSpec],
        region: str,
        extra_env: Mapping[str, str | None],
        log: LogSink,
        max_environments: int = DEFAULT_MAX_ENVIRONMENTS,
        env_overrides: Mapping[str, Mapping[str, str | None]] | None = None,
    ) -> None:
        self.pools = {
            lid: FunctionPool(
                spec,
                lambda_environment(spec, region, {**extra_env, **((env_overrides or {}).get(lid) or {})}),
                log,
                max_environments,
            )
            for lid, spec in functions.items()
        }

    def invoke(self, function_id: str, event: Any, request_id: str | None = None) -> Invocation:
        return self.pools[function_id].invoke(event, request_id)

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
