"""Exactly once, end to end through real HTTP on the real engine.

The browser callback (POST /payments/complete), the mobile redirect (GET /payments/complete) and
I'mport's notification (POST /iamport/webhook, JSON and form) all report the same payment at the same
moment, 10 at a time, to functions running in separate warm worker processes. Whatever the order of
arrival, the order moves once, the points and stock move once, and no money goes back by mistake (or
goes back twice). The facts are read from DynamoDB and from the sandbox, not from the replies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.api import Buyer
from tests.support.http_checkout import (
    HttpState,
    Iamport,
    MetricLog,
    Reply,
    browser_completion,
    race,
    redirect_completion,
    webhook_form,
    webhook_json,
)

pytestmark = pytest.mark.integration

RACE_SIZE = 10
EARN_BP = 100  # the template's PointsEarnBasisPoints default: 1 % of the cash amount, floor


def all_channels(
    api_url: str, imp_uid: str, merchant_uid: str, notified: str, token: str
) -> list[Callable[[], Reply]]:
    """One round: every way a payment gets reported, mixed, RACE_SIZE reports in all (the page's with
    the buyer's token)."""
    channels = [
        lambda: browser_completion(api_url, imp_uid, merchant_uid, token),
        lambda: redirect_completion(api_url, imp_uid, merchant_uid),
        lambda: webhook_json(api_url, imp_uid, merchant_uid, notified),
        lambda: webhook_form(api_url, imp_uid, merchant_uid, notified),
    ]
    return [channels[i % len(channels)] for i in range(RACE_SIZE)]


def buyer_channels(api_url: str, imp_uid: str, merchant_uid: str, token: str) -> list[Callable[[], Reply]]:
    """One round of what the buyer's browser reports (desktop callback and mobile redirect)."""
    channels = [
        lambda: browser_completion(api_url, imp_uid, merchant_uid, token),
        lambda: redirect_completion(api_url, imp_uid, merchant_uid),
    ]
    return [channels[i % len(channels)] for i in range(RACE_SIZE)]


def assert_every_reply_reports(replies: list[Reply], merchant_uid: str, status: str) -> None:
    """Each channel answered with success, and told its caller the order's settled status."""
    for reply in replies:
        if reply.channel == "browser":
            assert reply.status == 200, reply
            assert reply.body["order"]["merchant_uid"] == merchant_uid, reply
            assert reply.body["order"]["status"] == status, reply
        elif reply.channel == "redirect":
            assert reply.status == 302, reply
            query = reply.location_query()
            assert query == {"merchant_uid": merchant_uid, "status": status}, reply
        else:
            assert reply.status == 200, reply
            assert reply.body == {"status": "ok", "merchant_uid": merchant_uid, "order_status": status}, reply


def assert_kept_in_full(at_iamport: dict[str, Any]) -> None:
    """Nothing of the payment went back by mistake."""
    assert at_iamport["status"] == "paid", at_iamport
    assert (at_iamport["cancel_amount"], at_iamport["cancel_history"]) == (0, []), at_iamport


def rounds(calls: Callable[[], list[Callable[[], Reply]]], count: int) -> list[Reply]:
    replies: list[Reply] = []
    for _ in range(count):
        replies.extend(race(calls()))
    return replies


def place_order(
    buyer: Buyer, stored: HttpState, *, price: int, stock: int, quantity: int, points: int, pay_method: str
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A fresh product and points grant, the cart filled and the order placed through the API.

    Returns the product id, the created order's JSON and the IMP.request_pay parameters.
    """
    product_id = stored.add_product(price, stock)
    if points:
        stored.grant_points(buyer.sub, points)
    buyer.api.put_in_cart(product_id, quantity)
    created = buyer.api.place_order(points=points, pay_method=pay_method)
    order, payment = created["order"], created["payment"]
    assert order["status"] == "ready"
    assert order["amount"] == price * quantity - points == payment["amount"]
    # What the creating transaction did, before anyone reports a payment.
    assert stored.stock(product_id) == stock - quantity
    assert stored.balance(buyer.sub) == (0, points)
    assert stored.cart(buyer.sub) == {}
    return product_id, order, payment


def test_a_card_payment_reported_30_times_concurrently_by_every_channel_pays_the_order_once(
    stack: Any, buyer: Buyer, stored: HttpState, iamport: Iamport, metrics: MetricLog
) -> None:
    product_id, order, payment = place_order(
        buyer, stored, price=12_000, stock=10, quantity=3, points=2_000, pay_method="card"
    )
    merchant_uid, amount = order["merchant_uid"], order["amount"]  # 36000 - 2000 = 34000 cash
    version_before = int(stored.order(merchant_uid)["version"])
    # The payment succeeds at I'mport, but its own notification is lost: the reports below are the
    # only news, and they race each other.
    iamport.drop_next_webhook_to(payment["notice_url"])
    imp_uid = iamport.control.pay(merchant_uid, amount, notice_url=payment["notice_url"])["imp_uid"]
    assert [d["state"] for d in iamport.deliveries(imp_uid, "paid")] == ["dropped"]
    before = metrics.reading()

    replies = rounds(
        lambda: all_channels(stack.api_url, imp_uid, merchant_uid, "paid", stack.token_for(buyer.sub)), 3
    )

    assert len(replies) == 3 * RACE_SIZE
    assert_every_reply_reports(replies, merchant_uid, "paid")
    final = stored.order(merchant_uid)
    assert final["status"] == "paid"
    assert final["imp_uid"] == imp_uid
    assert int(final["version"]) == version_before + 1  # one transition, however many reports
    earned = amount * EARN_BP // 10_000
    assert int(final["doc"]["points_earned"]) == earned
    assert final["doc"]["stray_payments"] == []
    assert stored.ledger(buyer.sub, merchant_uid) == [("earn", earned), ("hold", 2_000), ("use", 2_000)]
    assert stored.balance(buyer.sub) == (2_000 - 2_000 + earned, 0)
    assert stored.stock(product_id) == 10 - 3
    assert stored.cart(buyer.sub) == {}
    counted = metrics.since(before)
    assert (counted["PaymentsVerified"], counted["AmountMismatch"]) == (1, 0)
    assert_kept_in_full(iamport.payment(imp_uid))


def test_a_virtual_account_reported_concurrently_awaits_its_deposit_once_then_is_paid_once(
    stack: Any, buyer: Buyer, stored: HttpState, iamport: Iamport, metrics: MetricLog
) -> None:
    product_id, order, payment = place_order(
        buyer, stored, price=8_900, stock=6, quantity=2, points=1_000, pay_method="vbank"
    )
    merchant_uid, amount = order["merchant_uid"], order["amount"]  # 17800 - 1000 = 16800 cash
    version_before = int(stored.order(merchant_uid)["version"])
    # The account is issued; I'mport's "ready" notification is lost, so the buyer's reports race alone.
    iamport.drop_next_webhook_to(payment["notice_url"])
    issued = iamport.control.issue_vbank(
        merchant_uid, amount, notice_url=payment["notice_url"], vbank_due=payment["vbank_due"]
    )
    imp_uid = issued["imp_uid"]
    assert issued["status"] == "ready" and issued["vbank_num"]
    before = metrics.reading()

    issued_replies = rounds(
        lambda: all_channels(stack.api_url, imp_uid, merchant_uid, "ready", stack.token_for(buyer.sub)), 2
    )

    assert_every_reply_reports(issued_replies, merchant_uid, "awaiting_deposit")
    waiting = stored.order(merchant_uid)
    assert waiting["status"] == "awaiting_deposit"
    assert int(waiting["version"]) == version_before + 1
    assert waiting["doc"]["vbank"]["number"] == issued["vbank_num"]
    assert stored.ledger(buyer.sub, merchant_uid) == [("hold", 1_000)]  # nothing spent before the money
    assert stored.balance(buyer.sub) == (0, 1_000)

    # The buyer pays into the account: I'mport notifies us (twice, at once) while the buyer's browser,
    # reopened, reports the same payment over and over.
    iamport.duplicate_next_webhook_to(payment["notice_url"])
    iamport.control.deposit(imp_uid)
    deposit_replies = rounds(
        lambda: buyer_channels(stack.api_url, imp_uid, merchant_uid, stack.token_for(buyer.sub)), 2
    )

    assert_every_reply_reports(deposit_replies, merchant_uid, "paid")
    notified = iamport.wait_for_deliveries(imp_uid, "paid", count=2)
    assert [(d["state"], d["status_code"]) for d in notified] == [("delivered", 200)] * 2
    final = stored.order(merchant_uid)
    assert final["status"] == "paid"
    assert int(final["version"]) == version_before + 2  # issued once, paid once
    earned = amount * EARN_BP // 10_000
    assert int(final["doc"]["points_earned"]) == earned
    assert stored.ledger(buyer.sub, merchant_uid) == [("earn", earned), ("hold", 1_000), ("use", 1_000)]
    assert stored.balance(buyer.sub) == (1_000 - 1_000 + earned, 0)
    assert stored.stock(product_id) == 6 - 2
    assert metrics.since(before)["PaymentsVerified"] == 1
    assert_kept_in_full(iamport.payment(imp_uid))


def test_a_forged_amount_reported_concurrently_by_every_channel_fails_the_order_and_refunds_once(
    stack: Any, buyer: Buyer, stored: HttpState, iamport: Iamport, metrics: MetricLog
) -> None:
    product_id, order, payment = place_order(
        buyer, stored, price=15_800, stock=5, quantity=2, points=3_000, pay_method="card"
    )
    merchant_uid = order["merchant_uid"]  # 31600 - 3000 = 28600 expected, 1000 actually paid
    version_before = int(stored.order(merchant_uid)["version"])
    # A tampered window pays 1000 won, past the pre-registered amount; its notification is lost.
    iamport.drop_next_webhook_to(payment["notice_url"])
    forged = iamport.control.pay(merchant_uid, 1_000, force=True, notice_url=payment["notice_url"])
    imp_uid = forged["imp_uid"]
    assert forged["status"] == "paid"
    before = metrics.reading()

    replies = rounds(
        lambda: all_channels(stack.api_url, imp_uid, merchant_uid, "paid", stack.token_for(buyer.sub)), 3
    )

    # An anonymous report only refunds the forgery (the order stays open); the buyer's own ends it.
    for reply in replies:
        assert reply.status in (200, 302), reply
    final = stored.order(merchant_uid)
    assert final["status"] == "failed"
    # Everything the order took goes back, once.
    assert stored.stock(product_id) == 5
    assert stored.ledger(buyer.sub, merchant_uid) == [("hold", 3_000), ("release", 3_000)]
    assert stored.balance(buyer.sub) == (3_000, 0)
    assert stored.cart(buyer.sub) == {product_id: 2}
    # The forged money goes back once, and the order remembers it once.
    at_iamport = iamport.payment(imp_uid)
    assert at_iamport["status"] == "cancelled"
    assert at_iamport["cancel_amount"] == 1_000
    assert len(at_iamport["cancel_history"]) == 1, at_iamport["cancel_history"]
    assert [(s["imp_uid"], int(s["amount"]), s["reason"]) for s in final["doc"]["stray_payments"]] == [
        (imp_uid, 1_000, "amount_mismatch")
    ]
    # Failed (the buyer's own report ends it, before or after the refund an anonymous report made),
    # flagged as a forgery once (the alarm), never mistaken for a late payment.
    assert int(final["version"]) in (version_before + 1, version_before + 2)
    assert final["doc"]["failure_reason"] == "payment amount mismatch"
    counted = metrics.since(before)
    assert counted["AmountMismatch"] == 1
    assert counted.get("LateSuccessRefunded", 0) == 0


def test_a_forged_payment_already_refunded_when_reported_is_still_recorded_as_a_mismatch(
    stack: Any, buyer: Buyer, stored: HttpState, iamport: Iamport, metrics: MetricLog
) -> None:
    """What a racing report sees when another report has just refunded the forged payment (or when a
    report crashed between the refund and its write): the payment is already `cancelled` at I'mport."""
    product_id, order, payment = place_order(
        buyer, stored, price=15_800, stock=5, quantity=1, points=0, pay_method="card"
    )
    merchant_uid = order["merchant_uid"]
    version_before = int(stored.order(merchant_uid)["version"])
    iamport.drop_next_webhook_to(payment["notice_url"])
    forged = iamport.control.pay(merchant_uid, 1_000, force=True, notice_url=payment["notice_url"])
    imp_uid = forged["imp_uid"]
    iamport.cancel_with_checksum(imp_uid, 1_000, "amount does not match the order")
    before = metrics.reading()

    reply = browser_completion(stack.api_url, imp_uid, merchant_uid, stack.token_for(buyer.sub))

    assert reply.status == 200 and reply.body["order"]["status"] == "failed", reply
    final = stored.order(merchant_uid)
    assert final["status"] == "failed"
    assert int(final["version"]) == version_before + 1
    assert stored.stock(product_id) == 5
    assert len(iamport.payment(imp_uid)["cancel_history"]) == 1  # refunded once, not again
    # A forgery is a forgery even when its money is already back: flagged, recorded, alarmed on.
    assert final["doc"]["failure_reason"] == "payment amount mismatch"
    assert [(s["imp_uid"], int(s["amount"]), s["reason"]) for s in final["doc"]["stray_payments"]] == [
        (imp_uid, 1_000, "amount_mismatch")
    ]
    assert metrics.since(before)["AmountMismatch"] == 1
