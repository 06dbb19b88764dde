"""SAM local testing with the real SAM CLI: every function of the built template runs in a container
(podman, the offline Python 3.12 Lambda image of tools/sam-local-image.sh) with each of its committed
`events/` samples, against DynamoDB Local and the I'mport sandbox on this machine; then
`sam local start-api` answers each public route.

Each sample is made real first (its buyer, order, payment exist; a case has a buyer of its own), then
the reply and what the function wrote are checked. Where containers cannot run, tools/sam_local.py said
why and every test here is reported as skipped. docs/deploy.md#sam-local-testing.
"""

from __future__ import annotations

import base64
import json
import pathlib
import tempfile
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from local.cfn import ROOT
from local.dynamodb import free_port
from local.stack import LocalStack
from sandbox.control import SandboxControl
from tests.support.http_checkout import HttpState
from tests.support.sam_local import (
    CONTAINER_HOST,
    Invocation,
    SamLocal,
    as_user,
    env_vars_file,
    podman_gateway,
    podman_service,
    prepared,
    sample_event,
    with_path,
    with_query,
)

STATUS = prepared()
# Each test is collected and reported as skipped (a module-level skip would leave `make sam-local` with
# "no tests collected", an error).
pytestmark = [
    pytest.mark.samlocal,
    pytest.mark.skipif(not STATUS.get("ready"), reason=f"SAM local: {STATUS.get('reason')}"),
]

PRODUCT, PRICE = "tee-white-m", 29000  # the product the samples name
BUYER = {"name": "김민지", "email": "minji.kim@example.com", "tel": "010-1234-5678"}
TIMEOUT = (3, 30)
PARALLEL_INVOCATIONS = 3


@dataclass
class Shop:
    """The offline stack the containers talk to, driven over HTTP for setup (never the code under test)."""

    stack: LocalStack
    state: HttpState
    sandbox: SandboxControl

    def _call(self, method: str, path: str, user: str, body: Any = None, **headers: str) -> Any:
        reply = requests.request(
            method,
            f"{self.stack.api_url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.stack.token_for(user)}", **headers},
            timeout=TIMEOUT,
        )
        assert reply.status_code < 300, f"setup {method} {path}: {reply.status_code} {reply.text}"
        return reply.json() if reply.content else None

    def add_to_cart(self, user: str, quantity: int = 1) -> None:
        self._call("PUT", f"/cart/items/{PRODUCT}", user, {"quantity": quantity})

    def open_order(self, user: str, quantity: int = 1) -> dict[str, Any]:
        """A `ready` order of `user`: its IMP.request_pay parameters."""
        self.add_to_cart(user, quantity)
        created = self._call(
            "POST",
            "/orders",
            user,
            {"buyer": BUYER, "points_to_use": 0, "pay_method": "card"},
            **{"Idempotency-Key": str(uuid.uuid4())},
        )
        payment: dict[str, Any] = created["payment"]
        return payment

    def paid_in_window(self, payment: dict[str, Any], outcome: str = "paid") -> str:
        """The buyer's payment window, in the sandbox (no webhook: the suite turned them off)."""
        created = self.sandbox.create_payment(
            payment["merchant_uid"],
            payment["amount"],
            outcome,
            **{k: v for k, v in payment.items() if k in ("pay_method", "name", "buyer_name", "notice_url")},
        )
        return str(created["imp_uid"])

    def completed_order(self, user: str, quantity: int = 1) -> tuple[str, str]:
        payment = self.open_order(user, quantity)
        imp_uid = self.paid_in_window(payment)
        done = self._call(
            "POST", "/payments/complete", user, {"imp_uid": imp_uid, "merchant_uid": payment["merchant_uid"]}
        )
        assert done["order"]["status"] == "paid", done
        return payment["merchant_uid"], imp_uid

    def order(self, merchant_uid: str) -> dict[str, Any]:
        return self.state.order(merchant_uid)


@dataclass
class Case:
    """One committed sample: how to make it real, and what must be true after the function ran."""

    function_id: str
    sample: str  # events/<dir>/<file>
    prepare: Callable[
        [Shop, dict[str, Any], dict[str, Any]], dict[str, Any]
    ]  # (shop, sample, facts) -> event
    check: Callable[[Shop, Invocation, dict[str, Any]], None]  # facts: what prepare recorded
    facts: dict[str, Any] = field(default_factory=dict)


