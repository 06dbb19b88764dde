"""The functions on their sample events with the real facade: DynamoDB tables created from
template.yaml (moto) and the I'mport sandbox. Races and conditions are the integration suite's job
(DynamoDB Local); here the point is that each handler drives the real use case end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto import mock_aws

from local.tables import local_table_names, table_definitions, table_env
from tests.support.api_harness import BUYER, LambdaContext, invoke, load_function, sample_event

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

PRODUCT = "tee-white-m"  # the product in the sample events
PRICE = 19000
WELCOME_POINTS = 5000


class Shop:
    """The deployed functions, one module each, sharing the tables and the sandbox."""

    def __init__(self, sandbox: Any, functions: dict[str, Any]) -> None:
        self.sandbox = sandbox
        self.functions = functions

    def call(self, function: str, event: dict[str, Any]):
        return invoke(self.functions[function], event)

    def order_from_cart(self, quantity: int = 2) -> dict[str, Any]:
        """The buyer puts the product in the cart and checks out (sample events)."""
        put = sample_event("cart/put-cart-item.json")
        put["body"] = json.dumps({"quantity": quantity})
        assert self.call("cart", put).status == 200
        reply = self.call("create_order", sample_event("create_order/create-order.json"))
        assert reply.status == 201, reply.body
        return reply.body

    def pay_at_iamport(self, payment: dict[str, Any]) -> str:
        """The buyer pays in I'mport's window (the sandbox plays it); returns the imp_uid."""
        return self.sandbox.control.pay(payment["merchant_uid"], payment["amount"])["imp_uid"]


@pytest.fixture(scope="module")
def functions() -> dict[str, Any]:
    # Like warm Lambda containers: modules stay loaded, each test gets a fresh facade (cache cleared).
    return {
        name: load_function(name)
        for name in ("cart", "create_order", "complete", "webhook", "orders", "refund", "reconcile")
    }


@pytest.fixture
def shop(sandbox, functions, monkeypatch) -> Iterator[Shop]:
    from checkout.config import load_settings
    from checkout.domain.order import Product
    from checkout.store import build_store
    from checkout.wiring import get_checkout

    names = local_table_names()
    for key, value in table_env(names).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("IAMPORT_BASE_URL", sandbox.url)
    monkeypatch.setenv("IAMPORT_API_KEY", sandbox.imp_key)
    monkeypatch.setenv("IAMPORT_API_SECRET", sandbox.imp_secret)
    load_settings.cache_clear()
    get_checkout.cache_clear()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="ap-northeast-2")
        for lid, args in table_definitions().items():
            client.create_table(TableName=names[lid], **args)
        store = build_store(load_settings())
        store.catalog.put_product(Product(PRODUCT, "화이트 티셔츠 M", PRICE, 10))
        store.points.grant(BUYER, WELCOME_POINTS, "welcome-test", datetime.now(UTC))
        yield Shop(sandbox, functions)
    get_checkout.cache_clear()
    load_settings.cache_clear()


def _frozen_clock(monkeypatch, moment: datetime) -> None:
    """Move the facade's clock (checkout.wiring.utc_now reads `datetime.now`)."""
    import checkout.wiring

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return moment

    monkeypatch.setattr(checkout.wiring, "datetime", Clock)


def test_cart_handler_lists_products_and_edits_the_cart(shop):
    products = shop.call("cart", sample_event("cart/list-products.json"))
    assert products.status == 200
    assert products.body["products"] == [
        {"product_id": PRODUCT, "name": "화이트 티셔츠 M", "price": PRICE, "stock": 10}
    ]
    put = shop.call("cart", sample_event("cart/put-cart-item.json"))
    assert put.status == 200 and put.body["total"] == 2 * PRICE
    assert shop.call("cart", sample_event("cart/get-cart.json")).body == put.body
    deleted = shop.call("cart", sample_event("cart/delete-cart-item.json"))
    assert deleted.status == 200 and deleted.body["items"] == []


