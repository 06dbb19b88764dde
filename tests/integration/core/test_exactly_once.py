"""Exactly once on the real engine: concurrent callers, one outcome (DynamoDB Local + sandbox)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from checkout.domain.status import OrderStatus
from checkout.errors import CheckoutError, OutOfStock, RequestInProgress
from checkout.inputs import RefundInput, WebhookInput
from checkout.services import Actor
from tests.support.shop import Shop, order_input

pytestmark = pytest.mark.integration


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls from as many threads, released together; results or raised exceptions."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        start.wait()
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_ten_concurrent_reports_of_one_payment_pay_the_order_once(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 10)
    shop.grant("u1", 5_000)
    order = shop.order_for("u1", {"mug": 3}, points=5_000).order  # 36000 total, 31000 cash
    paid = shop.sandbox.control.pay(order.merchant_uid, order.amount)
    note = WebhookInput(imp_uid=paid["imp_uid"], merchant_uid=order.merchant_uid, status="paid")
    calls: list[Callable[[], Any]] = []
    for i in range(10):
        if i % 3 == 0:
            calls.append(lambda: shop.checkout.handle_webhook(note))
        elif i % 3 == 1:
            calls.append(lambda: shop.checkout.complete_payment(paid["imp_uid"], order.merchant_uid))
        else:
            calls.append(lambda: shop.checkout.complete_payment(None, order.merchant_uid))

    results = race(calls)

    assert all(not isinstance(r, Exception) for r in results), results
    final = shop.store.orders.get(order.merchant_uid)
    assert final.status is OrderStatus.PAID
    assert final.version == order.version + 1  # exactly one transition
    assert {(r.status, r.version) for r in results} == {(OrderStatus.PAID, final.version)}
    ledger = shop.ledger("u1")
    assert [e.kind.value for e in ledger].count("earn") == 1
    assert [e.kind.value for e in ledger].count("use") == 1
    assert shop.balance("u1") == (310, 0)  # 5000 - 5000 held and spent once, + 1 % of 31000 once
    assert shop.stock("mug") == 7
    assert shop.metrics.count("PaymentsVerified") == 1
    assert shop.metrics.count("DuplicateDelivery") == 9


def test_concurrent_duplicates_of_one_idempotency_key_create_one_order(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 10)
    shop.checkout.put_cart_item("u1", "mug", 2)

    results = race([lambda: shop.checkout.create_order("u1", order_input(), "same-key") for _ in range(8)])

    created = [r for r in results if not isinstance(r, Exception)]
    assert all(isinstance(r, RequestInProgress) for r in results if isinstance(r, Exception)), results
    assert created and len({c.order.merchant_uid for c in created}) == 1
    assert len({tuple(sorted(c.payment.items())) for c in created}) == 1
    assert len(shop.checkout.list_orders("u1", 50, None).orders) == 1
    assert shop.stock("mug") == 8


def test_two_buyers_racing_for_the_last_unit_one_wins(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 1, name="Mug")
    for user in ("u1", "u2", "u3", "u4"):
        shop.checkout.put_cart_item(user, "mug", 1)

    results = race(
        [
            lambda u=user: shop.checkout.create_order(u, order_input(), None)
            for user in ("u1", "u2", "u3", "u4")
        ]
    )

    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(r, OutOfStock) and "Mug" in r.message for r in results if isinstance(r, Exception))
    assert shop.stock("mug") == 0
    losers = {"u1", "u2", "u3", "u4"} - {winners[0].order.user_id}
    assert all(shop.cart(u) == {"mug": 1} for u in losers)


def test_concurrent_refunds_never_pay_out_more_cash_than_was_paid(shop: Shop) -> None:
    shop.add_product("mug", 10_000, 10)
    order = shop.order_for("u1", {"mug": 3}).order
    paid = shop.sandbox.control.pay(order.merchant_uid, order.amount)
    shop.checkout.complete_payment(paid["imp_uid"], order.merchant_uid)
    one_mug = RefundInput.model_validate(
        {"reason": "broken", "lines": [{"product_id": "mug", "quantity": 2}]}
    )

    results = race(
        [lambda: shop.checkout.refund(Actor("u1"), order.merchant_uid, one_mug, None) for _ in range(6)]
    )

    assert all(isinstance(r, CheckoutError) for r in results if isinstance(r, Exception)), results
    final = shop.store.orders.get(order.merchant_uid)
    payment = shop.gateway.get_payment(paid["imp_uid"])
    refunded = sum(r.amount for r in final.refunds)
    assert refunded == payment.cancel_amount <= 30_000
    assert len(final.refunds) == 1  # 2 of 3 mugs: a second such refund exceeds what remains
    assert final.pending_refund is None
    assert shop.stock("mug") == 10 - 3 + 2


def test_expiry_racing_a_payment_either_pays_or_refunds_never_keeps_money_on_an_expired_order(
    shop: Shop,
) -> None:
    from datetime import timedelta

    shop.add_product("mug", 12_000, 5)
    shop.grant("u1", 1_000)
    order = shop.order_for("u1", {"mug": 1}, points=1_000).order
    paid = shop.sandbox.control.pay(order.merchant_uid, order.amount)
    shop.clock.advance(timedelta(minutes=31))

    race(
        [
            lambda: shop.checkout.sweep(),
            lambda: shop.checkout.complete_payment(paid["imp_uid"], order.merchant_uid),
        ]
    )

    final = shop.checkout.complete_payment(paid["imp_uid"], order.merchant_uid)
    payment = shop.gateway.get_payment(paid["imp_uid"])
    if final.status is OrderStatus.PAID:
        assert payment.status == "paid" and shop.stock("mug") == 4 and shop.balance("u1") == (110, 0)
    else:
        assert final.status is OrderStatus.EXPIRED and payment.status == "cancelled"
        assert shop.stock("mug") == 5 and shop.balance("u1") == (1_000, 0)
