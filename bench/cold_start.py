"""Cold starts and latency of the checkout offline (`make bench`; not part of `make test`).

Prints, for every function in template.yaml, the cost of a fresh execution environment (interpreter
start + handler import, as the Lambda init phase) and of its first and second invocation, then the
p50/p95 latency of `GET /products` and of a whole purchase (cart -> order -> I'mport payment ->
completion) through the local API Gateway, on an in-memory DynamoDB Local and the I'mport sandbox.

Offline figures measure the code and DynamoDB Local on this machine, not AWS: read them as relative
costs (which import is heavy, what a warm request costs), not as production latencies.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from local.lambdas import Environment, lambda_environment  # noqa: E402
from local.stack import LocalStack, function_overrides, running_stack  # noqa: E402

REQUEST_TIMEOUT_S = 30


def _quiet(_function_id: str, _line: str) -> None:
    """Function logs are not part of the figures."""


def _call(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(  # noqa: S310 - the local stack's own URLs
        url, data=data, method=method, headers={"content-type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT_S) as resp:  # noqa: S310 - local stack
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return status, raw.decode(errors="replace")


def _sample_event(code_dir: pathlib.Path) -> dict[str, Any] | None:
    """The first committed sample event of the function (events/<function dir>/*.json)."""
    samples = sorted((ROOT / "events" / code_dir.name).glob("*.json"))
    if not samples:
        return None
    event = json.loads(samples[0].read_text())
    http = (event.get("requestContext") or {}).get("http")
    if http:
        # Offline the webhook allowlist is loopback: send the samples from there so they run in full.
        http["sourceIp"] = "127.0.0.1"
    return event


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def cold_starts(stack: LocalStack) -> list[dict[str, Any]]:
    rows = []
    overrides = function_overrides(stack.urls, stack.ddb_endpoint, stack.table_names)
    for lid, spec in sorted(stack.app.functions.items()):
        event = _sample_event(spec.code_dir)
        env = lambda_environment(spec, "ap-northeast-2", overrides)
        started = time.perf_counter()
        worker = Environment(spec, env, _quiet)
        try:
            worker.wait_ready()
            ready = time.perf_counter()
            row: dict[str, Any] = {
                "function": lid,
                "init_ms": (ready - started) * 1000,
                "import_ms": worker.init_ms,
            }
            if event is not None:
                for label, seq in (("first_invoke_ms", 1), ("second_invoke_ms", 2)):
                    t0 = time.perf_counter()
                    worker.invoke(event, str(uuid.uuid4()), seq)
                    row[label] = (time.perf_counter() - t0) * 1000
            rows.append(row)
        finally:
            worker.stop()
    return rows


def products_latency(stack: LocalStack, n: int) -> list[float]:
    _call("GET", f"{stack.api_url}/products")  # warm the environment
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        status, body = _call("GET", f"{stack.api_url}/products")
        out.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise RuntimeError(f"GET /products answered {status}: {body}")
    return out


def purchase(stack: LocalStack, user: str, product_id: str) -> float:
    """One whole purchase; returns its wall time in ms."""
    auth = {"Authorization": f"Bearer {stack.token_for(user)}"}
    t0 = time.perf_counter()
    status, body = _call("PUT", f"{stack.api_url}/cart/items/{product_id}", {"quantity": 1}, auth)
    if status != 200:
        raise RuntimeError(f"PUT /cart/items answered {status}: {body}")
    order_body = {
        "buyer": {"name": "김민지", "email": "minji@example.com", "tel": "010-1234-5678"},
        "points_to_use": 0,
        "pay_method": "card",
    }
    status, created = _call(
        "POST", f"{stack.api_url}/orders", order_body, {**auth, "Idempotency-Key": str(uuid.uuid4())}
    )
    if status != 201:
        raise RuntimeError(f"POST /orders answered {status}: {created}")
    pay = created["payment"]
    # What the buyer does in the payment window, through the sandbox's control API (same code path).
    status, paid = _call("POST", f"{stack.sandbox_url}/sandbox/payments", {**pay, "outcome": "paid"})
    if status != 200:
        raise RuntimeError(f"sandbox payment answered {status}: {paid}")
    imp_uid = paid["response"]["imp_uid"]
    status, order = _call(
        "POST",
        f"{stack.api_url}/payments/complete",
        {"imp_uid": imp_uid, "merchant_uid": pay["merchant_uid"]},
        auth,  # the page's report is the signed-in buyer's
    )
    if status != 200:
        raise RuntimeError(f"POST /payments/complete answered {status}: {order}")
    state = order.get("status") if isinstance(order, dict) else None
    state = state or (order.get("order") or {}).get("status")
    if state != "paid":
        raise RuntimeError(f"order ended {state!r}, not paid: {order}")
    return (time.perf_counter() - t0) * 1000


def purchase_latency(stack: LocalStack, n: int) -> list[float]:
    product_id = "socks-hanbok-3p"  # the catalogue's deepest stock
    purchase(stack, "bench-warmup", product_id)
    return [purchase(stack, f"bench-{i}", product_id) for i in range(n)]


def _fmt(ms: float | None) -> str:
    return f"{ms:8.1f}" if ms is not None else "       -"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="GET /products samples")
    parser.add_argument("--purchases", type=int, default=30, help="whole-purchase samples")
    args = parser.parse_args(argv)
    with running_stack(function_log=_quiet) as stack:
        print(
            f"Python {sys.version.split()[0]}; DynamoDB Local in memory; "
            f"I'mport sandbox at {stack.sandbox_url}\n"
        )
        print("Cold start per function (fresh environment; ms)")
        print(f"{'function':<22}{'init':>8}{'import':>8}{'1st call':>9}{'2nd call':>9}")
        for row in cold_starts(stack):
            print(
                f"{row['function']:<22}{_fmt(row['init_ms'])}{_fmt(row['import_ms'])}"
                f"{_fmt(row.get('first_invoke_ms'))} {_fmt(row.get('second_invoke_ms'))}"
            )
        print("  init = process start + handler import (the Lambda init phase); import = the import alone\n")
        for label, samples in (
            ("GET /products", products_latency(stack, args.requests)),
            ("purchase (cart, order, pay, complete)", purchase_latency(stack, args.purchases)),
        ):
            print(
                f"{label}: n={len(samples)} p50={_percentile(samples, 50):.1f} ms "
                f"p95={_percentile(samples, 95):.1f} ms max={max(samples):.1f} ms "
                f"mean={statistics.fmean(samples):.1f} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
