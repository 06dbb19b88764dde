"""reconcile: one decision per payment, applied once, whatever reports it (DynamoDB Local + sandbox)."""

from __future__ import annotations

import pytest

from checkout.domain.status import OrderStatus
from checkout.errors import BadRequest
from checkout.inputs import WebhookInput
from checkout.services import Actor
from tests.support.shop import Shop

OWNER = Actor("u1")  # the buyer's own, signed-in report: the only one a failure may end the order on

pytestmark = pytest.mark.integration


@pytest.fixture
def placed(shop: Shop):
    shop.add_product("mug", 12_000, 5, name="Mug")
    shop.grant("u1", 5_000)
    return shop.order_for("u1", {"mug": 2}, points=4_000).order  # total 24000, cash 20000


def test_verified_payment_pays_the_order_commits_points_and_earns(shop: Shop, placed) -> None:
    paid = shop.sandbox.control.pay(placed.merchant_uid, placed.amount)

    order = shop.checkout.complete_payment(paid["imp_uid"], placed.merchant_uid)

    assert order.status is OrderStatus.PAID
    assert order.imp_uid == paid["imp_uid"] and order.paid_at is not None
    assert order.points_earned == 200  # 1 % of the 20000 cash
    assert shop.balance("u1") == (1_000 + 200, 0)
    assert shop.ledger_kinds("u1") == ["earn", "grant", "hold", "use"]
    assert shop.stock("mug") == 3
    assert shop.store.orders.get(placed.merchant_uid).sweep_at() is None
    assert shop.metrics.count("PaymentsVerified") == 1


def test_repeated_reports_of_a_payment_change_nothing(shop: Shop, placed) -> None:
    paid = shop.sandbox.control.pay(placed.merchant_uid, placed.amount)
    first = shop.checkout.complete_payment(paid["imp_uid"], placed.merchant_uid)

    again = shop.checkout.complete_payment(paid["imp_uid"], placed.merchant_uid)
    hook = shop.checkout.handle_webhook(
        WebhookInput(imp_uid=paid["imp_uid"], merchant_uid=placed.merchant_uid, status="paid")
    )
    swept = shop.checkout.complete_payment(None, placed.merchant_uid)

    assert again == first and hook == first and swept == first
    assert shop.balance("u1") == (1_200, 0)
    assert shop.metrics.count("DuplicateDelivery") == 3


def test_a_payment_of_another_order_is_refused_and_nothing_changes_or_is_cancelled(
    shop: Shop, placed
) -> None:
    other = shop.order_for("u2", {"mug": 1}).order
    paid_other = shop.sandbox.control.pay(other.merchant_uid, other.amount)

    with pytest.raises(BadRequest) as refused:
        shop.checkout.complete_payment(paid_other["imp_uid"], placed.merchant_uid)

    assert refused.value.code == "payment_order_mismatch"
    assert shop.store.orders.get(placed.merchant_uid).status is OrderStatus.READY
    assert shop.gateway.get_payment(paid_other["imp_uid"]).status == "paid"
    assert shop.store.orders.get(other.merchant_uid).status is OrderStatus.READY


def test_an_unknown_imp_uid_is_a_bad_request(shop: Shop, placed) -> None:
    with pytest.raises(BadRequest) as refused:
        shop.checkout.complete_payment("imp_000000000000", placed.merchant_uid)
    assert refused.value.code == "unknown_payment"


def test_failed_payment_fails_the_order_and_gives_everything_back(shop: Shop, placed) -> None:
    failed = shop.sandbox.control.fail(placed.merchant_uid, placed.amount)

    order = shop.checkout.complete_payment(failed["imp_uid"], placed.merchant_uid, OWNER)

    assert order.status is OrderStatus.FAILED and order.failure_reason
    assert shop.stock("mug") == 5
    assert shop.balance("u1") == (5_000, 0)
    assert shop.ledger_kinds("u1") == ["grant", "hold", "release"]
    assert shop.cart("u1") == {"mug": 2}


def test_an_abandoned_window_leaves_the_order_open(shop: Shop, placed) -> None:
    abandoned = shop.sandbox.control.abandon(placed.merchant_uid, placed.amount)
    order = shop.checkout.complete_payment(abandoned["imp_uid"], placed.merchant_uid)
    assert order.status is OrderStatus.READY and order.version == placed.version
    assert shop.stock("mug") == 3 and shop.balance("u1") == (1_000, 4_000)


def test_webhook_status_claim_is_never_trusted(shop: Shop, placed) -> None:
    failed = shop.sandbox.control.fail(placed.merchant_uid, placed.amount)
    order = shop.checkout.handle_webhook(
        WebhookInput(imp_uid=failed["imp_uid"], merchant_uid=placed.merchant_uid, status="paid")
    )
    # Not paid, whatever the body says; and a failed attempt reported by the webhook leaves it open.
    assert order is not None and order.status is OrderStatus.READY


