"""The refund saga on DynamoDB Local + the sandbox: cash first, points after, never twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from checkout.domain.status import OrderStatus
from checkout.errors import (
    BadRequest,
    OrderNotFound,
    OrderStateConflict,
    RefundExceedsRemaining,
    ValidationFailed,
)
from checkout.inputs import RefundInput
from checkout.services import Actor
from checkout.wiring import build_checkout
from tests.support.shop import Shop

pytestmark = pytest.mark.integration

BUYER = Actor("u1")


def refund_input(lines: dict[str, int] | None = None, **extra: Any) -> RefundInput:
    body: dict[str, Any] = {"reason": "changed my mind", **extra}
    if lines is not None:
        body["lines"] = [{"product_id": p, "quantity": q} for p, q in lines.items()]
    return RefundInput.model_validate(body)


@pytest.fixture
def paid(shop: Shop):
    """mug 10000 x2 + tee 5000 x1 = 25000; 5000 in points, 20000 cash; 200 points earned."""
    shop.add_product("mug", 10_000, 5, name="Mug")
    shop.add_product("tee", 5_000, 5, name="Tee")
    shop.grant("u1", 5_000)
    order = shop.order_for("u1", {"mug": 2, "tee": 1}, points=5_000).order
    payment = shop.sandbox.control.pay(order.merchant_uid, order.amount)
    return shop.checkout.complete_payment(payment["imp_uid"], order.merchant_uid)


def test_partial_refund_returns_cash_first_and_restores_the_lines_stock(shop: Shop, paid) -> None:
    order = shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"mug": 1}), None)

    assert order.status is OrderStatus.PARTIALLY_CANCELLED
    (refund,) = order.refunds
    assert (refund.amount, refund.points, refund.clawback) == (10_000, 0, 100)
    assert order.line("mug").refunded_quantity == 1
    assert order.pending_refund is None and order.sweep_at() is None
    payment = shop.gateway.get_payment(paid.imp_uid)
    assert payment.cancel_amount == 10_000 and payment.status == "paid"
    assert shop.stock("mug") == 4 and shop.stock("tee") == 4
    assert shop.balance("u1") == (200 - 100, 0)
    assert shop.metrics.count("RefundsIssued") == 1


def test_refunding_the_rest_returns_remaining_cash_then_points_and_cancels(shop: Shop, paid) -> None:
    shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"mug": 1}), None)
    shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"mug": 1}), None)  # 10000: cash runs out

    order = shop.checkout.refund(BUYER, paid.merchant_uid, refund_input(), None)

    assert order.status is OrderStatus.CANCELLED
    assert [(r.amount, r.points, r.clawback) for r in order.refunds] == [
        (10_000, 0, 100),
        (10_000, 0, 100),
        (0, 5_000, 0),
    ]
    assert shop.gateway.get_payment(paid.imp_uid).status == "cancelled"
    assert shop.stock("mug") == 5 and shop.stock("tee") == 5
    assert shop.balance("u1") == (5_000, 0)
    assert shop.ledger_kinds("u1") == ["clawback", "clawback", "earn", "grant", "hold", "refund_use", "use"]


def test_clawback_may_take_the_balance_below_zero(shop: Shop, paid) -> None:
    # The 200 earned points are already held by another order when a cash-only refund claws 100 back.
    other = shop.order_for("u1", {"tee": 1}, points=200).order
    assert shop.balance("u1") == (0, 200) and other.points_used == 200

    shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"mug": 1}), None)

    assert shop.balance("u1") == (-100, 200)


def test_refunding_more_than_remains_is_a_conflict(shop: Shop, paid) -> None:
    shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"mug": 2}), None)
    with pytest.raises(RefundExceedsRemaining):
        shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"mug": 1}), None)
    assert shop.gateway.get_payment(paid.imp_uid).cancel_amount == 20_000


def test_an_unpaid_order_cannot_be_refunded(shop: Shop) -> None:
    shop.add_product("mug", 10_000, 5)
    order = shop.order_for("u1", {"mug": 1}).order
    with pytest.raises(OrderStateConflict):
        shop.checkout.refund(BUYER, order.merchant_uid, refund_input(), None)


def test_an_unknown_line_is_a_bad_request(shop: Shop, paid) -> None:
    with pytest.raises(BadRequest) as refused:
        shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"cap": 1}), None)
    assert refused.value.code == "unknown_order_line"


def test_someone_elses_order_is_not_found_but_an_admin_may_refund_it(shop: Shop, paid) -> None:
    with pytest.raises(OrderNotFound):
        shop.checkout.refund(Actor("intruder"), paid.merchant_uid, refund_input(), None)
    order = shop.checkout.refund(Actor("ops", is_admin=True), paid.merchant_uid, refund_input(), None)
    assert order.status is OrderStatus.CANCELLED


def test_a_paid_virtual_account_order_needs_a_refund_account(shop: Shop) -> None:
    shop.add_product("mug", 10_000, 5)
    created = shop.order_for("u1", {"mug": 1}, pay_method="vbank")
    m = created.order.merchant_uid
    issued = shop.sandbox.control.issue_vbank(m, 10_000, vbank_due=created.payment["vbank_due"])
    shop.checkout.complete_payment(issued["imp_uid"], m)
    shop.sandbox.control.deposit(issued["imp_uid"])
    shop.checkout.complete_payment(issued["imp_uid"], m)

    with pytest.raises(BadRequest) as refused:
        shop.checkout.refund(BUYER, m, refund_input(), None)
    assert refused.value.code == "refund_account_required"

    account = {"holder": "홍길동", "bank": "88", "number": "110-123-456789"}
    order = shop.checkout.refund(BUYER, m, refund_input(refund_account=account), None)
    assert order.status is OrderStatus.CANCELLED


def test_an_all_points_order_is_refunded_without_iamport(shop: Shop) -> None:
    shop.add_product("mug", 10_000, 5)
    shop.grant("u1", 10_000)
    order = shop.order_for("u1", {"mug": 1}, points=10_000).order

    refunded = shop.checkout.refund(BUYER, order.merchant_uid, refund_input(), None)

    assert refunded.status is OrderStatus.CANCELLED
    assert shop.balance("u1") == (10_000, 0) and shop.stock("mug") == 5


def test_same_key_returns_the_finished_refund_and_another_body_is_unprocessable(shop: Shop, paid) -> None:
    first = shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"mug": 1}), "r-1")
    again = shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"mug": 1}), "r-1")

    assert again.refunds == first.refunds and len(again.refunds) == 1
    assert shop.gateway.get_payment(paid.imp_uid).cancel_amount == 10_000
    with pytest.raises(ValidationFailed):
        shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"tee": 1}), "r-1")


class CrashAfterCancel:
    """The gateway, except that the process 'dies' right after I'mport accepted the cancel."""

    def __init__(self, gateway: Any) -> None:
        self._gateway = gateway
        self.cancels = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)

    def cancel(self, **kwargs: Any) -> Any:
        self.cancels += 1
        self._gateway.cancel(**kwargs)
        raise TimeoutError("the function died before recording the refund")


