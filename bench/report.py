"""The benchmark report (`make bench`): writes bench/REPORT.md and PNG plots, and prints every figure.

Sections (each figure a median or a ratio measured in this one run, on this machine):

1. **Cold start per handler**: a whole new process importing the handler (`python -c "import app"`, as
   the Lambda init phase does) beside `python -c "import boto3"`, interleaved, median of `--cold-runs`;
   the ratio, and the largest imports of the slowest handler (`python -X importtime`).
2. **Warm latency beside the floor**: create, complete, a duplicate webhook and a refund invoked in this
   process with the committed sample events (made real), against DynamoDB Local and the I'mport
   sandbox; interleaved with each, its floor: the same requests replayed for a twin with boto3 and
   `requests`, nothing between them (bench/floors.py). p50/p95/p99 of both, round trips, and the share
   of calls that reused the I'mport token.
3. **Throughput**: buyers at once through the local API (`make run`'s stack: cart, order, payment in
   the sandbox, which also sends the webhook, the owner's completion); checkouts per second, p50/p99,
   and the double effects counted (stock taken and points earned exactly once per order).

Offline figures measure the code, DynamoDB Local and the sandbox on loopback on this machine, not AWS:
read them as ratios and relative costs.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import importlib.util
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared"), str(ROOT / "bench")]

import costs  # noqa: E402
import floors  # noqa: E402
from cold_start import _call, _quiet, purchase  # noqa: E402
from transport import TRANSPORT  # noqa: E402

from local.lambdas import lambda_environment  # noqa: E402
from local.stack import LocalStack, function_overrides, running_stack  # noqa: E402

OUT = ROOT / "bench"  # where the report and plots go (--out)
REGION = "ap-northeast-2"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# ---------------------------------------------------------------- machine


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} vCPUs ({cpu}), load average {load} at the start"
    )


# ---------------------------------------------------------------- cold start


def _handlers() -> list[pathlib.Path]:
    return sorted(p.parent for p in (ROOT / "functions").glob("*/app.py"))


def _template_environment() -> dict[str, str]:
    """The literal variables template.yaml gives every function (those a handler's import reads, such
    as PYDANTIC_DISABLE_PLUGINS, among them): a cold start is measured as Lambda would run it."""
    from local.cfn import load_template

    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    return {name: value for name, value in variables.items() if isinstance(value, str) and value}


def _import_seconds(code: str, cwd: pathlib.Path | None = None) -> float:
    env = {
        **os.environ,
        **_template_environment(),
        "PYTHONPATH": str(ROOT / "shared"),
        "AWS_DEFAULT_REGION": REGION,
    }
    env.pop("CHECKOUT_XRAY_SDK", None)
    started = time.perf_counter()
    # No timeout: with one, Popen.wait polls with sleeps of up to 50 ms, and every figure would be
    # rounded up to the next poll; without, it blocks in waitpid and wakes when the child exits.
    subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, check=True)  # noqa: S603
    return time.perf_counter() - started


def cold_start(runs: int) -> dict[str, Any]:
    samples: dict[str, list[float]] = {"import boto3": []}
    for _ in range(runs):
        samples["import boto3"].append(_import_seconds("import boto3"))
        for code_dir in _handlers():
            samples.setdefault(code_dir.name, []).append(_import_seconds("import app", cwd=code_dir))
    floor = statistics.median(samples["import boto3"])
    rows = [
        {"handler": name, "ms": statistics.median(v) * 1000, "ratio": statistics.median(v) / floor}
        for name, v in samples.items()
        if name != "import boto3"
    ]
    slowest = max(rows, key=lambda r: r["ms"])
    return {
        "boto3_ms": floor * 1000,
        "rows": rows,
        "slowest": slowest,
        "top": _top_imports(slowest["handler"]),
    }


def _top_imports(handler: str, n: int = 10) -> list[tuple[str, float]]:
    """The largest cumulative imports directly under the handler (ms), from `python -X importtime`."""
    env = {
        **os.environ,
        **_template_environment(),
        "PYTHONPATH": str(ROOT / "shared"),
        "AWS_DEFAULT_REGION": REGION,
    }
    env.pop("CHECKOUT_XRAY_SDK", None)
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import app"],
        cwd=ROOT / "functions" / handler,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    # importtime lists a module's imports before the module itself: the handler's direct imports are the
    # depth-1 lines just before the depth-0 line of `app`.
    tops: list[tuple[str, float]] = []
    pending: list[tuple[str, float]] = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") < 2:
            continue
        _, cumulative, raw = line.split("|", 2)
        if not cumulative.strip().isdigit():
            continue
        depth = (len(raw) - len(raw.lstrip(" ")) - 1) // 2
        name = raw.strip()
        if depth == 0:
            if name == "app":
                tops = pending
            pending = []
        elif depth == 1:
            pending.append((name, int(cumulative) / 1000))
    return sorted(tops, key=lambda t: -t[1])[:n]


# ---------------------------------------------------------------- warm completion vs floor


def _load_handler(stack: LocalStack, function_id: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    spec = stack.app.functions[function_id]
    env = lambda_environment(
        spec, REGION, function_overrides(stack.urls, stack.ddb_endpoint, stack.table_names)
    )
    os.environ.update(env)
    module_spec = importlib.util.spec_from_file_location(
        f"bench_{spec.code_dir.name}", spec.code_dir / "app.py"
    )
    assert module_spec and module_spec.loader
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.lambda_handler  # type: ignore[no-any-return]


# ---------------------------------------------------------------- throughput


def _stock(stack: LocalStack, product_id: str) -> int:
    status, body = _call("GET", f"{stack.api_url}/products")
    assert status == 200, body
    items = body["products"] if isinstance(body, dict) else body
    return next(int(p["stock"]) for p in items if p["product_id"] == product_id)


def restock(stack: LocalStack, product_id: str, stock: int = 1_000_000) -> None:
    """Enough of the product for every purchase of the run (the catalogue's seed stock is a shop's)."""
    import boto3

    client = boto3.client(
        "dynamodb",
        endpoint_url=stack.ddb_endpoint,
        region_name=REGION,
        aws_access_key_id="local",  # DynamoDB Local accepts any
        aws_secret_access_key="local",  # noqa: S106
    )
    client.update_item(
        TableName=stack.table_names["ProductsTable"],
        Key={"product_id": {"S": product_id}},
        UpdateExpression="SET stock = :s",
        ExpressionAttributeValues={":s": {"N": str(stock)}},
    )


def _cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by this process and every process under it, by component (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    me = os.getpid()
    parents: dict[int, int] = {}
    stats: dict[int, tuple[float, str]] = {}
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        stats[pid] = ((int(fields[11]) + int(fields[12])) / tick, cmdline)

    def mine(pid: int) -> bool:
        while pid > 1:
            if pid == me:
                return True
            pid = parents.get(pid, 1)
        return False

    out: dict[str, float] = {}
    for pid, (seconds, cmdline) in stats.items():
        if not mine(pid):
            continue
        if pid == me:
            name = "local API, sandbox and the load (this process)"
        elif "DynamoDBLocal" in cmdline:
            name = "DynamoDB Local (Java)"
        else:
            name = "the functions (local execution environments)"
        out[name] = out.get(name, 0.0) + seconds
    return out


def throughput(stack: LocalStack, buyers: int, checkouts: int) -> dict[str, Any]:
    product_id = "socks-hanbok-3p"
    purchase(stack, "tp-warm", product_id)
    with concurrent.futures.ThreadPoolExecutor(buyers) as pool:  # warm one environment per buyer slot
        list(pool.map(lambda k: purchase(stack, f"tp-warm-{k}", product_id), range(buyers)))
    before = _stock(stack, product_id)
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(buyers) as pool:
        samples = list(pool.map(lambda k: purchase(stack, f"tp-{k}", product_id), range(checkouts)))
    wall = time.perf_counter() - started
    cpu_after = _cpu_seconds()
    # Where the time goes at the limit: the cores each component kept busy during the run.
    cores = {name: (cpu_after[name] - cpu_before.get(name, 0.0)) / wall for name in cpu_after}
    time.sleep(2)  # webhooks sent by the sandbox after each payment settle as duplicates
    taken = before - _stock(stack, product_id)
    double = 0
    for k in range(checkouts):
        auth = {"Authorization": f"Bearer {stack.token_for(f'tp-{k}')}"}
        status, points = _call("GET", f"{stack.api_url}/points", None, auth)
        assert status == 200, points
        earns = [e for e in points["ledger"] if e.get("kind") == "earn"]
        double += max(0, len(earns) - 1)
    double += abs(taken - checkouts)
    return {
        "buyers": buyers,
        "checkouts": checkouts,
        "per_s": checkouts / wall,
        "samples": samples,
        "double_effects": double,
        "cores": dict(sorted(cores.items(), key=lambda kv: -kv[1])),
        "machine_cores": os.cpu_count() or 1,
    }


# ---------------------------------------------------------------- report


def plots(cold: dict[str, Any], warm: dict[str, Any], tp: dict[str, Any], out: pathlib.Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    fig, ax = plt.subplots(figsize=(8, 4))
    rows = sorted(cold["rows"], key=lambda r: r["handler"])
    ax.bar([r["handler"] for r in rows], [r["ratio"] for r in rows], color="#4c72b0")
    ax.axhline(1.3, color="#c44e52", linestyle="--", label="target 1.3x")
    ax.axhline(1.0, color="grey", linewidth=0.8, label=f"import boto3 ({cold['boto3_ms']:.0f} ms)")
    ax.set_ylabel("handler import / import boto3")
    ax.set_title("Cold start per handler (whole process, median)")
    ax.legend()
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.tight_layout()
    fig.savefig(out / "cold_start.png", dpi=100)
    names.append("cold_start.png")
    plt.close(fig)

    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    for ax, row in zip(axes.flat, warm["rows"], strict=True):
        for label, values in (
            (row["label"], row["handler"]),
            ("floor: the same requests alone", row["floor"]),
        ):
            ordered = sorted(values)
            ax.plot(ordered, [(i + 1) / len(ordered) for i in range(len(ordered))], label=label)
        ax.set_xlabel("ms")
        ax.set_ylabel("share of calls")
        ax.set_title(f"{row['operation']}: p50 ratio {row['ratio_p50']:.2f}")
        ax.legend(fontsize=8)
    fig.suptitle("Warm latency beside the floor (the same requests replayed with boto3/requests)")
    fig.tight_layout()
    fig.savefig(out / "warm_latency.png", dpi=100)
    names.append("warm_latency.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4))
    ax.hist(tp["samples"], bins=30, color="#55a868")
    ax.set_xlabel("ms per checkout (cart, order, pay, complete)")
    ax.set_ylabel("checkouts")
    ax.set_title(f"{tp['buyers']} buyers at once: {tp['per_s']:.1f} checkouts/s")
    fig.tight_layout()
    fig.savefig(out / "throughput.png", dpi=100)
    names.append("throughput.png")
    plt.close(fig)
    return names


def cost_sections(extra: dict[str, Any]) -> list[str]:
    ops, lines_rows, sweep, hot = extra["operations"], extra["lines"], extra["sweep"], extra["hot"]
    oversold = sum(max(0, hot[d]["sold"] - hot["stock"]) for d in ("single", "sharded"))
    out = [
        "## Round trips and capacity per operation",
        "",
        "Each operation invoked in this process with its committed sample event made real, on a 3-line "
        "order, median of the runs after a first warming one. Counted at the transport: DynamoDB round "
        "trips and the capacity DynamoDB Local reports (`ReturnConsumedCapacity=TOTAL`).",
        "",
        "| operation | p50 (ms) | DynamoDB round trips | I'mport round trips | read units | write units "
        "| calls |",
        "|---|---:|---:|---:|---:|---:|---|",
        *[
            f"| {r['operation']} | {r['ms_p50']:.1f} | {r['dynamodb']:.0f} | {r['iamport']:.0f} | "
            f"{r['rcu']:.1f} | {r['wcu']:.1f} | {r['calls']} |"
            for r in ops
        ],
        "",
        f"Tokens fetched during these warm operations: {sum(r['tokens'] for r in ops)} (the first, warming "
        "run fetched the one they all reuse). The seed design's approval of the same 3-line order: "
        f"**{costs.seed_design_round_trips(3)} round trips** (a read and a write per step and per line); "
        "the checkout's completion makes 3.",
        "",
        "## Scaling with the order's lines",
        "",
        "Create + complete of one order, median of 3 per size:",
        "",
        "| lines | create (ms) | complete (ms) | round trips | read units | write units "
        "| seed design's approval |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {r['lines']} | {r['create_ms']:.1f} | {r['complete_ms']:.1f} | {r['round_trips']} | "
            f"{r['rcu']:.1f} | {r['wcu']:.1f} | {r['seed_round_trips']} |"
            for r in lines_rows
        ],
        "",
        "## Scaling with the table's size",
        "",
        "Create + complete of a 3-line order (median of 3) as the orders table holds more past orders:",
        "",
        "| orders in the table | create + complete (ms) | round trips | read units | write units |",
        "|---:|---:|---:|---:|---:|",
        *[
            f"| {r['orders']:,} | {r['ms']:.1f} | {r['round_trips']} | {r['rcu']:.1f} | {r['wcu']:.1f} |"
            for r in extra["sizes"]
        ],
        "",
        "## The sweeper's cost per 1000 open orders",
        "",
        f"One sweep over {sweep['orders']} open orders as the schedule runs it 3 minutes after they were "
        f"placed (first check due after 2; a tenth paid at I'mport and never reported): examined "
        f"{sweep['examined']}, looked up {sweep['checked']}, applied {sweep['paid']} payments, "
        f"{sweep['errors']} errors. Scaled to 1000 orders:",
        "",
        f"- I'mport calls: **{sweep['per_1000']['iamport']:.0f}** (one batch lookup per 100 orders), "
        f"DynamoDB round trips: {sweep['per_1000']['dynamodb']:.0f}, read units: "
        f"{sweep['per_1000']['rcu']:.0f}, write units: {sweep['per_1000']['wcu']:.0f}, "
        f"seconds: {sweep['per_1000']['seconds']:.1f}",
        f"- calls: {sweep['calls']}",
        "",
        "## A hot product: one stock item against sharded stock",
        "",
        "On AWS one item lives in one partition, which takes at most 1000 write units per second: a SKU "
        "whose stock is one item sells at most ~1000 units/s however many buyers arrive, and concurrent "
        "transactions on it fail with TransactionConflict and retry. Sharded stock splits the SKU's units "
        "over N items with their own keys (`sku#0` .. `sku#N-1`, spread over partitions): a buyer takes a "
        "unit from a random shard with the same conditional decrement (`stock >= 1`), and moves to "
        "another shard when that one is empty, so the limit becomes N x 1000/s and a sale never takes "
        "the last unit twice. The product's shown stock is the sum of its shards (one Query); a refund "
        "gives the unit back to any shard. In the checkout, the order's transaction would name the shard "
        "it decremented, so a refund or an expiry returns it there. Simulated on DynamoDB Local "
        f"({hot['stock']} units, {hot['buyers']} buyers at once; DynamoDB Local has no partition limit, so "
        "the rates compare the contention, not AWS's ceiling):",
        "",
        "| design | sold | left | lowest item | units/s | failed conditions |",
        "|---|---:|---:|---:|---:|---:|",
        *[
            f"| {label} | {r['sold']} | {r['left']} | {r['lowest']} | {r['per_s']:.0f} "
            f"| {r['failed_conditions']} |"
            for label, r in (("one item", hot["single"]), (f"{hot['shards']} shards", hot["sharded"]))
        ],
        "",
        f"Oversold: **{oversold}** (both designs sell exactly the stock; no item goes below zero).",
        "",
    ]
    return out


def render(
    env: str, cold: dict[str, Any], warm: dict[str, Any], tp: dict[str, Any], extra: dict[str, Any]
) -> str:
    lines = [
        "# Benchmark report",
        "",
        "Written by `make bench` (bench/report.py); every figure below comes from one run on this machine.",
        "",
        f"**Machine:** {env}. Offline: DynamoDB Local and the I'mport sandbox on loopback, not AWS.",
        "",
        "## Cold start per handler",
        "",
        f"A new process importing the handler, beside `import boto3` ({cold['boto3_ms']:.0f} ms), "
        "interleaved, "
        "median of each. Target: at most 1.3x.",
        "",
        "| handler | import (ms) | ratio to import boto3 |",
        "|---|---:|---:|",
        *[
            f"| {r['handler']} | {r['ms']:.0f} | {r['ratio']:.2f} |"
            for r in sorted(cold["rows"], key=lambda r: r["handler"])
        ],
        "",
        f"Largest imports of the slowest handler ({cold['slowest']['handler']}), `python -X importtime` "
        "(cumulative, inflated by the measurement itself):",
        "",
        "| module | ms |",
        "|---|---:|",
        *[f"| `{name}` | {ms:.0f} |" for name, ms in cold["top"]],
        "",
        "![cold start](cold_start.png)",
        "",
        "## Warm latency beside the floor",
        "",
        f"Each operation invoked in this process with its committed sample event made real, {warm['runs']} "
        "runs after two warming ones, each on a fresh twin of what it acts on; beside it, its floor: the "
        "DynamoDB and I'mport requests the handler sent, recorded as they left and sent again for the "
        "other twin with a plain boto3 client and `requests`, back to back (bench/floors.py). Target: "
        "complete p50 at most 1.15x its floor.",
        "",
        "| operation | p50 | p95 | p99 | floor p50 | floor p95 | floor p99 | p50 ratio | CPU | floor CPU "
        "| round trips |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *[
            f"| {r['label']} | {pct(r['handler'], 50):.1f} | {pct(r['handler'], 95):.1f} | "
            f"{pct(r['handler'], 99):.1f} | {pct(r['floor'], 50):.1f} | {pct(r['floor'], 95):.1f} | "
            f"{pct(r['floor'], 99):.1f} | **{r['ratio_p50']:.2f}** | {r['cpu_ms']:.1f} | "
            f"{r['floor_cpu_ms']:.1f} | {r['dynamodb_trips']:.0f} DynamoDB, "
            f"{r['iamport_trips']:.0f} I'mport |"
            for r in warm["rows"]
        ],
        "",
        "Milliseconds. CPU: this process's CPU time per call (median), the handler's or the floor's, each "
        "with the in-process sandbox answering its I'mport request: steadier than the wall-clock figures on "
        "a shared machine, and their difference is what the checkout's own code costs per call. I'mport "
        f"token reused on {warm['token_reuse'] * 100:.0f} % of these warm calls ({warm['tokens_fetched']} "
        "fetched).",
        "",
        "![warm latency](warm_latency.png)",
        "",
        "## Throughput through the local API",
        "",
        f"{tp['checkouts']} checkouts by {tp['buyers']} buyers at once (cart, order with Idempotency-Key, "
        "payment in "
        "the sandbox which also sends the webhook, the owner's completion):",
        "",
        f"- **{tp['per_s']:.1f} checkouts/s**, p50 {pct(tp['samples'], 50):.0f} ms, "
        f"p99 {pct(tp['samples'], 99):.0f} ms",
        "- double effects (stock taken or points earned more than once per order): "
        f"**{tp['double_effects']}**",
        "",
        f"Where the time went (CPU of each component during the run, in cores; the machine has "
        f"{tp['machine_cores']}):",
        "",
        "| component | cores busy |",
        "|---|---:|",
        *[f"| {name} | {value:.2f} |" for name, value in tp["cores"].items()],
        f"| **all** | **{sum(tp['cores'].values()):.2f}** |",
        "",
        "![throughput](throughput.png)",
        "",
        *cost_sections(extra),
        "## Reading the figures",
        "",
        "- Cold start: the X-Ray SDK is not imported unless `XraySdk=true`, Powertools' event handler "
        "and data classes load only the HTTP API resolver (checkout.api.powertools), and the clients "
        "(boto3, pynamodb, requests) are built on the first call, not at import.",
        "- Warm latency: the floor sends the handler's own requests, so the ratio is exactly what the "
        "checkout adds around them: Powertools' resolver, request and reply validation, writing and reading "
        "the items (checkout.store.items), the decision, one log line and the metrics. The completion's "
        "requests are the minimum (one consistent GetItem, one I'mport GET, one transaction). On a shared "
        "machine the ratio moves more between runs than within one: the checkout's own Python slows down "
        "when the machine is busy while the engines' answers do not, so the CPU columns are the steadier "
        "comparison.",
        "- Throughput runs every function in local execution environments on the same "
        f"{tp['machine_cores']} cores as DynamoDB Local (Java) and the sandbox. During the run they kept "
        f"{sum(tp['cores'].values()):.2f} of {tp['machine_cores']} cores busy ("
        + ", ".join(f"{name}: {value:.2f}" for name, value in tp["cores"].items())
        + "): what holds the rate back offline is the machine's CPU, shared by the functions' Python and "
        "DynamoDB Local, not a lock or a wait in the checkout; the tail is requests queueing for a core. "
        "On AWS each execution environment has its own CPU and DynamoDB is not on the same host.",
        "- The sweeper's write units: each check of an open order rewrites the order item in a "
        "transaction (to move its next check), so a check costs what the order's size costs twice; "
        "updating only the sweep attributes would cut the sweeper's writes to about one unit per check.",
        "- Capacity: DynamoDB Local reports it by AWS's rules; a transaction's items count twice. The "
        "round trips of an operation do not grow with its lines (each step is one transaction); its "
        "write units do, by the lines it writes; nothing grows with the table's size (every access is by "
        "key or by a key-range query of one buyer or one sweep shard).",
        "",
    ]
    return "\n".join(lines)


def handlers_and_samples(stack: LocalStack) -> tuple[dict[str, Any], dict[str, Any]]:
    """The API's handlers loaded in this process, and the committed sample events they are invoked with."""
    handlers = {
        name: _load_handler(stack, fid)
        for name, fid in (
            ("create", "CreateOrderFunction"),
            ("complete", "CompleteFunction"),
            ("webhook", "WebhookFunction"),
            ("refund", "RefundFunction"),
            ("orders", "OrdersFunction"),
        )
    }
    events = ROOT / "events"
    samples = {
        name: json.loads((events / path).read_text())
        for name, path in (
            ("create", "create_order/create-order.json"),
            ("complete", "complete/complete-payment.json"),
            ("webhook", "webhook/webhook-json.json"),
            ("refund", "refund/refund-order.json"),
            ("cancel", "refund/cancel-order.json"),
            ("get_order", "orders/get-order.json"),
        )
    }
    return handlers, samples


