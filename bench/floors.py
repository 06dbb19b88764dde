"""Warm latency of the money operations beside their floors: the same requests, sent with nothing between.

For every operation (create an order, the owner's completion, a duplicate webhook, a refund) and every
run, two twins are prepared the same way through the local API and the sandbox (two buyers with the same
3-line cart; then the same order created, paid, completed...). The handler runs on one twin, in this
process, with a real event, and every request it sends is recorded where it leaves: DynamoDB's
parameters at botocore's parameter build, I'mport's requests at `requests` (bench/transport.py). The floor
then sends exactly those requests for the other twin, its ids swapped in (buyer, order, payment), with a
plain boto3 client and a `requests` session, back to back: the same calls with the same items, conditions
and index changes, and none of the checkout's code between them (no Powertools, validation, item
encoding, domain, logging or metrics). Each floor reply is checked (a refused condition or an I'mport
error fails the benchmark), so the floor cannot be fast by failing. Runs interleave: handler, then its floor.

Whether those calls are the fewest possible is the costs section's question (round trips per operation
beside the seed design's); this section measures what the checkout adds to them.
"""

from __future__ import annotations

import copy
import json
import secrets
import statistics
import string
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from costs import BUYER, Handler, Shop, _client, _Context, _event
from transport import TRANSPORT, Sent

from local.stack import LocalStack

LABELS = {
    "create": "POST /orders (3 lines)",
    "complete": "POST /payments/complete",
    "webhook": "POST /webhooks/iamport (duplicate)",
    "refund": "POST /orders/{id}/refunds (one line)",
}
OPERATIONS = tuple(LABELS)
_ALPHABET = string.ascii_letters + string.digits
# Each timed call starts after this long without requests, so neither pays for work the engine is still
# doing after the other (DynamoDB Local writes behind its replies).
QUIET_S = 0.02


def swap(value: Any, pairs: dict[str, str]) -> Any:
    """`value` with every id of one twin replaced by the other's (in strings, keys and nested values)."""
    if isinstance(value, str):
        for old, new in pairs.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {swap(k, pairs): swap(v, pairs) for k, v in value.items()}
    if isinstance(value, list):
        return [swap(v, pairs) for v in value]
    if isinstance(value, bytes):
        return swap(value.decode(), pairs).encode()
    return value


def twin_id(value: str) -> str:
    """An id of the same shape and length as `value`, different in its last 12 characters."""
    return value[:-12] + "".join(secrets.choice(_ALPHABET) for _ in range(12))


class Replayer:
    """Sends recorded requests again, for the other twin, with a plain boto3 client and `requests`."""

    def __init__(self, stack: LocalStack) -> None:
        import botocore
        import requests

        self._ddb = _client(stack)
        self._http = requests.Session()
        self._xform = botocore.xform_name

    def warm(self, stack: LocalStack) -> None:
        """Open both connections before timing anything (as the handler's are, after its first call)."""
        self._ddb.describe_table(TableName=stack.table_names["OrdersTable"])
        self._http.get(f"{stack.sandbox_url}/sandbox/config", timeout=(3, 10)).raise_for_status()

    def replay(self, sent: list[Sent], pairs: dict[str, str]) -> tuple[float, float]:
        """(wall ms, this process's CPU ms) of sending `sent` again with `pairs` swapped in."""
        calls = []
        for s in sent:  # prepared before the clock starts: the floor is the calls alone
            if s.service == "dynamodb":
                params = swap(s.params, pairs)
                params.pop("ClientRequestToken", None)  # a fresh token, as a new request has
                calls.append((s, params))
            else:
                headers = {
                    k: v for k, v in s.headers.items() if k.lower() in ("authorization", "content-type")
                }
                calls.append((s, (swap(s.url, pairs), swap(s.body, pairs), headers)))
        started, cpu = time.perf_counter(), time.process_time()
        for s, args in calls:
            if s.service == "dynamodb":
                getattr(self._ddb, self._xform(s.operation))(**args)
            else:
                url, body, headers = args
                answer = self._http.request(s.method, url, data=body, headers=headers, timeout=(3, 10))
                envelope = answer.json()
                if answer.status_code != 200 or envelope.get("code") != 0:
                    raise AssertionError(f"floor: I'mport refused {s.method} {url}: {envelope}")
        return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


@dataclass
class Twin:
    user: str
    merchant_uid: str = ""
    imp_uid: str = ""


def _user(tag: str) -> str:
    return f"warm-{tag}-{uuid.uuid4().hex}"


