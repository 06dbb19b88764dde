"""The whole shop offline: DynamoDB Local, tables and sample data, the I'mport sandbox, the local API
Gateway (template-driven) and the site server.

`running_stack()` gives the browser tests everything on free ports; `python -m local run` (make run)
uses the fixed development ports and keeps its data under `.local/`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import pathlib
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from local.api import ApiGateway, ApiServer, attach, make_server
from local.cfn import ROOT, TEMPLATE, load_template
from local.dynamodb import DynamoDBLocal
from local.lambdas import FunctionRuntime, LogSink
from local.samapp import SamApp, load_app
from local.scheduler import Scheduler
from local.seed import DEMO_POINTS, DEMO_USER, SeedReport, seed
from local.site import ApiExplorer, SiteServer
from local.tables import create_tables, local_table_names, table_env
from local.tokens import SigningKey, TokenIssuer

log = logging.getLogger("local.stack")

HOST = "127.0.0.1"
REGION = "ap-northeast-2"
DATA_DIR = ROOT / ".local"  # `make run`'s data; LOCAL_DATA_DIR moves it (python -m local)
WEB_DIR = ROOT / "web"
SWAGGER_UI_DIR = ROOT / ".cache" / "swagger-ui"  # tools/fetch-swagger-ui.sh (make setup)
OPENAPI_DOCUMENT = ROOT / "docs" / "openapi.json"
LOCAL_ISSUER = "https://auth.checkout.local"
LOCAL_AUDIENCE = "checkout-local"
MERCHANT_CODE = "imp00000000"
SANDBOX_KEY, SANDBOX_SECRET = "sandbox-key", "sandbox-secret"  # noqa: S105 - the sandbox's dev credentials
WEBHOOK_SOURCE = "127.0.0.1"  # the sandbox posts webhooks from loopback
# Where a stack with a data dir says, while it runs, where its parts are (read by `python -m local audit`).
STATE_FILE = "stack.json"


class StackError(RuntimeError):
    """The stack cannot start; the message says what to do, in one line."""


class StackNotRunning(StackError):
    def __init__(self) -> None:
        super().__init__(
            "the offline stack is not running: start it with `make run` (another terminal), then retry"
        )


class PortInUse(StackError):
    def __init__(self, what: str, port: int, env_name: str | None) -> None:
        hint = f" or set {env_name} to a free port" if env_name else ""
        super().__init__(f"port {port} ({what}) is already in use on {HOST}: stop what uses it{hint}")
        self.port = port


@dataclass(frozen=True)
class LocalUrls:
    api_url: str
    web_url: str
    sandbox_url: str


@dataclass(frozen=True)
class RunningState:
    """Where a running stack's parts are, as it recorded them in its data dir."""

    pid: int
    urls: LocalUrls
    ddb_endpoint: str
    table_names: dict[str, str]

    def to_json(self) -> str:
        return json.dumps(
            {
                "pid": self.pid,
                "api_url": self.urls.api_url,
                "web_url": self.urls.web_url,
                "sandbox_url": self.urls.sandbox_url,
                "ddb_endpoint": self.ddb_endpoint,
                "table_names": self.table_names,
            },
            indent=2,
        )


