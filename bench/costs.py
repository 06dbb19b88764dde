"""What each operation costs at the transport, how it scales, the sweeper's bill, and a hot product.

Every figure is counted where the requests leave this process (bench/transport.py): DynamoDB round trips
and the capacity DynamoDB Local reports (`ReturnConsumedCapacity=TOTAL`, which the transport asks for on
every call while report.py measures costs: a read unit per 4 KB, half for an eventually consistent
read; a write unit per 1 KB; twice both for a transaction's items), and I'mport requests. The handlers
run in this process (as in the warm section, bench/floors.py) against the offline stack; setup (carts,
orders, payments in the sandbox) goes through the local API and is never counted.
"""

from __future__ import annotations

import concurrent.futures
import json
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from transport import TRANSPORT, Usage

from local.stack import LocalStack

REGION = "ap-northeast-2"
BUYER = {"name": "김민지", "email": "minji@example.com", "tel": "010-1234-5678"}
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


# The seed design (a Node/Mongo approval flow that reads and writes once per step and per line): for a
# 3-line order, 14 round trips between approving and answering. Per step: read the order, verify at
# I'mport (token + payment: 2), then per line read and write the product (2 x lines), write the order,
# read and write the points (2), write a ledger entry, clear the cart (1).
def seed_design_round_trips(lines: int) -> int:
    return 1 + 2 + 2 * lines + 1 + 2 + 1 + 1


class _Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-northeast-2:123456789012:function:bench"
    aws_request_id = "bench"

    def __init__(self, remaining_ms: int = 29_000) -> None:
        self._deadline = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


# The sweeper's timeout in template.yaml (the API's functions have 29 s).
SWEEPER_TIMEOUT_MS = 300_000


def _client(stack: LocalStack) -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=stack.ddb_endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local accepts any
    )


class Shop:
    """Setup through the local API (cart, order) and the sandbox (payment): never counted."""

    def __init__(self, stack: LocalStack, call: Callable[..., tuple[int, Any]]) -> None:
        self.stack, self._call = stack, call
        self._ddb = _client(stack)

    def products(self, n: int, prefix: str) -> list[str]:
        ids = [f"{prefix}-{i:03d}" for i in range(n)]
        for product_id in ids:
            self._ddb.put_item(
                TableName=self.stack.table_names["ProductsTable"],
                Item={
                    "product_id": {"S": product_id},
                    "name": {"S": f"상품 {product_id}"},
                    "price": {"N": "1000"},
                    "stock": {"N": "1000000"},
                },
            )
        return ids

    def api(self, method: str, path: str, user: str, body: Any = None, **headers: str) -> Any:
        auth = {"Authorization": f"Bearer {self.stack.token_for(user)}"}
        status, answer = self._call(method, f"{self.stack.api_url}{path}", body, {**auth, **headers})
        if status >= 300:
            raise RuntimeError(f"setup {method} {path}: {status} {answer}")
        return answer

    def fill_cart(self, user: str, products: list[str]) -> None:
        for product_id in products:
            self.api("PUT", f"/cart/items/{product_id}", user, {"quantity": 1})

    def open_order(self, user: str, products: list[str]) -> dict[str, Any]:
        self.fill_cart(user, products)
        created = self.api(
            "POST",
            "/orders",
            user,
            {"buyer": BUYER, "points_to_use": 0, "pay_method": "card"},
            **{"Idempotency-Key": str(uuid.uuid4())},
        )
        payment: dict[str, Any] = created["payment"]
        return payment

    def pay(self, payment: dict[str, Any]) -> str:
        status, paid = self._call(
            "POST", f"{self.stack.sandbox_url}/sandbox/payments", {**payment, "outcome": "paid"}
        )
        assert status == 200, paid
        return str(paid["response"]["imp_uid"])

    def quiet_webhooks(self, quiet: bool) -> None:
        status, body = self._call("POST", f"{self.stack.sandbox_url}/sandbox/config", {"webhook_drop": quiet})
        assert status == 200, body