def measure_costs(
    stack: LocalStack, args: Any, handlers: dict[str, Any], samples: dict[str, Any]
) -> dict[str, Any]:
    shop = costs.Shop(stack, _call)
    sizes = [int(n) for n in args.lines.split(",") if n.strip()]
    with _stdout_closed():
        ops = costs.operation_costs(stack, shop, handlers, samples, args.op_runs)
        lines_rows = costs.line_scaling(stack, shop, handlers, samples, sizes)
        table_sizes = [int(n) for n in args.table_sizes.split(",") if n.strip()]
        size_rows = costs.table_size_scaling(stack, shop, handlers, samples, table_sizes)
        sweep = costs.sweeper_cost(stack, shop, args.sweep_orders)
        hot = costs.hot_product(stack, args.hot_stock, args.hot_buyers, args.hot_shards)
    for r in ops:
        print(
            f"  {r['operation']:<40} {r['ms_p50']:6.1f} ms  DynamoDB {r['dynamodb']:.0f}  "
            f"I'mport {r['iamport']:.0f}"
            f"  RCU {r['rcu']:.1f}  WCU {r['wcu']:.1f}"
        )
    for r in lines_rows:
        print(
            f"  {r['lines']:>2} lines: round trips {r['round_trips']}, RCU {r['rcu']:.1f}, WCU {r['wcu']:.1f}"
        )
    per = sweep["per_1000"]
    print(
        f"sweeper per 1000 open orders: I'mport {per['iamport']:.0f}, DynamoDB {per['dynamodb']:.0f}, "
        f"RCU {per['rcu']:.0f}, WCU {per['wcu']:.0f}, {per['seconds']:.1f} s"
    )
    for label in ("single", "sharded"):
        r = hot[label]
        print(
            f"hot product, {label}: sold {r['sold']} of {hot['stock']}, left {r['left']}, {r['per_s']:.0f}/s"
        )
    for r in size_rows:
        print(
            f"  {r['orders']:>6} orders: {r['ms']:.1f} ms, round trips {r['round_trips']}, WCU {r['wcu']:.1f}"
        )
    return {"operations": ops, "lines": lines_rows, "sizes": size_rows, "sweep": sweep, "hot": hot}