def _answers(url: str) -> bool:
    host, _, port = url.removeprefix("http://").partition(":")
    try:
        with socket.create_connection((host, int(port.split("/")[0])), timeout=1):
            return True
    except (OSError, ValueError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_running_state(data_dir: pathlib.Path) -> RunningState:
    """The stack running on `data_dir`; StackNotRunning when none is (or what it left is stale)."""
    try:
        raw = json.loads((data_dir / STATE_FILE).read_text(encoding="utf-8"))
        state = RunningState(
            pid=int(raw["pid"]),
            urls=LocalUrls(raw["api_url"], raw["web_url"], raw["sandbox_url"]),
            ddb_endpoint=str(raw["ddb_endpoint"]),
            table_names={str(k): str(v) for k, v in raw["table_names"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise StackNotRunning() from None
    if not (_alive(state.pid) and _answers(state.ddb_endpoint) and _answers(state.urls.sandbox_url)):
        raise StackNotRunning()
    return state


def local_parameter_overrides(template: Mapping[str, Any], urls: LocalUrls) -> dict[str, str]:
    """Local values for the template's parameters, recognised by what their names say.

    The site URL/origin, the public API URL, the I'mport base URL, the webhook allowlist and the JWT
    issuer/audience change offline; every other parameter keeps its Default.
    """
    out: dict[str, str] = {}
    for name in template.get("Parameters") or {}:
        key = name.lower()
        if "origin" in key or ("site" in key and "url" in key):
            out[name] = urls.web_url
        elif "api" in key and "url" in key and "iamport" not in key:
            out[name] = urls.api_url
        elif "iamport" in key and "url" in key:
            out[name] = urls.sandbox_url
        elif "allowedip" in key:
            out[name] = WEBHOOK_SOURCE
        elif "issuer" in key:
            out[name] = LOCAL_ISSUER
        elif "audience" in key or "clientid" in key:
            out[name] = LOCAL_AUDIENCE
    return out


def function_overrides(
    urls: LocalUrls, ddb_endpoint: str, table_names: Mapping[str, str]
) -> dict[str, str | None]:
    """Environment every function gets offline, over what the template sets (None removes a variable)."""
    return {
        **table_env(table_names),
        "DYNAMODB_ENDPOINT": ddb_endpoint,
        "PUBLIC_API_URL": urls.api_url,
        "SITE_URL": urls.web_url,
        "IAMPORT_BASE_URL": urls.sandbox_url,
        # Offline the credentials are the sandbox's, given directly; there is no SSM to read them from.
        "IAMPORT_API_KEY": SANDBOX_KEY,
        "IAMPORT_API_SECRET": SANDBOX_SECRET,
        "IAMPORT_API_KEY_PARAM": None,
        "IAMPORT_API_SECRET_PARAM": None,
        "WEBHOOK_ALLOWED_IPS": WEBHOOK_SOURCE,
    }


def token_issuer(app: SamApp, key: SigningKey) -> TokenIssuer:
    """Tokens that the app's (first) JWT authorizer accepts."""
    groups_claim, admin_group = app.authorizer_claim_names()
    spec = next(iter(app.authorizers.values()), None)
    issuer = spec.issuer if spec else LOCAL_ISSUER
    audience = spec.audiences[0] if spec and spec.audiences else LOCAL_AUDIENCE
    return TokenIssuer(
        key=key, issuer=issuer, audience=audience, groups_claim=groups_claim, admin_group=admin_group
    )


def load_local_app(
    template: Mapping[str, Any],
    urls: LocalUrls,
    table_names: Mapping[str, str],
    parameter_overrides: Mapping[str, str] | None = None,
) -> SamApp:
    params = local_parameter_overrides(template, urls) | dict(parameter_overrides or {})
    return load_app(
        template, region=REGION, api_url=urls.api_url, parameter_overrides=params, table_names=table_names
    )


def _bind(what: str, port: int, env_name: str | None, factory: Callable[[], Any]) -> Any:
    try:
        return factory()
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise PortInUse(what, port, env_name) from exc
        raise


def _probe_port(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As a server binds (Java does): the last run's connections in TIME_WAIT do not hold the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("0.0.0.0", port))  # noqa: S104 - DynamoDB Local listens on every interface


def stderr_log(function_id: str, line: str) -> None:
    sys.stderr.write(f"[{function_id}] {line}\n")


@dataclass
class LocalStack:
    api_port: int = 0
    web_port: int = 0
    sandbox_port: int = 0
    # The sandbox's listening address: 0.0.0.0 lets containers (SAM local) reach it; loopback otherwise.
    sandbox_host: str = HOST
    ddb_port: int = 0  # 0: any free port
    data_dir: pathlib.Path | None = None  # None: DynamoDB in memory, nothing kept
    sweep_interval_s: float | None = None
    run_schedules: bool = False
    template_path: pathlib.Path = TEMPLATE
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    function_log: LogSink = stderr_log
    on_access: Callable[[str], None] | None = None
    seed_data: bool = True
    max_environments: int = 4
    # The site's sign-in endpoint mints admin tokens too (never by default: anyone reaching it would be
    # an admin of the offline shop).
    dev_admin: bool = False

    # set by start()
    app: SamApp = field(init=False)
    urls: LocalUrls = field(init=False)
    issuer: TokenIssuer = field(init=False)
    ddb: DynamoDBLocal = field(init=False)
    runtime: FunctionRuntime = field(init=False)
    scheduler: Scheduler | None = field(default=None, init=False)
    seeded: SeedReport | None = field(default=None, init=False)
    table_names: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self._cleanup: contextlib.ExitStack = contextlib.ExitStack()

    @property
    def api_url(self) -> str:
        return self.urls.api_url

    @property
    def web_url(self) -> str:
        return self.urls.web_url

    @property
    def sandbox_url(self) -> str:
        return self.urls.sandbox_url

    @property
    def ddb_endpoint(self) -> str:
        return self.ddb.endpoint

    def token_for(self, sub: str, admin: bool = False) -> str:
        return self.issuer.issue(sub, admin=admin)

    def start(self) -> LocalStack:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        from sandbox.server import SandboxServer

        cleanup = self._cleanup
        template = load_template(self.template_path)
        # Bind the fixed ports first: a busy port is reported before anything slow starts.
        api_server: ApiServer = _bind(
            "the API", self.api_port, "API_PORT", lambda: make_server(HOST, self.api_port)
        )
        cleanup.callback(api_server.server_close)
        site = _bind("the site", self.web_port, "WEB_PORT", lambda: SiteServer(HOST, self.web_port, WEB_DIR))
        cleanup.callback(site.server_close)
        state_file = self.data_dir / "sandbox-state.json" if self.data_dir else None
        sandbox = SandboxServer(port=self.sandbox_port, host=self.sandbox_host, state_file=state_file)
        _bind("the I'mport sandbox", self.sandbox_port, "SANDBOX_PORT", sandbox.start)
        cleanup.callback(sandbox.stop)
        self.urls = LocalUrls(
            api_url=f"http://{HOST}:{api_server.server_address[1]}", web_url=site.url, sandbox_url=sandbox.url
        )

        if self.ddb_port:  # a fixed port: say it is taken before Java starts and fails on it
            _bind("DynamoDB Local", self.ddb_port, "DDB_PORT", lambda: _probe_port(self.ddb_port))
        self.ddb = DynamoDBLocal(
            port=self.ddb_port, data_dir=self.data_dir / "ddb" if self.data_dir else None
        )
        try:
            self.ddb.start()
        except Exception as exc:
            raise StackError(str(exc)) from exc
        cleanup.callback(self.ddb.stop)
        self.table_names = local_table_names()
        create_tables(self.ddb.endpoint, self.table_names, template=template)

        if self.data_dir is not None:
            key_dir = self.data_dir / "jwt"
        else:
            key_dir = pathlib.Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="checkout-jwt-")))
        key = SigningKey.load(key_dir)
        self.app = load_local_app(template, self.urls, self.table_names, self.parameter_overrides)
        self.issuer = token_issuer(self.app, key)
        overrides = function_overrides(self.urls, self.ddb.endpoint, self.table_names)
        self.runtime = FunctionRuntime(
            self.app.functions, REGION, overrides, self.function_log, max_environments=self.max_environments
        )
        cleanup.callback(self.runtime.close)

        if self.seed_data:
            any_fn = next(iter(self.runtime.pools.values()), None)
            env = any_fn.environment if any_fn else {}
            layers = {d for fn in self.app.functions.values() for d in fn.layer_dirs} or {ROOT / "shared"}
            self.seeded = seed(env, sorted(layers), demo_user=DEMO_USER, demo_points=DEMO_POINTS)

        gateway = ApiGateway(
            self.app,
            self.runtime,
            key.jwks,
            cors_origin_aliases={self.urls.web_url: (self.urls.web_url.replace(HOST, "localhost"),)},
        )
        attach(api_server, gateway, self.on_access)
        site.explorer = ApiExplorer(SWAGGER_UI_DIR, OPENAPI_DOCUMENT, self.urls.api_url)
        site.configure(
            {
                "apiBaseUrl": self.urls.api_url,
                "merchantCode": MERCHANT_CODE,
                "impScriptUrl": f"{self.urls.sandbox_url}/sandbox/iamport.js",
                "devTokenUrl": "/_dev/token",
            },
            self.issuer,
            allow_admin=self.dev_admin,
        )
        for server, name in ((api_server, "local-api"), (site, "local-site")):
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True, name=name
            )
            thread.start()
            cleanup.callback(server.shutdown)

        if self.run_schedules:
            self.scheduler = Scheduler(self.app.schedules, self.runtime, REGION, self.sweep_interval_s)
            self.scheduler.start()
            cleanup.callback(self.scheduler.stop)

        if self.data_dir is not None:
            running_file = self.data_dir / STATE_FILE
            state = RunningState(os.getpid(), self.urls, self.ddb.endpoint, dict(self.table_names))
            running_file.write_text(state.to_json() + "\n", encoding="utf-8")
            cleanup.callback(running_file.unlink, missing_ok=True)

    def stop(self) -> None:
        self._cleanup.close()


@contextlib.contextmanager
def running_stack(
    api_port: int = 0,
    web_port: int = 0,
    sandbox_port: int = 0,
    data_dir: pathlib.Path | None = None,
    sweep_interval_s: float | None = None,
    **options: Any,
) -> Iterator[LocalStack]:
    """Everything on free ports (by default) for tests; schedules run only when `sweep_interval_s` is set.

    Yields the stack: `api_url`, `web_url`, `sandbox_url`, `ddb_endpoint`, `table_names`, `token_for()`.
    """
    stack = LocalStack(
        api_port=api_port,
        web_port=web_port,
        sandbox_port=sandbox_port,
        data_dir=data_dir,
        sweep_interval_s=sweep_interval_s,
        run_schedules=sweep_interval_s is not None,
        **options,
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
