"""The services' rules on the in-memory ports (tests/support/memory.py) and the I'mport sandbox: no Java,
no DynamoDB. What needs the real engine (conditions under contention, races) is in tests/integration."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from checkout.config import Settings
from checkout.domain.status import OrderStatus
from checkout.domain.transitions import open_order
from checkout.errors import OutOfStock, TooManyOpenOrders
from checkout.gateway import Credentials, IamportV1Gateway, RetryPolicy
from checkout.inputs import RefundInput, WebhookInput
from checkout.services import Actor
from checkout.wiring import build_checkout
from tests.support.factories import an_order
from tests.support.memory import MemoryStore
from tests.support.shop import Clock, Shop

BUYER = Actor("u1")


@pytest.fixture
def shop(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    metrics: list[str] = []
    monkeypatch.setattr(
        "checkout.observability.metrics.add_metric",
        lambda name, unit=None, value=1, **_: metrics.extend([name] * int(value)),
    )
    tables = ("PRODUCTS_TABLE", "CARTS_TABLE", "ORDERS_TABLE", "POINTS_TABLE", "IDEMPOTENCY_TABLE")
    settings = Settings.from_env(
        {
            **{name: "memory" for name in tables},
            "IAMPORT_BASE_URL": sandbox.url,
            "IAMPORT_API_KEY": sandbox.imp_key,
            "IAMPORT_API_SECRET": sandbox.imp_secret,
            "PUBLIC_API_URL": "https://api.shop.test",
            "SITE_URL": "https://shop.test",
        }
    )
    store = MemoryStore()
    gateway = IamportV1Gateway(
        Credentials(sandbox.imp_key, sandbox.imp_secret), base_url=sandbox.url, retry=RetryPolicy(attempts=2)
    )
    clock = Clock()
    checkout = build_checkout(settings, store=store, gateway=gateway, clock=clock)  # type: ignore[arg-type]
    yield Shop(checkout, store, settings, gateway, sandbox, clock, metrics)  # type: ignore[arg-type]


def test_an_order_holds_stock_and_points_and_the_owners_failed_attempt_gives_them_back(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    shop.grant("u1", 5_000)
    order = shop.order_for("u1", {"mug": 2}, points=4_000).order
    assert shop.stock("mug") == 3 and shop.balance("u1") == (1_000, 4_000) and shop.cart("u1") == {}

    failed = shop.sandbox.control.fail(order.merchant_uid, order.amount)
    done = shop.checkout.complete_payment(failed["imp_uid"], order.merchant_uid, BUYER)

    assert done.status is OrderStatus.FAILED
    assert shop.stock("mug") == 5 and shop.balance("u1") == (5_000, 0) and shop.cart("u1") == {"mug": 2}


def test_a_paid_order_earns_points_once_and_a_second_payment_is_refunded(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    order = shop.order_for("u1", {"mug": 1}).order
    paid = shop.sandbox.control.pay(order.merchant_uid, order.amount)

    first = shop.checkout.complete_payment(paid["imp_uid"], order.merchant_uid, BUYER)
    note = WebhookInput(imp_uid=paid["imp_uid"], merchant_uid=order.merchant_uid, status="paid")
    again = shop.checkout.handle_webhook(note)

    assert first.status is OrderStatus.PAID and again is not None and again.version == first.version
    assert shop.balance("u1") == (120, 0) and shop.metrics.count("PaymentsVerified") == 1
    second = shop.sandbox.control.pay(order.merchant_uid, order.amount, force=True)
    after = shop.checkout.complete_payment(second["imp_uid"], order.merchant_uid)
    assert [(s.imp_uid, s.reason) for s in after.stray_payments] == [(second["imp_uid"], "duplicate")]
    assert shop.gateway.get_payment(second["imp_uid"]).status == "cancelled"


def test_refunds_by_line_then_the_rest_bring_stock_back_and_cancel_the_order(shop: Shop) -> None:
    shop.add_product("mug", 10_000, 5)
    shop.add_product("tee", 20_000, 5)
    order = shop.order_for("u1", {"mug": 2, "tee": 1}).order
    paid = shop.sandbox.control.pay(order.merchant_uid, order.amount)
    shop.checkout.complete_payment(paid["imp_uid"], order.merchant_uid, BUYER)

    part = shop.checkout.refund(
        BUYER,
        order.merchant_uid,
        RefundInput(reason="broken", lines=[{"product_id": "mug", "quantity": 1}]),
        None,
    )
    assert part.status is OrderStatus.PARTIALLY_CANCELLED and part.cash_refunded == 10_000
    rest = shop.checkout.refund(BUYER, order.merchant_uid, RefundInput(reason="changed my mind"), None)

    assert rest.status is OrderStatus.CANCELLED and rest.cash_refunded == 40_000
    assert shop.stock("mug") == 5 and shop.stock("tee") == 5
    payment = shop.gateway.get_payment(paid["imp_uid"])
    assert payment.status == "cancelled" and [c.amount for c in payment.cancel_history] == [10_000, 30_000]


def test_the_open_order_limit_counts_and_frees_places(shop: Shop) -> None:
    shop.add_product("mug", 1_000, 50)
    orders = [shop.order_for("u1", {"mug": 1}).order for _ in range(3)]
    with pytest.raises(TooManyOpenOrders):
        shop.order_for("u1", {"mug": 1})
    shop.checkout.cancel_order(BUYER, orders[0].merchant_uid)
    assert shop.order_for("u1", {"mug": 1}).order.status is OrderStatus.READY


def test_a_refused_transition_changes_nothing(shop: Shop) -> None:
    """The in-memory store checks every condition before it writes, as one DynamoDB transaction does."""
    shop.add_product("mug", 10_000, 5)
    shop.add_product("tee", 5_000, 0)  # the order's second line cannot be reserved
    shop.grant("u1", 5_000)
    shop.checkout.put_cart_item("u1", "mug", 2)
    shop.store.carts.put_item("u1", "tee", 1, shop.clock())

    with pytest.raises(OutOfStock):
        shop.store.orders.apply(open_order(an_order()))

    assert shop.stock("mug") == 5 and shop.cart("u1") == {"mug": 2, "tee": 1}
    assert shop.balance("u1") == (5_000, 0) and shop.store.orders.get("ord_1") is None
