"""`python -m sandbox --port N [--webhook-url U] [--webhook-content-type json|form] [--state-file F]`."""

from __future__ import annotations

import argparse
import errno
import ipaddress
import logging
import signal
import sys
import threading

from sandbox import DEV_IMP_KEY, DEV_MERCHANT_CODE
from sandbox.accounts import DEV_ACCOUNT, Account
from sandbox.server import SandboxServer

EXIT_PORT_TAKEN = 2
EXIT_BAD_SETTING = 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="I'mport (PortOne V1) sandbox")
    parser.add_argument("--port", type=int, default=8090, help="port to listen on (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--webhook-url", help="default webhook (notification) URL")
    parser.add_argument("--webhook-content-type", choices=("json", "form"), default="json")
    parser.add_argument("--state-file", help="keep payments in this JSON file across restarts")
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="CODE:KEY:SECRET",
        help="an extra merchant account (repeatable); the dev account always exists",
    )
    parser.add_argument("--verbose", action="store_true", help="log each request line (never bodies)")
    return parser.parse_args(argv)


def _accounts(specs: list[str]) -> list[Account]:
    accounts = [DEV_ACCOUNT]
    for spec in specs:
        parts = spec.split(":")
        if len(parts) != 3 or not all(parts):
            raise SystemExit(f"error: --account must be CODE:KEY:SECRET, got {spec!r}")
        accounts.append(Account(*parts))
    return accounts


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not is_loopback(args.host):
        # Its control API (payments, cancels, clock, faults, accounts) has no authentication at all.
        print(
            f"warning: the sandbox is listening on {args.host}, beyond this machine: anyone who reaches "
            "it can pay, cancel and change its clock and accounts through its unauthenticated control "
            "API. Keep it on 127.0.0.1 unless that network is yours alone.",
            file=sys.stderr,
            flush=True,
        )
    try:
        server = SandboxServer(
            port=args.port,
            host=args.host,
            webhook_url=args.webhook_url,
            webhook_content_type=args.webhook_content_type,
            state_file=args.state_file,
            accounts=_accounts(args.account),
            verbose=args.verbose,
        )
    except ValueError as exc:  # an unusable state file or setting: one line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTING
    try:
        server.start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"error: port {args.port} on {args.host} is already in use", file=sys.stderr)
        else:
            print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_PORT_TAKEN
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    # The dev key is public (sandbox/README.md); no secret is ever printed.
    print(
        f"I'mport sandbox listening on {server.url} (merchant code {DEV_MERCHANT_CODE}, "
        f"imp_key {DEV_IMP_KEY}); script {server.url}/sandbox/iamport.js",
        flush=True,
    )
    stop.wait()
    server.stop()
    print("I'mport sandbox stopped", flush=True)
    return 0