def test_a_retry_after_a_crash_between_cancel_and_record_does_not_cancel_again(shop: Shop, paid) -> None:
    crashing = build_checkout(
        shop.settings, store=shop.store, gateway=CrashAfterCancel(shop.gateway), clock=shop.clock
    )
    with pytest.raises(TimeoutError):
        crashing.refund(BUYER, paid.merchant_uid, refund_input({"mug": 1}), "r-1")
    stuck = shop.store.orders.get(paid.merchant_uid)
    assert stuck.pending_refund is not None and stuck.sweep_at() is not None
    # Right away, the first request may still be talking to I'mport: the retry must not run beside it.
    from checkout.errors import RequestInProgress

    with pytest.raises(RequestInProgress):
        shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"mug": 1}), "r-1")
    shop.clock.advance(timedelta(minutes=2))  # longer than any request lives: that one died

    order = shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"mug": 1}), "r-1")

    assert order.status is OrderStatus.PARTIALLY_CANCELLED and order.pending_refund is None
    payment = shop.gateway.get_payment(paid.imp_uid)
    assert payment.cancel_amount == 10_000 and len(payment.cancel_history) == 1
    assert order.refunds[0].cancellation_id == payment.cancel_history[0].cancellation_id
    assert shop.stock("mug") == 4


