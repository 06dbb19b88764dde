"""Nobody but the buyer can hurt the buyer's order (DynamoDB Local + the sandbox).

I'mport's webhook, the mobile redirect and the sweeper only move an order forward on what I'mport's record
proves about money. A failed attempt or a forged amount reported by them leaves the order open, so the
buyer can still pay with the same merchant_uid; only the owner's own report, the owner's cancel and expiry
roll an order back. And one account cannot hoard stock with unpaid orders.
"""

from __future__ import annotations

import pytest

from checkout.domain.status import OrderStatus
from checkout.errors import OrderNotFound, OrderStateConflict, TooManyOpenOrders
from checkout.inputs import WebhookInput
from checkout.services import Actor
from tests.support.shop import Shop

pytestmark = pytest.mark.integration

S = OrderStatus
BUYER = Actor("u1")


@pytest.fixture
def placed(shop: Shop):
    shop.add_product("mug", 12_000, 5, name="Mug")
    shop.grant("u1", 5_000)
    return shop.order_for("u1", {"mug": 2}, points=4_000).order  # total 24000, cash 20000


def webhook(imp_uid: str, merchant_uid: str) -> WebhookInput:
    return WebhookInput(imp_uid=imp_uid, merchant_uid=merchant_uid, status="failed")


def test_a_strangers_failed_attempt_leaves_the_order_open_and_the_buyer_pays_after_it(
    shop: Shop, placed
) -> None:
    failed = shop.sandbox.control.fail(placed.merchant_uid, placed.amount)
    by_webhook = shop.checkout.handle_webhook(webhook(failed["imp_uid"], placed.merchant_uid))
    by_redirect = shop.checkout.complete_payment(failed["imp_uid"], placed.merchant_uid)  # no token
    assert by_webhook.status is by_redirect.status is S.READY
    assert shop.stock("mug") == 3 and shop.balance("u1") == (1_000, 4_000)

    paid = shop.sandbox.control.pay(placed.merchant_uid, placed.amount)  # same merchant_uid, again
    order = shop.checkout.complete_payment(paid["imp_uid"], placed.merchant_uid, BUYER)
    assert order.status is S.PAID and order.imp_uid == paid["imp_uid"]


def test_a_forged_amount_reported_by_anyone_else_is_refunded_without_ending_the_order(
    shop: Shop, placed
) -> None:
    forged = shop.sandbox.control.pay(placed.merchant_uid, 100, force=True)

    order = shop.checkout.handle_webhook(webhook(forged["imp_uid"], placed.merchant_uid))

    assert order.status is S.READY
    assert [(s.imp_uid, s.reason, s.amount, s.unrefunded) for s in order.stray_payments] == [
        (forged["imp_uid"], "amount_mismatch", 100, 0)
    ]
    assert shop.gateway.get_payment(forged["imp_uid"]).status == "cancelled"
    assert shop.metrics.count("AmountMismatch") == 1
    again = shop.checkout.complete_payment(forged["imp_uid"], placed.merchant_uid)
    assert again.version == order.version  # recorded once
    # I'mport takes no second payment for a merchant_uid that took money once: the buyer gives it up
    # (or it expires) and everything comes back.
    assert shop.checkout.cancel_order(BUYER, placed.merchant_uid).status is S.FAILED
    assert shop.stock("mug") == 5 and shop.balance("u1") == (5_000, 0)


def test_the_signed_in_report_is_the_owners_only(shop: Shop, placed) -> None:
    failed = shop.sandbox.control.fail(placed.merchant_uid, placed.amount)
    with pytest.raises(OrderNotFound):
        shop.checkout.complete_payment(failed["imp_uid"], placed.merchant_uid, Actor("u2"))
    assert shop.store.orders.get(placed.merchant_uid).status is S.READY
    # An admin may settle it on the buyer's behalf.
    order = shop.checkout.complete_payment(
        failed["imp_uid"], placed.merchant_uid, Actor("ops", is_admin=True)
    )
    assert order.status is S.FAILED


def test_the_owner_cancels_an_unpaid_order_and_gets_everything_back(shop: Shop, placed) -> None:
    with pytest.raises(OrderNotFound):
        shop.checkout.cancel_order(Actor("u2"), placed.merchant_uid)

    order = shop.checkout.cancel_order(BUYER, placed.merchant_uid)

    assert order.status is S.FAILED and order.failure_reason == "cancelled by the buyer"
    assert shop.stock("mug") == 5 and shop.balance("u1") == (5_000, 0) and shop.cart("u1") == {"mug": 2}
    assert shop.checkout.cancel_order(BUYER, placed.merchant_uid).version == order.version  # once


def test_cancelling_an_order_whose_payment_went_through_pays_it_instead(shop: Shop, placed) -> None:
    shop.sandbox.control.pay(placed.merchant_uid, placed.amount)  # reports lost
    with pytest.raises(OrderStateConflict):
        shop.checkout.cancel_order(BUYER, placed.merchant_uid)
    assert shop.store.orders.get(placed.merchant_uid).status is S.PAID