@contextlib.contextmanager
def _stdout_closed() -> Iterator[None]:
    """Handlers log to stdout (CloudWatch on Lambda): written, so their cost counts, but not shown."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(devnull)
        os.close(saved)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold-runs", type=int, default=7)
    parser.add_argument(
        "--warm", type=int, default=100, help="warm runs of each operation, each beside its floor"
    )
    parser.add_argument("--buyers", type=int, default=8)
    parser.add_argument("--checkouts", type=int, default=120)
    parser.add_argument("--op-runs", type=int, default=6, help="runs of each operation (the first warms)")
    parser.add_argument("--lines", default="1,3,12,48", help="cart sizes for the scaling section")
    parser.add_argument("--table-sizes", default="1000,10000,100000", help="orders in the table")
    parser.add_argument("--sweep-orders", type=int, default=1000, help="open orders for the sweeper's bill")
    parser.add_argument("--hot-stock", type=int, default=3000)
    parser.add_argument("--hot-buyers", type=int, default=8)
    parser.add_argument("--hot-shards", type=int, default=8)
    parser.add_argument("--no-plots", action="store_true", help="skip the PNGs (no matplotlib)")
    parser.add_argument("--out", type=pathlib.Path, default=OUT, help="directory of REPORT.md and the plots")
    args = parser.parse_args(argv)
    TRANSPORT.install()  # before any client exists: every DynamoDB and I'mport request is counted
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    env = machine()
    print(env)
    cold = cold_start(args.cold_runs)
    print(f"cold start: import boto3 {cold['boto3_ms']:.0f} ms")
    for r in sorted(cold["rows"], key=lambda r: r["handler"]):
        print(f"  {r['handler']:<14} {r['ms']:6.0f} ms  {r['ratio']:.2f}x")
    print(
        f"  largest imports of {cold['slowest']['handler']}: "
        + ", ".join(f"{n} {ms:.0f} ms" for n, ms in cold["top"][:5])
    )
    with running_stack(function_log=_quiet) as stack:
        # The handler runs in this process: its log lines and metrics go to a closed stdout, as Lambda's
        # would go to CloudWatch (written, so their cost is measured, but not shown).
        restock(stack, "socks-hanbok-3p")
        handlers, samples = handlers_and_samples(stack)
        with _stdout_closed():
            warm = floors.warm_operations(stack, costs.Shop(stack, _call), handlers, samples, args.warm)
        for r in warm["rows"]:
            h, f = r["handler"], r["floor"]
            print(
                f"warm {r['operation']:<8} p50 {pct(h, 50):5.1f} p95 {pct(h, 95):5.1f} "
                f"p99 {pct(h, 99):5.1f} ms; "
                f"floor p50 {pct(f, 50):5.1f} p95 {pct(f, 95):5.1f} p99 {pct(f, 99):5.1f} ms; "
                f"ratio {r['ratio_p50']:.2f}; CPU {r['cpu_ms']:.1f} vs {r['floor_cpu_ms']:.1f} ms; "
                f"round trips DynamoDB {r['dynamodb_trips']:.0f}, "
                f"I'mport {r['iamport_trips']:.0f}"
            )
        print(f"  I'mport token reused on {warm['token_reuse'] * 100:.0f} % of warm calls")
        tp = throughput(stack, args.buyers, args.checkouts)
        print(
            f"throughput: {tp['buyers']} buyers, {tp['checkouts']} checkouts: {tp['per_s']:.1f}/s, "
            f"p50 {pct(tp['samples'], 50):.0f} ms, p99 {pct(tp['samples'], 99):.0f} ms, "
            f"double effects {tp['double_effects']}"
        )
        print("  cores busy: " + ", ".join(f"{n} {v:.2f}" for n, v in tp["cores"].items()))
        with TRANSPORT.measuring_capacity():
            extra = measure_costs(stack, args, handlers, samples)
    images = [] if args.no_plots else plots(cold, warm, tp, out)
    (out / "REPORT.md").write_text(render(env, cold, warm, tp, extra))
    print(f"wrote {out / 'REPORT.md'}" + "".join(f", {out / i}" for i in images))
    return 0


if __name__ == "__main__":
    sys.exit(main())