def _event(sample: dict[str, Any], user: str | None, body: Any = None, **path: str) -> dict[str, Any]:
    event = json.loads(json.dumps(sample))
    if body is not None:
        event["body"] = json.dumps(body, ensure_ascii=False)
        event["isBase64Encoded"] = False
    if user is not None:
        event["requestContext"]["authorizer"]["jwt"]["claims"] = {"sub": user}
    event.setdefault("headers", {})["idempotency-key"] = str(uuid.uuid4())
    if path:
        raw = event["rawPath"]
        for name, value in path.items():
            raw = raw.replace(event["pathParameters"][name], value)
            event["pathParameters"][name] = value
        event["rawPath"] = event["requestContext"]["http"]["path"] = raw
    return event


def _measure(handler: Handler, event: dict[str, Any], status: int = 200) -> tuple[Usage, float, Any]:
    before = TRANSPORT.snapshot()
    started = time.perf_counter()
    reply = handler(event, _Context())
    elapsed = (time.perf_counter() - started) * 1000
    assert reply["statusCode"] == status, reply
    return TRANSPORT.snapshot() - before, elapsed, json.loads(reply["body"]) if reply.get("body") else None


def operation_costs(
    stack: LocalStack, shop: Shop, handlers: dict[str, Handler], samples: dict[str, dict[str, Any]], runs: int
) -> list[dict[str, Any]]:
    """Median round trips and capacity of each operation on a 3-line order (each run on a fresh one)."""
    products = shop.products(3, "cost")
    rows: dict[str, list[tuple[Usage, float]]] = {}

    def record(name: str, measured: tuple[Usage, float, Any]) -> Any:
        rows.setdefault(name, []).append(measured[:2])
        return measured[2]

    shop.quiet_webhooks(True)
    try:
        for i in range(runs):
            user = f"cost-{uuid.uuid4().hex[:8]}"
            shop.fill_cart(user, products)
            body = {"buyer": BUYER, "points_to_use": 0, "pay_method": "card"}
            created = record(
                "create order (3 lines)",
                _measure(handlers["create"], _event(samples["create"], user, body), 201),
            )
            payment = created["payment"]
            imp_uid = shop.pay(payment)
            pointer = {"imp_uid": imp_uid, "merchant_uid": payment["merchant_uid"]}
            record(
                "complete (owner's report)",
                _measure(handlers["complete"], _event(samples["complete"], user, pointer)),
            )
            note = {**pointer, "status": "paid"}
            webhook = _event(samples["webhook"], None, note)
            webhook["requestContext"]["http"]["sourceIp"] = "127.0.0.1"
            record("webhook, duplicate of a settled payment", _measure(handlers["webhook"], webhook))
            refund = {"reason": "bench", "lines": [{"product_id": products[0], "quantity": 1}]}
            record(
                "refund one line",
                _measure(
                    handlers["refund"],
                    _event(samples["refund"], user, refund, merchant_uid=payment["merchant_uid"]),
                ),
            )
            record(
                "read the order",
                _measure(
                    handlers["orders"],
                    _event(samples["get_order"], user, merchant_uid=payment["merchant_uid"]),
                ),
            )
            other = shop.open_order(f"{user}-c", products[:1])
            record(
                "cancel an unpaid order",
                _measure(
                    handlers["refund"],
                    _event(samples["cancel"], f"{user}-c", merchant_uid=other["merchant_uid"]),
                ),
            )
            if i == 0:
                rows.clear()  # the first of each warmed the handler (clients, token): not counted
    finally:
        shop.quiet_webhooks(False)
    out = []
    for name, measured in rows.items():
        usages = [u for u, _ in measured]
        out.append(
            {
                "operation": name,
                "ms_p50": statistics.median(ms for _, ms in measured),
                "dynamodb": statistics.median(u.dynamodb for u in usages),
                "iamport": statistics.median(u.iamport for u in usages),
                "tokens": sum(u.tokens for u in usages),
                "rcu": statistics.median(u.read_units for u in usages),
                "wcu": statistics.median(u.write_units for u in usages),
                "calls": usages[len(usages) // 2].calls(),
            }
        )
    return out


def line_scaling(
    stack: LocalStack,
    shop: Shop,
    handlers: dict[str, Handler],
    samples: dict[str, dict[str, Any]],
    sizes: list[int],
) -> list[dict[str, Any]]:
    """Create + complete of an order with 1 to 48 lines: round trips stay flat, capacity grows per line."""
    products = shop.products(max(sizes), "lines")
    out = []
    shop.quiet_webhooks(True)
    try:
        for n in sizes:
            samples_n = []
            for _ in range(3):
                user = f"lines-{uuid.uuid4().hex[:8]}"
                shop.fill_cart(user, products[:n])
                body = {"buyer": BUYER, "points_to_use": 0, "pay_method": "card"}
                create, create_ms, created = _measure(
                    handlers["create"], _event(samples["create"], user, body), 201
                )
                payment = created["payment"]
                pointer = {"imp_uid": shop.pay(payment), "merchant_uid": payment["merchant_uid"]}
                complete, complete_ms, _ = _measure(
                    handlers["complete"], _event(samples["complete"], user, pointer)
                )
                samples_n.append((create, create_ms, complete, complete_ms))
            mid = sorted(samples_n, key=lambda s: s[1] + s[3])[len(samples_n) // 2]
            out.append(
                {
                    "lines": n,
                    "create_ms": mid[1],
                    "complete_ms": mid[3],
                    "round_trips": mid[0].round_trips + mid[2].round_trips,
                    "wcu": mid[0].write_units + mid[2].write_units,
                    "rcu": mid[0].read_units + mid[2].read_units,
                    "seed_round_trips": seed_design_round_trips(n),  # the seed design's approval alone
                }
            )
    finally:
        shop.quiet_webhooks(False)
    return out


def table_size_scaling(
    stack: LocalStack,
    shop: Shop,
    handlers: dict[str, Handler],
    samples: dict[str, dict[str, Any]],
    sizes: list[int],
) -> list[dict[str, Any]]:
    """Create + complete of a 3-line order as the orders table grows (synthetic past orders, copies of a
    real one under other ids and buyers, written with BatchWriteItem): every access is by key, so the
    latency, round trips and capacity must not move with the table's size."""
    products = shop.products(3, "size")
    ddb = _client(stack)
    table = stack.table_names["OrdersTable"]
    template_uid = shop.open_order(f"size-{uuid.uuid4().hex[:8]}", products)["merchant_uid"]
    template = ddb.get_item(TableName=table, Key={"merchant_uid": {"S": template_uid}}, ConsistentRead=True)[
        "Item"
    ]
    template = {
        k: v for k, v in template.items() if k not in ("sweep_pk", "sweep_at")
    }  # past orders: settled
    written = [int(ddb.describe_table(TableName=table)["Table"].get("ItemCount", 0))]

    def fill(count: int) -> None:
        def batch(_: int) -> None:
            items = []
            for _ in range(25):
                item = dict(template)
                item["merchant_uid"] = {"S": f"past_{uuid.uuid4().hex}"}
                item["user_id"] = {"S": f"past-{uuid.uuid4().hex[:10]}"}
                items.append({"PutRequest": {"Item": item}})
            request = {table: items}
            while request:
                request = ddb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(batch, range(max(0, count) // 25)))

    out = []
    shop.quiet_webhooks(True)
    try:
        for size in sizes:
            fill(size - written[0])
            written[0] = max(written[0], size)
            runs = []
            for _ in range(3):
                user = f"size-{uuid.uuid4().hex[:8]}"
                shop.fill_cart(user, products)
                body = {"buyer": BUYER, "points_to_use": 0, "pay_method": "card"}
                create, create_ms, created = _measure(
                    handlers["create"], _event(samples["create"], user, body), 201
                )
                payment = created["payment"]
                pointer = {"imp_uid": shop.pay(payment), "merchant_uid": payment["merchant_uid"]}
                complete, complete_ms, _ = _measure(
                    handlers["complete"], _event(samples["complete"], user, pointer)
                )
                runs.append(
                    (create_ms + complete_ms, create.round_trips + complete.round_trips, create, complete)
                )
            ms, trips, create, complete = sorted(runs, key=lambda r: r[0])[1]
            out.append(
                {
                    "orders": size,
                    "ms": ms,
                    "round_trips": trips,
                    "rcu": create.read_units + complete.read_units,
                    "wcu": create.write_units + complete.write_units,
                }
            )
    finally:
        shop.quiet_webhooks(False)
    return out


def sweeper_cost(stack: LocalStack, shop: Shop, orders: int, paid_share: float = 0.1) -> dict[str, Any]:
    """One sweep over `orders` open orders, run as the schedule would 3 minutes after they were placed
    (their first check is due after 2): a tenth of them paid at I'mport and never reported. Its I'mport
    calls, DynamoDB round trips and capacity, and seconds, per 1000 orders. The sweep is the service the
    scheduled function calls (`get_checkout().sweep`), given that moment as `now`."""
    from datetime import UTC, datetime, timedelta

    from checkout.wiring import get_checkout

    products = shop.products(1, "sweep")
    placed = datetime.now(UTC)

    def one(k: int) -> None:
        payment = shop.open_order(f"sweep-{uuid.uuid4().hex[:8]}", products)
        if k < orders * paid_share:
            shop.pay(payment)

    shop.quiet_webhooks(True)
    try:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(one, range(orders)))
        checkout = get_checkout()
        deadline = time.monotonic() + SWEEPER_TIMEOUT_MS / 1000
        before = TRANSPORT.snapshot()
        started = time.perf_counter()
        report = checkout.sweep(
            datetime.now(UTC) + timedelta(minutes=3), time_left_s=lambda: deadline - time.monotonic()
        ).as_dict()
        seconds = time.perf_counter() - started
        used = TRANSPORT.snapshot() - before
    finally:
        shop.quiet_webhooks(False)
    assert datetime.now(UTC) - placed < timedelta(minutes=25), "setup outlived the orders' card TTL"
    per = 1000 / max(1, report["examined"])
    return {
        "orders": orders,
        "examined": report["examined"],
        "checked": report["checked"],
        "paid": report["paid"],
        "errors": report["errors"],
        "seconds": seconds,
        "per_1000": {
            "iamport": used.iamport * per,
            "dynamodb": used.dynamodb * per,
            "rcu": used.read_units * per,
            "wcu": used.write_units * per,
            "seconds": seconds * per,
        },
        "calls": used.calls(),
    }


def hot_product(stack: LocalStack, stock: int, buyers: int, shards: int) -> dict[str, Any]:
    """One SKU sold to `buyers` concurrent buyers until it is gone: a single stock item against the same
    stock split over `shards` items (a buyer takes a unit from a random shard, and moves to the next on a
    failed condition). Both must sell exactly `stock` units and never go below zero."""
    ddb = _client(stack)
    table = f"bench-hot-{uuid.uuid4().hex[:6]}"
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        return {
            "stock": stock,
            "buyers": buyers,
            "shards": shards,
            "single": _sell_out(ddb, table, "single", stock, buyers, 1),
            "sharded": _sell_out(ddb, table, "sharded", stock, buyers, shards),
        }
    finally:
        ddb.delete_table(TableName=table)


def _sell_out(ddb: Any, table: str, sku: str, stock: int, buyers: int, shards: int) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    keys = [f"{sku}#{i}" for i in range(shards)]
    for i, key in enumerate(keys):
        share = stock // shards + (1 if i < stock % shards else 0)
        ddb.put_item(TableName=table, Item={"pk": {"S": key}, "stock": {"N": str(share)}})
    sold, failed_conditions = [0], [0]
    lock = threading.Lock()

    def buyer(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - spreading load, not security
        empty: set[str] = set()
        while len(empty) < len(keys):
            live = [k for k in keys if k not in empty]
            key = live[rng.randrange(len(live))]
            try:
                ddb.update_item(
                    TableName=table,
                    Key={"pk": {"S": key}},
                    UpdateExpression="SET stock = stock - :one",
                    ConditionExpression="stock >= :one",
                    ExpressionAttributeValues={":one": {"N": "1"}},
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                with lock:
                    failed_conditions[0] += 1
                empty.add(key)
                continue
            with lock:
                sold[0] += 1

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(buyers) as pool:
        list(pool.map(buyer, range(buyers)))
    seconds = time.perf_counter() - started
    left = [
        int(ddb.get_item(TableName=table, Key={"pk": {"S": k}}, ConsistentRead=True)["Item"]["stock"]["N"])
        for k in keys
    ]
    return {
        "sold": sold[0],
        "left": sum(left),
        "lowest": min(left),
        "per_s": sold[0] / seconds,
        "failed_conditions": failed_conditions[0],
        "seconds": seconds,
    }