def test_the_sweeper_finishes_a_refund_whose_request_died(shop: Shop, paid) -> None:
    crashing = build_checkout(
        shop.settings, store=shop.store, gateway=CrashAfterCancel(shop.gateway), clock=shop.clock
    )
    with pytest.raises(TimeoutError):
        crashing.refund(BUYER, paid.merchant_uid, refund_input(), None)

    assert shop.checkout.sweep().refunds_resumed == 0  # too fresh: its request may still be running
    shop.clock.advance(timedelta(minutes=2))
    report = shop.checkout.sweep()

    assert report.refunds_resumed == 1 and report.errors == 0
    order = shop.store.orders.get(paid.merchant_uid)
    assert order.status is OrderStatus.CANCELLED and order.pending_refund is None
    assert len(shop.gateway.get_payment(paid.imp_uid).cancel_history) == 1
    assert shop.balance("u1") == (5_000, 0)


def test_a_refund_whose_cancel_never_reached_iamport_is_cancelled_on_resume(shop: Shop, paid) -> None:
    class Unreachable:
        def __getattr__(self, name: str) -> Any:
            return getattr(shop.gateway, name)

        def cancel(self, **kwargs: Any) -> Any:
            from checkout.errors import GatewayUnavailable

            raise GatewayUnavailable("I'mport unreachable")

    broken = build_checkout(shop.settings, store=shop.store, gateway=Unreachable(), clock=shop.clock)
    from checkout.errors import GatewayUnavailable

    with pytest.raises(GatewayUnavailable):
        broken.refund(BUYER, paid.merchant_uid, refund_input({"tee": 1}), "r-9")

    shop.clock.advance(timedelta(minutes=2))  # the failed request is over: its retry may resume it
    order = shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"tee": 1}), "r-9")

    assert [r.amount for r in order.refunds] == [5_000]
    assert shop.gateway.get_payment(paid.imp_uid).cancel_amount == 5_000


def test_a_pending_refund_overtaken_by_a_console_cancel_is_dropped_so_both_can_be_recorded(
    shop: Shop, paid
) -> None:
    from checkout.errors import GatewayUnavailable, RefundRejected
    from checkout.inputs import WebhookInput

    class Unreachable:
        def __getattr__(self, name: str) -> Any:
            return getattr(shop.gateway, name)

        def cancel(self, **kwargs: Any) -> Any:
            raise GatewayUnavailable("I'mport unreachable")

    broken = build_checkout(shop.settings, store=shop.store, gateway=Unreachable(), clock=shop.clock)
    with pytest.raises(GatewayUnavailable):
        broken.refund(BUYER, paid.merchant_uid, refund_input({"mug": 1}), "r-7")  # 10000 never sent
    shop.sandbox.control.console_cancel(paid.imp_uid, amount=3_000)  # the shop refunds 3000 by hand

    # The intent's checksum (20000) is stale now, and its cash provably never left: drop it.
    shop.clock.advance(timedelta(minutes=2))
    with pytest.raises(RefundRejected):
        shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"mug": 1}), "r-7")
    assert shop.store.orders.get(paid.merchant_uid).pending_refund is None

    note = WebhookInput(imp_uid=paid.imp_uid, merchant_uid=paid.merchant_uid, status="cancelled")
    assert [r.amount for r in shop.checkout.handle_webhook(note).refunds] == [3_000]
    order = shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"mug": 1}), "r-8")
    assert [r.amount for r in order.refunds] == [3_000, 10_000]
    assert shop.gateway.get_payment(paid.imp_uid).cancel_amount == 13_000
    assert shop.stock("mug") == 4
