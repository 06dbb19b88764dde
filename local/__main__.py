"""`python -m local run` starts the shop offline; `python -m local token --sub USER [--admin]` prints a
development token the local API accepts; `python -m local audit [--since ISO] [--until ISO]` runs the
settlement audit against the running offline stack."""

from __future__ import annotations

import argparse
import logging
import os
import pathlib
import signal
import sys
import threading
from typing import Any

from local.audit import iso_time, run_audit
from local.cfn import load_template
from local.seed import DEMO_USER
from local.stack import DATA_DIR, HOST, LocalStack, LocalUrls, StackError, load_local_app, token_issuer
from local.tables import local_table_names
from local.tokens import DEFAULT_TTL_S, SigningKey

DEFAULT_PORTS = {"API_PORT": 3000, "WEB_PORT": 4000, "SANDBOX_PORT": 8090, "DDB_PORT": 8000}


class UsageError(ValueError):
    pass


def _port(name: str) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return DEFAULT_PORTS[name]
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise UsageError(f"{name}={raw!r} is not a port number (1-65535)")
    return int(raw)


def _sweep_interval() -> float | None:
    raw = os.environ.get("SWEEP_INTERVAL_S", "").strip()
    if not raw:
        return None  # the template's own rate
    try:
        value = float(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise UsageError(f"SWEEP_INTERVAL_S={raw!r} must be a positive number of seconds")
    return value


def _sandbox_host() -> str:
    """SANDBOX_HOST=0.0.0.0 lets functions in containers (SAM local) reach the sandbox; loopback otherwise."""
    value = os.environ.get("SANDBOX_HOST", "").strip() or HOST
    if value not in (HOST, "0.0.0.0"):  # noqa: S104 - the one wider address offered, on request
        raise UsageError(f"SANDBOX_HOST={value!r} must be {HOST} or 0.0.0.0")
    return value


def dev_admin_enabled(flag: bool) -> bool:
    """Whether the site's sign-in may issue admin tokens: only when asked for on the command line
    (`--dev-admin`) or with LOCAL_DEV_ADMIN=1 (true/yes also read as on); anything else is off."""
    return flag or os.environ.get("LOCAL_DEV_ADMIN", "").strip().lower() in ("1", "true", "yes")


def _data_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("LOCAL_DATA_DIR") or DATA_DIR)


def _urls_from_env() -> LocalUrls:
    return LocalUrls(
        api_url=f"http://{HOST}:{_port('API_PORT')}",
        web_url=f"http://{HOST}:{_port('WEB_PORT')}",
        sandbox_url=f"http://{HOST}:{_port('SANDBOX_PORT')}",
    )


def cmd_token(args: argparse.Namespace) -> int:
    app = load_local_app(load_template(), _urls_from_env(), local_table_names())
    issuer = token_issuer(app, SigningKey.load(_data_dir() / "jwt"))
    print(issuer.issue(args.sub, admin=args.admin, ttl_s=args.ttl))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="[%(name)s] %(message)s")
    logging.getLogger("pynamodb").setLevel(logging.WARNING)  # its settings notice is not news
    stack = LocalStack(
        api_port=_port("API_PORT"),
        web_port=_port("WEB_PORT"),
        sandbox_port=_port("SANDBOX_PORT"),
        ddb_port=_port("DDB_PORT"),
        sandbox_host=_sandbox_host(),
        data_dir=_data_dir(),
        sweep_interval_s=_sweep_interval(),
        run_schedules=True,
        on_access=lambda line: print(f"[api] {line}", file=sys.stderr),
        dev_admin=dev_admin_enabled(args.dev_admin),
    )
    stopping = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print("Starting DynamoDB Local, the I'mport sandbox, the local API and the site...", flush=True)
    stack.start()
    try:
        seeded = stack.seeded
        schedules = ", ".join(stack.scheduler.describe() if stack.scheduler else []) or "none"
        sign_in = (
            "buyers and ADMINS (--dev-admin: anyone who can open the site can be an admin)"
            if stack.dev_admin
            else "buyers only (admin tokens: make token ADMIN=1, or run with --dev-admin)"
        )
        print(
            f"""
  site            {stack.web_url}
  API             {stack.api_url}
  API explorer    {stack.web_url}/api-docs/   (Swagger UI over docs/openapi.json; Authorize with a dev token)
  I'mport sandbox {stack.sandbox_url}   (merchant imp00000000, key sandbox-key / sandbox-secret)
  DynamoDB Local  {stack.ddb_endpoint}   (data in {_data_dir() / "ddb"})
  schedules       {schedules}
  sample data     {seeded.products_loaded if seeded else 0} products loaded, \
{seeded.points_granted if seeded else 0} welcome points granted to {DEMO_USER}

  site sign-in    {sign_in}

  dev token for {DEMO_USER} (Authorization: Bearer ...):
{stack.token_for(DEMO_USER)}

  another user: python -m local token --sub NAME [--admin]      Ctrl-C stops everything.
""",
            flush=True,
        )
        stopping.wait()
    finally:
        print("Stopping...", flush=True)
        stack.stop()
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    return run_audit(_data_dir(), args.since, args.until)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the whole shop offline (make run)")
    run.add_argument(
        "--dev-admin",
        action="store_true",
        help="let the site's sign-in issue admin tokens too (also LOCAL_DEV_ADMIN=1)",
    )
    token = sub.add_parser("token", help="print a development token for a user")
    token.add_argument("--sub", required=True, help="the user id (JWT sub)")
    token.add_argument("--admin", action="store_true", help="put the user in the admin group")
    token.add_argument("--ttl", type=int, default=DEFAULT_TTL_S, help="lifetime in seconds")
    audit = sub.add_parser("audit", help="run the settlement audit against the running stack (make audit)")
    audit.add_argument("--since", type=iso_time, help="window start (ISO-8601; default until - 2 days)")
    audit.add_argument("--until", type=iso_time, help="end of the window (ISO-8601; default now)")
    args = parser.parse_args(argv)
    commands = {"run": cmd_run, "token": cmd_token, "audit": cmd_audit}
    try:
        return commands[args.command](args)
    except (StackError, UsageError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