def test_cancelling_an_order_waiting_for_a_deposit_voids_its_account(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    created = shop.order_for("u1", {"mug": 1}, pay_method="vbank")
    m = created.order.merchant_uid
    issued = shop.sandbox.control.issue_vbank(m, created.order.amount, vbank_due=created.payment["vbank_due"])
    shop.checkout.complete_payment(issued["imp_uid"], m, BUYER)

    order = shop.checkout.cancel_order(BUYER, m)

    assert order.status is S.FAILED and shop.stock("mug") == 5
    assert shop.gateway.get_payment(issued["imp_uid"]).status != "ready"  # no deposit can land now


def test_one_account_holds_at_most_three_unpaid_orders(shop: Shop) -> None:
    shop.add_product("mug", 1_000, 50)
    open_orders = [shop.order_for("u1", {"mug": 1}).order for _ in range(3)]

    with pytest.raises(TooManyOpenOrders) as refused:
        shop.order_for("u1", {"mug": 1})

    assert refused.value.code == "too_many_open_orders" and refused.value.status == 409
    assert shop.stock("mug") == 47 and shop.cart("u1") == {"mug": 1}  # nothing taken by the refusal
    # Another buyer is not affected; paying (or cancelling) one makes room again.
    shop.order_for("u2", {"mug": 1})
    first = open_orders[0]
    paid = shop.sandbox.control.pay(first.merchant_uid, first.amount)
    shop.checkout.complete_payment(paid["imp_uid"], first.merchant_uid, BUYER)
    shop.checkout.cancel_order(BUYER, open_orders[1].merchant_uid)
    shop.order_for("u1", {"mug": 1})
    shop.order_for("u1", {"mug": 1})
    with pytest.raises(TooManyOpenOrders):
        shop.order_for("u1", {"mug": 1})
    # An order paid entirely with points is paid at once: it never counts.
    shop.grant("u1", 1_000)
    assert shop.order_for("u1", {"mug": 1}, points=1_000).order.status is S.PAID


def test_the_page_s_late_report_of_an_abandoned_attempt_does_not_fail_an_order_another_attempt_paid(
    shop: Shop, placed
) -> None:
    failed = shop.sandbox.control.fail(placed.merchant_uid, placed.amount)
    paid = shop.sandbox.control.pay(placed.merchant_uid, placed.amount)  # its reports are lost

    order = shop.checkout.complete_payment(failed["imp_uid"], placed.merchant_uid, BUYER)

    assert order.status is S.PAID and order.imp_uid == paid["imp_uid"]
    assert shop.gateway.get_payment(paid["imp_uid"]).status == "paid"  # not refunded as a late success
    assert shop.stock("mug") == 3


def test_the_page_s_late_report_of_an_abandoned_attempt_does_not_fail_an_order_with_an_account_issued(
    shop: Shop,
) -> None:
    shop.add_product("mug", 12_000, 5)
    created = shop.order_for("u1", {"mug": 1}, pay_method="vbank")
    m = created.order.merchant_uid
    failed = shop.sandbox.control.fail(m, created.order.amount)
    issued = shop.sandbox.control.issue_vbank(m, created.order.amount, vbank_due=created.payment["vbank_due"])

    order = shop.checkout.complete_payment(failed["imp_uid"], m, BUYER)

    assert order.status is S.AWAITING_DEPOSIT and order.imp_uid == issued["imp_uid"]
    assert shop.gateway.get_payment(issued["imp_uid"]).status == "ready"  # still open for the deposit


def test_the_owner_s_report_of_a_wrong_amount_beside_an_issued_account_keeps_waiting_for_the_deposit(
    shop: Shop,
) -> None:
    shop.add_product("mug", 12_000, 5)
    created = shop.order_for("u1", {"mug": 1}, pay_method="vbank")
    m = created.order.merchant_uid
    issued = shop.sandbox.control.issue_vbank(m, created.order.amount, vbank_due=created.payment["vbank_due"])
    assert shop.checkout.complete_payment(issued["imp_uid"], m, BUYER).status is S.AWAITING_DEPOSIT
    forged = shop.sandbox.control.pay(m, 100, force=True)

    order = shop.checkout.complete_payment(forged["imp_uid"], m, BUYER)

    # The wrong amount goes back; the order keeps its account (failing it would leave that account open
    # for a deposit nobody expects).
    assert order.status is S.AWAITING_DEPOSIT and order.imp_uid == issued["imp_uid"]
    assert [(s.imp_uid, s.reason) for s in order.stray_payments] == [(forged["imp_uid"], "amount_mismatch")]
    assert shop.gateway.get_payment(forged["imp_uid"]).status == "cancelled"
    again = shop.checkout.complete_payment(forged["imp_uid"], m, BUYER)
    assert again.status is S.AWAITING_DEPOSIT and again.version == order.version
    # The deposit still pays it.
    shop.sandbox.control.deposit(issued["imp_uid"])
    assert shop.checkout.complete_payment(issued["imp_uid"], m, BUYER).status is S.PAID


def test_an_order_remembers_that_it_counts_against_the_limit(shop: Shop) -> None:
    shop.add_product("mug", 1_000, 50)
    shop.grant("u1", 1_000)
    unpaid = shop.order_for("u1", {"mug": 1}).order
    by_points = shop.order_for("u1", {"mug": 1}, points=1_000).order

    assert shop.store.orders.get(unpaid.merchant_uid, consistent=True).counts_open
    assert not shop.store.orders.get(by_points.merchant_uid, consistent=True).counts_open


def test_an_account_issued_for_a_card_order_is_voided_and_holds_nothing(shop: Shop, placed) -> None:
    issued = shop.sandbox.control.issue_vbank(placed.merchant_uid, placed.amount)

    order = shop.checkout.handle_webhook(webhook(issued["imp_uid"], placed.merchant_uid))

    assert order.status is S.READY and order.expires_at == placed.expires_at  # the card TTL still holds
    assert shop.gateway.get_payment(issued["imp_uid"]).status != "ready"  # no deposit can land in it
    paid = shop.sandbox.control.pay(placed.merchant_uid, placed.amount)
    assert shop.checkout.complete_payment(paid["imp_uid"], placed.merchant_uid, BUYER).status is S.PAID