def test_webhook_for_an_unknown_order_is_answered_with_none(shop: Shop) -> None:
    note = WebhookInput(imp_uid="imp_123456789012", merchant_uid="ord_nope", status="paid")
    assert shop.checkout.handle_webhook(note) is None


def test_forged_amount_is_cancelled_at_iamport_and_the_order_fails(shop: Shop, placed) -> None:
    forged = shop.sandbox.control.pay(placed.merchant_uid, 100, force=True)

    order = shop.checkout.complete_payment(forged["imp_uid"], placed.merchant_uid, OWNER)

    assert order.status is OrderStatus.FAILED
    payment = shop.gateway.get_payment(forged["imp_uid"])
    assert payment.status == "cancelled" and payment.cancel_amount == 100
    assert [s.reason for s in order.stray_payments] == ["amount_mismatch"]
    assert shop.stock("mug") == 5 and shop.balance("u1") == (5_000, 0)
    assert shop.cart("u1") == {"mug": 2}
    assert shop.metrics.count("AmountMismatch") == 1
    again = shop.checkout.complete_payment(forged["imp_uid"], placed.merchant_uid, OWNER)
    assert again.version == order.version


def test_a_second_paid_payment_for_a_paid_order_is_refunded_and_recorded(shop: Shop, placed) -> None:
    first = shop.sandbox.control.pay(placed.merchant_uid, placed.amount)
    shop.checkout.complete_payment(first["imp_uid"], placed.merchant_uid)
    second = shop.sandbox.control.pay(placed.merchant_uid, placed.amount, force=True)

    order = shop.checkout.handle_webhook(
        WebhookInput(imp_uid=second["imp_uid"], merchant_uid=placed.merchant_uid, status="paid")
    )

    assert order.status is OrderStatus.PAID and order.imp_uid == first["imp_uid"]
    assert [(s.imp_uid, s.reason, s.amount) for s in order.stray_payments] == [
        (second["imp_uid"], "duplicate", placed.amount)
    ]
    assert shop.gateway.get_payment(second["imp_uid"]).status == "cancelled"
    assert shop.gateway.get_payment(first["imp_uid"]).status == "paid"
    assert shop.metrics.count("DuplicatePayment") == 1
    assert shop.balance("u1") == (1_200, 0)


def test_a_payment_arriving_after_expiry_is_refunded(shop: Shop, placed) -> None:
    from datetime import timedelta

    shop.clock.advance(timedelta(hours=1))
    shop.checkout.sweep()
    assert shop.store.orders.get(placed.merchant_uid).status is OrderStatus.EXPIRED
    late = shop.sandbox.control.pay(placed.merchant_uid, placed.amount)

    order = shop.checkout.complete_payment(late["imp_uid"], placed.merchant_uid)

    assert order.status is OrderStatus.EXPIRED
    assert [s.reason for s in order.stray_payments] == ["late_success"]
    assert shop.gateway.get_payment(late["imp_uid"]).status == "cancelled"
    assert shop.metrics.count("LateSuccessRefunded") == 1
    assert shop.stock("mug") == 5 and shop.balance("u1") == (5_000, 0)