def test_putting_an_unknown_product_in_the_cart_is_404(shop):
    event = sample_event("cart/put-cart-item.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/cart/items/no-such-product"
    event["pathParameters"] = {"product_id": "no-such-product"}
    reply = shop.call("cart", event)
    assert reply.status == 404
    assert reply.error_code == "product_not_found"


def test_order_creation_returns_request_pay_params_and_passes_the_idempotency_key_through(shop):
    created = shop.order_from_cart()
    order, payment = created["order"], created["payment"]
    assert order["status"] == "ready"
    assert order["total"] == 2 * PRICE and order["points_used"] == 1000
    assert payment["amount"] == order["amount"] == 2 * PRICE - 1000
    assert payment["merchant_uid"] == order["merchant_uid"]
    assert payment["m_redirect_url"] == "https://api.example.test/payments/complete"
    again = shop.call("create_order", sample_event("create_order/create-order.json"))
    assert again.status == 201
    assert again.body["order"]["merchant_uid"] == order["merchant_uid"]


def test_order_from_an_empty_cart_is_a_400_empty_cart(shop):
    reply = shop.call("create_order", sample_event("create_order/create-order.json"))
    assert reply.status == 400
    assert reply.error_code == "empty_cart"


def test_browser_completion_verifies_the_payment_at_iamport(shop):
    payment = shop.order_from_cart()["payment"]
    imp_uid = shop.pay_at_iamport(payment)
    event = sample_event("complete/complete-payment.json")
    event["body"] = json.dumps({"imp_uid": imp_uid, "merchant_uid": payment["merchant_uid"]})
    reply = shop.call("complete", event)
    assert reply.status == 200
    assert reply.body["order"]["status"] == "paid"
    assert reply.body["order"]["imp_uid"] == imp_uid


def test_redirect_completion_sends_the_buyer_to_the_result_page(shop):
    payment = shop.order_from_cart()["payment"]
    imp_uid = shop.pay_at_iamport(payment)
    event = sample_event("complete/payment-redirect.json")
    event["queryStringParameters"] = {
        "imp_uid": imp_uid,
        "merchant_uid": payment["merchant_uid"],
        "imp_success": "true",
    }
    reply = shop.call("complete", event)
    assert reply.status == 302
    query = parse_qs(urlsplit(reply.headers["location"]).query)
    assert query == {"merchant_uid": [payment["merchant_uid"]], "status": ["paid"]}


def test_redirect_for_an_unknown_order_still_redirects(shop):
    reply = shop.call("complete", sample_event("complete/payment-redirect.json"))
    assert reply.status == 302
    query = parse_qs(urlsplit(reply.headers["location"]).query)
    assert query == {"merchant_uid": [query["merchant_uid"][0]], "status": ["error"]}


def test_webhook_for_an_unknown_order_is_acknowledged(shop):
    reply = shop.call("webhook", sample_event("webhook/webhook-json.json"))
    assert reply.status == 200
    assert reply.body == {"status": "ignored", "reason": "unknown_order"}


def test_webhook_settles_a_paid_order(shop):
    payment = shop.order_from_cart()["payment"]
    imp_uid = shop.pay_at_iamport(payment)
    event = sample_event("webhook/webhook-json.json")
    event["body"] = json.dumps(
        {"imp_uid": imp_uid, "merchant_uid": payment["merchant_uid"], "status": "paid"}
    )
    reply = shop.call("webhook", event)
    assert reply.status == 200
    assert reply.body["order_status"] == "paid"


def test_orders_handler_shows_only_the_buyers_own_orders_and_points(shop):
    merchant_uid = shop.order_from_cart()["order"]["merchant_uid"]
    listed = shop.call("orders", sample_event("orders/list-orders.json"))
    assert listed.status == 200
    assert [o["merchant_uid"] for o in listed.body["orders"]] == [merchant_uid]
    own = sample_event("orders/get-order.json")
    own["rawPath"] = own["requestContext"]["http"]["path"] = f"/orders/{merchant_uid}"
    own["pathParameters"] = {"merchant_uid": merchant_uid}
    assert shop.call("orders", own).body["order"]["merchant_uid"] == merchant_uid
    someone_else = json.loads(json.dumps(own))
    someone_else["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = "another-buyer"
    reply = shop.call("orders", someone_else)
    assert reply.status == 404
    assert reply.error_code == "order_not_found"
    points = shop.call("orders", sample_event("orders/get-points.json"))
    assert points.body["available"] == WELCOME_POINTS - 1000 and points.body["held"] == 1000


def test_points_ledger_is_paged_newest_first_and_a_cursor_serves_its_own_buyer_only(shop):
    merchant_uid = shop.order_from_cart()["order"]["merchant_uid"]  # holds 1000 points after the grant
    first_event = sample_event("orders/get-points.json")
    first_event["queryStringParameters"] = {"limit": "1"}
    first = shop.call("orders", first_event)
    assert first.status == 200, first.body
    assert [(e["kind"], e["merchant_uid"]) for e in first.body["ledger"]] == [("hold", merchant_uid)]
    assert first.body["next_cursor"]

    older_event = sample_event("orders/get-points.json")
    older_event["queryStringParameters"] = {"limit": "1", "cursor": first.body["next_cursor"]}
    older = shop.call("orders", older_event)
    assert older.status == 200, older.body
    assert [(e["kind"], e["merchant_uid"]) for e in older.body["ledger"]] == [("grant", "welcome-test")]
    assert older.body["next_cursor"] is None

    someone_else = json.loads(json.dumps(older_event))
    someone_else["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = "another-buyer"
    refused = shop.call("orders", someone_else)
    assert refused.status == 400
    assert refused.error_code == "invalid_cursor"
    garbage = json.loads(json.dumps(older_event))
    garbage["queryStringParameters"]["cursor"] = "not-a-cursor"
    assert shop.call("orders", garbage).error_code == "invalid_cursor"


def test_refund_handler_refunds_one_line_through_iamport(shop):
    payment = shop.order_from_cart(quantity=2)["payment"]
    imp_uid = shop.pay_at_iamport(payment)
    complete = sample_event("complete/complete-payment.json")
    complete["body"] = json.dumps({"imp_uid": imp_uid, "merchant_uid": payment["merchant_uid"]})
    assert shop.call("complete", complete).body["order"]["status"] == "paid"
    event = sample_event("refund/refund-order.json")
    path = f"/orders/{payment['merchant_uid']}/refund"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["pathParameters"] = {"merchant_uid": payment["merchant_uid"]}
    reply = shop.call("refund", event)
    assert reply.status == 200, reply.body
    assert reply.body["order"]["status"] == "partially_cancelled"
    assert reply.body["order"]["refunds"][0]["lines"] == [{"product_id": PRODUCT, "quantity": 1}]


def test_refund_of_someone_elses_paid_order_is_404_and_refunds_nothing(shop):
    payment = shop.order_from_cart()["payment"]
    merchant_uid = payment["merchant_uid"]
    imp_uid = shop.pay_at_iamport(payment)
    complete = sample_event("complete/complete-payment.json")
    complete["body"] = json.dumps({"imp_uid": imp_uid, "merchant_uid": merchant_uid})
    assert shop.call("complete", complete).body["order"]["status"] == "paid"
    event = sample_event("refund/refund-order.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/orders/{merchant_uid}/refund"
    event["pathParameters"] = {"merchant_uid": merchant_uid}
    event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = "another-buyer"
    reply = shop.call("refund", event)
    assert reply.status == 404
    assert reply.error_code == "order_not_found"
    (stored,) = [p for p in shop.sandbox.control.payments() if p["imp_uid"] == imp_uid]
    assert stored["cancel_amount"] == 0


def test_sweeper_settles_an_order_whose_payment_was_never_reported(shop, monkeypatch):
    payment = shop.order_from_cart()["payment"]
    shop.pay_at_iamport(payment)  # paid, but the browser never came back and no webhook arrived
    _frozen_clock(monkeypatch, datetime.now(UTC) + timedelta(minutes=31))
    report = shop.functions["reconcile"].lambda_handler(
        sample_event("reconcile/scheduled-sweep.json"), LambdaContext()
    )
    assert report["examined"] == 1 and report["paid"] == 1 and report["errors"] == 0
    listed = shop.call("orders", sample_event("orders/list-orders.json"))
    assert listed.body["orders"][0]["status"] == "paid"