def warm_operations(
    stack: LocalStack,
    shop: Shop,
    handlers: dict[str, Handler],
    samples: dict[str, dict[str, Any]],
    runs: int,
) -> dict[str, Any]:
    """p50/p95/p99 of each operation and of its floor, `runs` of each after two warming ones."""
    products = shop.products(3, "warm")
    replayer = Replayer(stack)
    replayer.warm(stack)
    series = ("handler", "floor", "handler_cpu", "floor_cpu", "dynamodb_trips", "iamport_trips")
    results: dict[str, dict[str, list[float]]] = {op: {name: [] for name in series} for op in OPERATIONS}
    tokens_before = TRANSPORT.snapshot().tokens

    # The last recording of each operation, with the ids it acted on: on odd runs the floor goes first,
    # replaying it for this run's twin, so neither side always follows the other.
    last: dict[str, tuple[list[Sent], dict[str, str]]] = {}

    def timed(
        op: str,
        event: dict[str, Any],
        status: int,
        acted_on: Callable[[Any], dict[str, str]],
        twin_of: Callable[[dict[str, str]], dict[str, str]],
        floor_first: bool,
    ) -> None:
        def floor_for(recorded: tuple[list[Sent], dict[str, str]]) -> tuple[float, float]:
            sent, ids = recorded
            twin = twin_of(ids)
            time.sleep(QUIET_S)
            return replayer.replay(sent, {ids[k]: twin[k] for k in ids if ids[k]})

        floor = floor_for(last[op]) if floor_first and op in last else None
        time.sleep(QUIET_S)
        before = TRANSPORT.snapshot()
        with TRANSPORT.recording() as sent:
            started, cpu = time.perf_counter(), time.process_time()
            reply = handlers[op](event, _Context())
            elapsed = (time.perf_counter() - started) * 1000
            handler_cpu = (time.process_time() - cpu) * 1000
        used = TRANSPORT.snapshot() - before
        assert reply["statusCode"] == status, reply
        sent = copy.deepcopy(sent)
        last[op] = (sent, acted_on(json.loads(reply["body"]) if reply.get("body") else None))
        if floor is None:
            floor = floor_for(last[op])
        measured = (elapsed, floor[0], handler_cpu, floor[1], used.dynamodb, used.iamport)
        for name, value in zip(series, measured, strict=True):
            results[op][name].append(value)

    def order(twin: Twin) -> None:
        payment = shop.open_order(twin.user, products)
        twin.merchant_uid = payment["merchant_uid"]
        twin.imp_uid = shop.pay(payment)

    def complete(twin: Twin) -> None:
        shop.api(
            "POST",
            "/payments/complete",
            twin.user,
            {"imp_uid": twin.imp_uid, "merchant_uid": twin.merchant_uid},
        )

    def ids(twin: Twin) -> dict[str, str]:
        return {"user": twin.user, "merchant_uid": twin.merchant_uid, "imp_uid": twin.imp_uid}

    shop.quiet_webhooks(True)
    try:
        for i in range(runs + 2):
            # Two warming runs, dropped: the handler's first call builds its clients and fetches the
            # I'mport token; the second replays that first recording (token fetch included) floor-first.
            keep = i > 1
            flip = i % 2 == 1
            # create: two buyers with the same cart; the order id is the handler's, the twin's made alike.
            a, b = Twin(_user("a")), Twin(_user("b"))
            shop.fill_cart(a.user, products)
            shop.fill_cart(b.user, products)
            body = {"buyer": BUYER, "points_to_use": 0, "pay_method": "card"}
            timed(
                "create",
                _event(samples["create"], a.user, body),
                201,
                lambda reply, a=a: {"user": a.user, "merchant_uid": reply["order"]["merchant_uid"]},
                lambda acted, b=b: {"user": b.user, "merchant_uid": twin_id(acted["merchant_uid"])},
                flip,
            )
            # complete: the same order created and paid for each, not reported yet.
            a, b = Twin(_user("a")), Twin(_user("b"))
            order(a)
            order(b)
            pointer = {"imp_uid": a.imp_uid, "merchant_uid": a.merchant_uid}
            event = _event(samples["complete"], a.user, pointer)
            timed("complete", event, 200, lambda _, a=a: ids(a), lambda _, b=b: ids(b), flip)
            # webhook: I'mport's notice of a payment both already applied (the common duplicate).
            complete(b)
            webhook = _event(samples["webhook"], None, {**pointer, "status": "paid"})
            webhook["requestContext"]["http"]["sourceIp"] = "127.0.0.1"
            timed("webhook", webhook, 200, lambda _, a=a: ids(a), lambda _, b=b: ids(b), flip)
            # refund: one line of each twin's paid order.
            refund = {"reason": "bench", "lines": [{"product_id": products[0], "quantity": 1}]}
            event = _event(samples["refund"], a.user, refund, merchant_uid=a.merchant_uid)
            timed("refund", event, 200, lambda _, a=a: ids(a), lambda _, b=b: ids(b), flip)
            if not keep:
                for op in OPERATIONS:
                    for values in results[op].values():
                        values.clear()
                tokens_before = TRANSPORT.snapshot().tokens
    finally:
        shop.quiet_webhooks(False)
    fetched = TRANSPORT.snapshot().tokens - tokens_before
    rows = []
    for op in OPERATIONS:
        r = results[op]
        rows.append(
            {
                "operation": op,
                "label": LABELS[op],
                "handler": r["handler"],
                "floor": r["floor"],
                "ratio_p50": statistics.median(r["handler"]) / statistics.median(r["floor"]),
                # CPU of this process (the handler's Python, or the floor's boto3/requests, plus the
                # in-process sandbox answering either): far steadier than wall time on a busy machine.
                "cpu_ms": statistics.median(r["handler_cpu"]),
                "floor_cpu_ms": statistics.median(r["floor_cpu"]),
                "dynamodb_trips": statistics.median(r["dynamodb_trips"]),
                "iamport_trips": statistics.median(r["iamport_trips"]),
            }
        )
    calls = runs * len(OPERATIONS)
    return {"rows": rows, "runs": runs, "token_reuse": 1 - fetched / calls, "tokens_fetched": fetched}