def test_virtual_account_waits_for_the_deposit_then_pays(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    created = shop.order_for("u1", {"mug": 1}, pay_method="vbank")
    order = created.order
    issued = shop.sandbox.control.issue_vbank(
        order.merchant_uid, order.amount, vbank_due=created.payment["vbank_due"]
    )

    waiting = shop.checkout.complete_payment(issued["imp_uid"], order.merchant_uid)

    assert waiting.status is OrderStatus.AWAITING_DEPOSIT
    assert waiting.vbank is not None and waiting.vbank.number and waiting.vbank.bank
    # The sweeper asks about it on the check schedule (a lost deposit webhook is found within the hour).
    assert waiting.sweep_at() == waiting.next_check_at() < waiting.expires_at
    shop.sandbox.control.deposit(issued["imp_uid"])
    paid = shop.checkout.handle_webhook(
        WebhookInput(imp_uid=issued["imp_uid"], merchant_uid=order.merchant_uid, status="paid")
    )
    assert paid.status is OrderStatus.PAID and paid.points_earned == 120


def test_console_cancel_of_a_paid_order_cancels_it_with_rollback(shop: Shop, placed) -> None:
    paid = shop.sandbox.control.pay(placed.merchant_uid, placed.amount)
    shop.checkout.complete_payment(paid["imp_uid"], placed.merchant_uid)
    shop.sandbox.control.console_cancel(paid["imp_uid"])

    order = shop.checkout.handle_webhook(
        WebhookInput(imp_uid=paid["imp_uid"], merchant_uid=placed.merchant_uid, status="cancelled")
    )

    assert order.status is OrderStatus.CANCELLED
    assert [(r.amount, r.points, r.clawback) for r in order.refunds] == [(20_000, 4_000, 200)]
    assert shop.stock("mug") == 5
    assert shop.balance("u1") == (5_000, 0)
    assert shop.ledger_kinds("u1") == ["clawback", "earn", "grant", "hold", "refund_use", "use"]


def test_console_partial_cancel_is_recorded_as_a_cash_refund_without_lines(shop: Shop, placed) -> None:
    from checkout.inputs import RefundInput
    from checkout.services import Actor

    paid = shop.sandbox.control.pay(placed.merchant_uid, placed.amount)
    shop.checkout.complete_payment(paid["imp_uid"], placed.merchant_uid)  # 200 points earned
    shop.sandbox.control.console_cancel(paid["imp_uid"], amount=5_000)
    note = WebhookInput(imp_uid=paid["imp_uid"], merchant_uid=placed.merchant_uid, status="cancelled")

    order = shop.checkout.handle_webhook(note)

    assert order.status is OrderStatus.PARTIALLY_CANCELLED
    assert [(r.amount, r.points, r.clawback, r.lines) for r in order.refunds] == [(5_000, 0, 50, ())]
    assert [line.refunded_quantity for line in order.lines] == [0]
    assert shop.stock("mug") == 3  # nobody said which goods came back
    assert shop.balance("u1") == (1_000 + 200 - 50, 0)
    assert shop.checkout.handle_webhook(note).version == order.version  # a resend changes nothing

    # The next refund through the checkout sends the checksum I'mport expects and takes the rest.
    rest = shop.checkout.refund(Actor("u1"), placed.merchant_uid, RefundInput(reason="return"), None)

    assert rest.status is OrderStatus.CANCELLED
    assert [(r.amount, r.points, r.clawback) for r in rest.refunds] == [(5_000, 0, 50), (15_000, 4_000, 150)]
    payment = shop.gateway.get_payment(paid["imp_uid"])
    assert payment.status == "cancelled" and payment.cancel_amount == 20_000
    assert shop.stock("mug") == 5 and shop.balance("u1") == (5_000, 0)


def test_a_forged_virtual_account_deposit_iamport_cannot_refund_is_left_visible(shop: Shop, placed) -> None:
    from checkout import views
    from checkout.errors import OrderNotFound

    # A virtual account for the wrong amount, reported only once the money is in it.
    issued = shop.sandbox.control.issue_vbank(placed.merchant_uid, 100, force=True)
    shop.sandbox.control.deposit(issued["imp_uid"])

    order = shop.checkout.complete_payment(issued["imp_uid"], placed.merchant_uid, OWNER)

    # I'mport cannot send a virtual account's money back without the buyer's own account
    # (docs/iamport-v1.md#cancel).
    assert shop.gateway.get_payment(issued["imp_uid"]).status == "paid"
    assert order.status is OrderStatus.FAILED
    assert shop.stock("mug") == 5 and shop.balance("u1") == (5_000, 0)
    assert shop.metrics.count("AmountMismatch") == 1 and shop.metrics.count("StrayRefundRejected") == 1
    (stray,) = views.order_json(order)["stray_payments"]
    assert (stray["imp_uid"], stray["reason"], stray["refunded"], stray["unrefunded"]) == (
        issued["imp_uid"],
        "amount_mismatch",
        0,
        100,
    )
    assert (
        shop.checkout.complete_payment(issued["imp_uid"], placed.merchant_uid, OWNER).version == order.version
    )
    # The buyer and an admin see it; nobody else does.
    assert shop.checkout.get_order("u1", placed.merchant_uid).stray_payments == order.stray_payments
    assert (
        shop.checkout.get_order("ops", placed.merchant_uid, as_admin=True).stray_payments[0].unrefunded == 100
    )
    with pytest.raises(OrderNotFound):
        shop.checkout.get_order("u2", placed.merchant_uid)


def test_a_forged_payment_already_refunded_when_reported_is_recorded_as_a_mismatch(
    shop: Shop, placed
) -> None:
    # What a report racing another one sees once the other has refunded the forgery (or what is left
    # after a report died between the refund and its write).
    forged = shop.sandbox.control.pay(placed.merchant_uid, 100, force=True)
    shop.gateway.cancel(imp_uid=forged["imp_uid"], amount=100, checksum=100, reason="amount does not match")

    order = shop.checkout.complete_payment(forged["imp_uid"], placed.merchant_uid, OWNER)

    assert order.status is OrderStatus.FAILED and order.version == placed.version + 1
    assert order.failure_reason == "payment amount mismatch"
    assert [(s.imp_uid, s.amount, s.reason, s.unrefunded) for s in order.stray_payments] == [
        (forged["imp_uid"], 100, "amount_mismatch", 0)
    ]
    assert len(shop.gateway.get_payment(forged["imp_uid"]).cancel_history) == 1  # not cancelled again
    assert shop.metrics.count("AmountMismatch") == 1
    assert shop.stock("mug") == 5 and shop.balance("u1") == (5_000, 0)