def _user(facts: dict[str, Any]) -> str:
    facts["user"] = f"sam-{uuid.uuid4().hex[:12]}"
    return str(facts["user"])


# ------------------------------------------------------------------------------------------------ cart


def prep_list_products(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    return event


def check_list_products(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    assert run.status == 200, run.log
    products = {p["product_id"]: p for p in run.body["products"]}
    assert products[PRODUCT]["price"] == PRICE
    assert "socks-hanbok-3p" in products  # the seeded catalogue, read from DynamoDB Local on the host


def prep_get_cart(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    user = _user(facts)
    shop.add_to_cart(user, 3)
    return as_user(event, user)


def check_get_cart(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    assert run.status == 200, run.log
    lines = {item["product_id"]: item["quantity"] for item in run.body["items"]}
    assert lines == {PRODUCT: 3}


def prep_put_cart_item(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    return as_user(event, _user(facts))


def check_put_cart_item(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    assert run.status == 200, run.log
    assert shop.state.cart(facts["user"]) == {PRODUCT: 2}  # the sample's quantity, stored


def prep_delete_cart_item(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    user = _user(facts)
    shop.add_to_cart(user, 1)
    return as_user(event, user)


def check_delete_cart_item(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    assert run.status in (200, 204), run.log
    assert shop.state.cart(facts["user"]) == {}


# ------------------------------------------------------------------------------------------------ orders


def prep_create_order(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    user = _user(facts)
    shop.add_to_cart(user, 2)
    shop.state.grant_points(user, 5000)
    facts["stock_before"] = shop.state.stock(PRODUCT)
    return as_user(event, user)


def check_create_order(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    assert run.status == 201, run.log
    payment = run.body["payment"]
    # The sample spends 1000 points: the window asks for the rest, in cash.
    assert payment["amount"] == 2 * PRICE - 1000
    stored = shop.order(payment["merchant_uid"])
    assert stored["status"] == "ready" and stored["user_id"] == facts["user"]
    assert shop.state.balance(facts["user"]) == (4000, 1000)  # available, held for the order
    assert shop.state.cart(facts["user"]) == {}


def prep_get_order(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    user = _user(facts)
    facts["merchant_uid"] = shop.open_order(user)["merchant_uid"]
    return with_path(as_user(event, user), merchant_uid=facts["merchant_uid"])


def check_get_order(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    assert run.status == 200, run.log
    order = run.body["order"]
    assert order["merchant_uid"] == facts["merchant_uid"] and order["status"] == "ready"
    assert order["lines"][0]["product_id"] == PRODUCT


def prep_list_orders(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    user = _user(facts)
    facts["merchant_uid"] = shop.open_order(user)["merchant_uid"]
    return as_user(event, user)


def check_list_orders(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    assert run.status == 200, run.log
    assert [o["merchant_uid"] for o in run.body["orders"]] == [facts["merchant_uid"]]


def prep_get_points(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    user = _user(facts)
    shop.state.grant_points(user, 1500)
    return as_user(event, user)


def check_get_points(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    assert run.status == 200, run.log
    assert run.body["available"] == 1500 and run.body["held"] == 0
    assert [entry["points"] for entry in run.body["ledger"]] == [1500]


# ------------------------------------------------------------------------------------------------ payment


def prep_complete_payment(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    user = _user(facts)
    payment = shop.open_order(user)
    facts["merchant_uid"], facts["imp_uid"] = payment["merchant_uid"], shop.paid_in_window(payment)
    event = as_user(event, user)
    event["body"] = json.dumps({"imp_uid": facts["imp_uid"], "merchant_uid": facts["merchant_uid"]})
    return event


def check_complete_payment(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    assert run.status == 200, run.log
    assert run.body["order"]["status"] == "paid"
    stored = shop.order(facts["merchant_uid"])
    assert run.body["order"]["imp_uid"] == facts["imp_uid"]
    assert stored["status"] == "paid"


def prep_payment_redirect(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    payment = shop.open_order(_user(facts))
    facts["merchant_uid"], facts["imp_uid"] = payment["merchant_uid"], shop.paid_in_window(payment)
    return with_query(event, imp_uid=facts["imp_uid"], merchant_uid=facts["merchant_uid"])


def _redirect_query(run: Invocation) -> dict[str, str]:
    assert run.status in (302, 303), run.log
    location = run.headers["location"]
    assert location.startswith(shop_site_url()), location
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def check_payment_redirect(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    query = _redirect_query(run)
    assert query["merchant_uid"] == facts["merchant_uid"] and query["status"] == "paid", query
    assert shop.order(facts["merchant_uid"])["status"] == "paid"


def prep_payment_redirect_failed(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    payment = shop.open_order(_user(facts))
    facts["merchant_uid"], facts["imp_uid"] = payment["merchant_uid"], shop.paid_in_window(payment, "failed")
    facts["stock_before"] = shop.state.stock(PRODUCT)
    return with_query(event, imp_uid=facts["imp_uid"], merchant_uid=facts["merchant_uid"])


def check_payment_redirect_failed(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    query = _redirect_query(run)
    # A redirect carries no proof of who sent it: a failed attempt it reports leaves the order open,
    # its stock still held, for the buyer to try again (only the owner's report ends it).
    assert query["merchant_uid"] == facts["merchant_uid"] and query["status"] == "ready", query
    assert shop.order(facts["merchant_uid"])["status"] == "ready"
    assert shop.state.stock(PRODUCT) <= facts["stock_before"]


# ------------------------------------------------------------------------------------------------ refunds


def prep_cancel_order(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    user = _user(facts)
    facts["merchant_uid"] = shop.open_order(user)["merchant_uid"]
    return with_path(as_user(event, user), merchant_uid=facts["merchant_uid"])


def check_cancel_order(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    assert run.status == 200, run.log
    # The owner's cancel of an unpaid order ends it as failed: stock and cart come back.
    assert shop.order(facts["merchant_uid"])["status"] == "failed"
    assert shop.state.cart(facts["user"]) == {PRODUCT: 1}


def prep_refund_order(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    user = _user(facts)
    facts["merchant_uid"], facts["imp_uid"] = shop.completed_order(user, quantity=2)
    return with_path(as_user(event, user), merchant_uid=facts["merchant_uid"])


def check_refund_order(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    assert run.status == 200, run.log
    assert shop.order(facts["merchant_uid"])["status"] == "partially_cancelled"
    payment = next(p for p in shop.sandbox.payments() if p["imp_uid"] == facts["imp_uid"])
    assert payment["cancel_amount"] == PRICE  # one of the two lines, at I'mport too


# ------------------------------------------------------------------------------------------------ webhook


def prep_webhook_json(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    payment = shop.open_order(_user(facts))
    facts["merchant_uid"], facts["imp_uid"] = payment["merchant_uid"], shop.paid_in_window(payment)
    event = json.loads(json.dumps(event))
    event["body"] = json.dumps(
        {"imp_uid": facts["imp_uid"], "merchant_uid": facts["merchant_uid"], "status": "paid"}
    )
    return event


def check_webhook_json(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    assert run.status == 200, run.log
    assert shop.order(facts["merchant_uid"])["status"] == "paid"


def prep_webhook_form(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    facts["merchant_uid"], facts["imp_uid"] = shop.completed_order(_user(facts))
    shop.sandbox.console_cancel(facts["imp_uid"], reason="cancelled in the console")
    form = dict(urllib.parse.parse_qsl(base64.b64decode(event["body"]).decode()))
    form |= {"imp_uid": facts["imp_uid"], "merchant_uid": facts["merchant_uid"]}
    event = json.loads(json.dumps(event))
    event["body"] = base64.b64encode(urllib.parse.urlencode(form).encode()).decode()
    return event


def check_webhook_form(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    assert run.status == 200, run.log
    # A cancel made in I'mport's console reaches the books through the notification.
    assert shop.order(facts["merchant_uid"])["status"] == "cancelled"


# ------------------------------------------------------------------------------------------------ schedules


def prep_scheduled(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    return event


def check_sweep(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    assert isinstance(run.reply, dict), run.log
    assert run.reply["errors"] == 0 and run.reply["out_of_time"] is False, run.reply


def prep_audit(shop: Shop, event: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    # The schedule's time is now: the audit reads the last two days, this suite's payments among them.
    event = json.loads(json.dumps(event))
    event["time"] = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    facts["paid_payments"] = sum(1 for p in shop.sandbox.payments() if p["status"] in ("paid", "cancelled"))
    return event


def check_audit(shop: Shop, run: Invocation, facts: dict[str, Any]) -> None:
    assert isinstance(run.reply, dict), run.log
    # Every payment the containers applied agrees with the books: nothing to fix, nobody to call.
    assert run.reply["checked"] >= facts["paid_payments"] >= 5, run.reply
    assert run.reply["needs_a_person"] == [] and run.reply["errors"] == 0, run.reply
    assert run.reply["fixed"] == 0, run.reply


CASES = {
    c.sample: c
    for c in (
        Case("CartFunction", "cart/list-products.json", prep_list_products, check_list_products),
        Case("CartFunction", "cart/get-cart.json", prep_get_cart, check_get_cart),
        Case("CartFunction", "cart/put-cart-item.json", prep_put_cart_item, check_put_cart_item),
        Case("CartFunction", "cart/delete-cart-item.json", prep_delete_cart_item, check_delete_cart_item),
        Case("CreateOrderFunction", "create_order/create-order.json", prep_create_order, check_create_order),
        Case(
            "CompleteFunction",
            "complete/complete-payment.json",
            prep_complete_payment,
            check_complete_payment,
        ),
        Case(
            "CompleteFunction",
            "complete/payment-redirect.json",
            prep_payment_redirect,
            check_payment_redirect,
        ),
        Case(
            "CompleteFunction",
            "complete/payment-redirect-failed.json",
            prep_payment_redirect_failed,
            check_payment_redirect_failed,
        ),
        Case("OrdersFunction", "orders/get-order.json", prep_get_order, check_get_order),
        Case("OrdersFunction", "orders/list-orders.json", prep_list_orders, check_list_orders),
        Case("OrdersFunction", "orders/get-points.json", prep_get_points, check_get_points),
        Case("RefundFunction", "refund/cancel-order.json", prep_cancel_order, check_cancel_order),
        Case("RefundFunction", "refund/refund-order.json", prep_refund_order, check_refund_order),
        Case("WebhookFunction", "webhook/webhook-json.json", prep_webhook_json, check_webhook_json),
        Case("WebhookFunction", "webhook/webhook-form-base64.json", prep_webhook_form, check_webhook_form),
        Case("ReconcileFunction", "reconcile/scheduled-sweep.json", prep_scheduled, check_sweep),
        Case("AuditFunction", "audit/scheduled-audit.json", prep_audit, check_audit),
    )
}

SCHEDULED = {"ReconcileFunction", "AuditFunction"}
_SITE_URL: list[str] = []


def shop_site_url() -> str:
    return _SITE_URL[0]


@pytest.fixture(scope="module")
def work() -> Iterator[pathlib.Path]:
    with tempfile.TemporaryDirectory(prefix="sam-local-") as tmp:
        yield pathlib.Path(tmp)


@pytest.fixture(scope="module")
def shop() -> Iterator[Shop]:
    # The sandbox listens beyond loopback: the containers reach it (and DynamoDB Local) as CONTAINER_HOST.
    stack = LocalStack(sandbox_host="0.0.0.0", function_log=lambda _f, _l: None).start()  # noqa: S104
    try:
        _SITE_URL[:] = [stack.web_url]
        sandbox = SandboxControl(stack.sandbox_url)
        # Notifications would let the in-process functions apply payments before the containers do.
        sandbox.configure(webhook_drop=True)
        state = HttpState(stack, id_prefix="sam")
        state.put_product(PRODUCT, "화이트 티셔츠 M", PRICE, 1000)
        yield Shop(stack, state, sandbox)
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def sam(shop: Shop, work: pathlib.Path) -> Iterator[SamLocal]:
    stack = shop.stack
    env_vars = env_vars_file(
        work,
        ddb_port=int(stack.ddb_endpoint.rsplit(":", 1)[1]),
        sandbox_port=int(stack.sandbox_url.rsplit(":", 1)[1]),
        api_url=stack.api_url,
        site_url=stack.web_url,
    )
    assert CONTAINER_HOST in env_vars.read_text()
    with podman_service(work) as docker_host:
        yield SamLocal(STATUS, docker_host, env_vars, work)


@pytest.fixture(scope="module")
def invocations(shop: Shop, sam: SamLocal) -> dict[str, Invocation]:
    """Every sample made real, then invoked with `sam local invoke`, a few containers at a time; the
    schedules (sweep, audit) last, over the books the other invocations wrote."""
    done: dict[str, Invocation] = {}
    for phase in (
        [n for n, c in CASES.items() if c.function_id not in SCHEDULED],
        [n for n, c in CASES.items() if c.function_id in SCHEDULED],
    ):
        events = {}
        for name in phase:
            function_dir, file_name = name.split("/")
            events[name] = CASES[name].prepare(shop, sample_event(function_dir, file_name), CASES[name].facts)
        with ThreadPoolExecutor(PARALLEL_INVOCATIONS) as pool:
            futures = {n: pool.submit(sam.invoke, CASES[n].function_id, e, n) for n, e in events.items()}
            done |= {name: future.result() for name, future in futures.items()}
    return done


def test_every_committed_event_has_a_case() -> None:
    committed = {f"{p.parent.name}/{p.name}" for p in (ROOT / "events").glob("*/*.json")}
    assert committed == set(CASES)


@pytest.mark.parametrize("sample", sorted(CASES))
def test_sam_local_invoke(sample: str, shop: Shop, invocations: dict[str, Invocation]) -> None:
    case = CASES[sample]
    run = invocations[sample]
    assert run.reply is not None, run.log
    case.check(shop, run, case.facts)


def test_the_docker_settings_work_through_the_docker_api(
    shop: Shop, sam: SamLocal, work: pathlib.Path
) -> None:
    """samconfig.toml's default (Docker) settings and env.local.json, through podman's Docker-compatible
    API. Only Docker's own `host-gateway` shortcut is replaced: podman does not know it, so
    host.docker.internal is mapped to the same host address explicitly."""
    stack = shop.stack
    env_vars = env_vars_file(
        work,
        ddb_port=int(stack.ddb_endpoint.rsplit(":", 1)[1]),
        sandbox_port=int(stack.sandbox_url.rsplit(":", 1)[1]),
        api_url=stack.api_url,
        site_url=stack.web_url,
        committed_name="env.local.json",
    )
    assert "host.docker.internal" in env_vars.read_text()
    facts: dict[str, Any] = {}
    event = prep_complete_payment(shop, sample_event("complete", "complete-payment.json"), facts)
    run = sam.invoke(
        "CompleteFunction",
        event,
        "complete/complete-payment.json",
        "--add-host",
        f"host.docker.internal:{podman_gateway()}",
        config_env="default",
        env_vars=env_vars,
    )
    assert run.reply is not None, run.log
    check_complete_payment(shop, run, facts)


PUBLIC_ROUTES = [
    ("GET", "/products", None, 200),
    # A redirect for an unknown payment still answers the browser with the result page.
    ("GET", "/payments/complete?imp_uid=imp_000000000000&merchant_uid=ord_unknown", None, 302),
    (
        "POST",
        "/iamport/webhook",
        {"imp_uid": "imp_000000000000", "merchant_uid": "ord_unknown", "status": "paid"},
        200,
    ),
]


def test_sam_local_start_api_answers_each_public_route(
    sam: SamLocal, invocations: dict[str, Invocation]
) -> None:
    with sam.start_api(free_port()) as url:
        for method, path, body, status in PUBLIC_ROUTES:
            reply = requests.request(
                method, f"{url}{path}", json=body, timeout=(3, 120), allow_redirects=False
            )
            assert reply.status_code == status, (
                f"{method} {path}: {reply.status_code} {reply.text}\n{sam.start_api_log()}"
            )
        products = requests.get(f"{url}/products", timeout=(3, 60)).json()["products"]
        assert PRODUCT in {p["product_id"] for p in products}
        # SAM local does not run JWT authorizers: a protected route reaches the function without claims,
        # and the function itself refuses it.
        reply = requests.get(f"{url}/cart", timeout=(3, 120))
        assert reply.status_code == 401, reply.text
