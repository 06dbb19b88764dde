"""The books always agree with I'mport: cancels from anywhere, lost reports, refused cancels.

Each test is a path a payments engineer would try against the real engines (DynamoDB Local and the
I'mport sandbox): a cancel made in I'mport's console at the worst moment, reports that never arrive, a
refund refused because the payment changed under it. After each one, the order, the stock and the points
must say what I'mport's record says.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from checkout.domain.status import OrderStatus
from checkout.errors import OrderStateConflict
from checkout.inputs import RefundInput, WebhookInput
from checkout.services import Actor
from checkout.wiring import build_checkout
from tests.support.shop import Shop

pytestmark = pytest.mark.integration

BUYER = Actor("u1")
S = OrderStatus


def refund_input(lines: dict[str, int] | None = None) -> RefundInput:
    body: dict[str, Any] = {"reason": "changed my mind"}
    if lines is not None:
        body["lines"] = [{"product_id": p, "quantity": q} for p, q in lines.items()]
    return RefundInput.model_validate(body)


def webhook(order: Any, status: str = "paid") -> WebhookInput:
    return WebhookInput(imp_uid=order.imp_uid, merchant_uid=order.merchant_uid, status=status)


@pytest.fixture
def placed(shop: Shop):
    """mug 10000 x2 + tee 5000 x1 = 25000; 5000 in points, 20000 cash (200 points earned when paid)."""
    shop.add_product("mug", 10_000, 5, name="Mug")
    shop.add_product("tee", 5_000, 5, name="Tee")
    shop.grant("u1", 5_000)
    return shop.order_for("u1", {"mug": 2, "tee": 1}, points=5_000).order


@pytest.fixture
def paid(shop: Shop, placed):
    payment = shop.sandbox.control.pay(placed.merchant_uid, placed.amount)
    return shop.checkout.complete_payment(payment["imp_uid"], placed.merchant_uid)


def books_agree(shop: Shop, order: Any) -> None:
    """What I'mport says of the order's payment is what the books say, entry by entry."""
    payment = shop.gateway.get_payment(order.imp_uid)
    assert order.cash_refunded == payment.cancel_amount
    recorded = sorted(r.cancellation_id for r in order.refunds if r.amount)
    assert recorded == sorted(c.cancellation_id for c in payment.cancel_history)
    assert order.pending_refund is None


class Hooked:
    """The real gateway, with something happening at I'mport right before our cancel reaches it."""

    def __init__(self, gateway: Any, before_cancel: Any) -> None:
        self._gateway = gateway
        self._before_cancel = before_cancel

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)

    def cancel(self, **kwargs: Any) -> Any:
        hook, self._before_cancel = self._before_cancel, None
        if hook is not None:
            hook()
        return self._gateway.cancel(**kwargs)


def hooked_checkout(shop: Shop, before_cancel: Any) -> Any:
    return build_checkout(
        shop.settings, store=shop.store, gateway=Hooked(shop.gateway, before_cancel), clock=shop.clock
    )


# -- cancels nobody told us about ---------------------------------------------------------------


def test_a_console_cancel_during_a_pending_refund_is_applied_not_swallowed(shop: Shop, paid) -> None:
    def console_cancels_everything_and_its_webhook_arrives() -> None:
        shop.sandbox.control.console_cancel(paid.imp_uid)
        during = shop.checkout.handle_webhook(webhook(paid, "cancelled"))
        # The webhook books the console's cancel right away; our intent died with it.
        assert during.status is S.CANCELLED and during.pending_refund is None

    racing = hooked_checkout(shop, console_cancels_everything_and_its_webhook_arrives)
    with pytest.raises(OrderStateConflict):
        # Refused at I'mport (stale checksum), re-read, nothing left to refund: a clear 409, no 200.
        racing.refund(BUYER, paid.merchant_uid, refund_input({"tee": 1}), "r-1")

    order = shop.store.orders.get(paid.merchant_uid)
    assert order.status is S.CANCELLED
    assert [r.amount for r in order.refunds] == [20_000]
    books_agree(shop, order)
    assert shop.stock("mug") == 5 and shop.stock("tee") == 5  # everything back
    assert shop.balance("u1") == (5_000, 0)  # points spent back, reward clawed back


def test_a_missed_console_partial_cancel_does_not_wedge_later_refunds(shop: Shop, paid) -> None:
    shop.sandbox.control.console_cancel(paid.imp_uid, amount=3_000)  # its webhook is lost

    order = shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"tee": 1}), "r-1")

    assert order.status is S.PARTIALLY_CANCELLED
    assert sorted(r.amount for r in order.refunds) == [3_000, 5_000]
    books_agree(shop, order)
    assert shop.stock("tee") == 5 and shop.stock("mug") == 3
    # And the refund after that goes through on the first try.
    again = shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"mug": 1}), "r-2")
    assert sorted(r.amount for r in again.refunds) == [3_000, 5_000, 10_000]
    books_agree(shop, again)


def test_a_refused_cancel_is_never_booked_as_a_refund_when_the_balance_happens_to_fall(
    shop: Shop, paid
) -> None:
    # Our refund of the tee is 5000; the console cancels 10000 just before it reaches I'mport, so the
    # balance falls by more than our amount although our cancel is refused.
    racing = hooked_checkout(shop, lambda: shop.sandbox.control.console_cancel(paid.imp_uid, amount=10_000))

    order = racing.refund(BUYER, paid.merchant_uid, refund_input({"tee": 1}), "r-1")

    ours = next(r for r in order.refunds if r.id.startswith("rf_"))
    payment = shop.gateway.get_payment(paid.imp_uid)
    entry = next(c for c in payment.cancel_history if c.cancellation_id == ours.cancellation_id)
    assert entry.amount == 5_000 and f"[{ours.cancel_ref}]" in entry.reason  # money moved for THIS refund
    assert payment.cancel_amount == 15_000
    books_agree(shop, order)


def test_a_first_report_after_a_console_partial_cancel_books_both(shop: Shop, placed) -> None:
    payment = shop.sandbox.control.pay(placed.merchant_uid, placed.amount)
    shop.sandbox.control.console_cancel(payment["imp_uid"], amount=5_000)  # before anyone reported

    order = shop.checkout.complete_payment(payment["imp_uid"], placed.merchant_uid)

    assert order.status is S.PARTIALLY_CANCELLED
    assert [r.amount for r in order.refunds] == [5_000]
    books_agree(shop, order)
    # Earned 1% of 20000, then a quarter of the cash went back: a quarter of the reward with it.
    assert order.points_earned == 200 and order.points_clawed_back == 50
    assert shop.balance("u1") == (150, 0)


def test_a_line_refund_after_a_large_console_partial_cancel_is_capped_to_what_remains(
    shop: Shop, paid
) -> None:
    shop.sandbox.control.console_cancel(paid.imp_uid, amount=15_000)
    shop.checkout.handle_webhook(webhook(paid, "cancelled"))

    # The mug is worth 10000 but only 5000 of cash and 5000 of points remain: that is what goes back.
    order = shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"mug": 1}), None)

    mug = order.refunds[-1]
    assert (mug.amount, mug.points) == (5_000, 5_000)
    books_agree(shop, order)
    assert shop.gateway.get_payment(paid.imp_uid).status == "cancelled"
    # Nothing is left in money; the remaining lines come back with the last refund, for nothing.
    rest = shop.checkout.refund(BUYER, paid.merchant_uid, refund_input(), None)
    assert rest.status is S.CANCELLED and (rest.refunds[-1].amount, rest.refunds[-1].points) == (0, 0)
    assert shop.stock("mug") == 5 and shop.stock("tee") == 5


def test_every_report_of_a_console_cancel_books_it_once(shop: Shop, paid) -> None:
    shop.sandbox.control.console_cancel(paid.imp_uid, amount=2_000)
    shop.sandbox.control.console_cancel(paid.imp_uid, amount=1_000)
    for _ in range(3):
        order = shop.checkout.handle_webhook(webhook(paid, "cancelled"))
    assert [r.amount for r in order.refunds] == [2_000, 1_000]
    books_agree(shop, order)
    shop.sandbox.control.console_cancel(paid.imp_uid)  # and then the rest
    order = shop.checkout.complete_payment(paid.imp_uid, paid.merchant_uid)
    assert order.status is S.CANCELLED and order.cash_refunded == 20_000
    books_agree(shop, order)
    assert shop.stock("mug") == 5 and shop.stock("tee") == 5 and shop.balance("u1") == (5_000, 0)


# -- reports that never arrive -------------------------------------------------------------------


def test_a_card_payment_whose_reports_were_all_lost_is_found_by_the_sweeper(shop: Shop, placed) -> None:
    shop.sandbox.control.pay(placed.merchant_uid, placed.amount)  # no webhook, no browser report

    assert shop.checkout.sweep().checked == 0  # not due yet
    shop.clock.advance(timedelta(minutes=2, seconds=1))
    report = shop.checkout.sweep()

    assert report.checked == 1 and report.paid == 1
    assert shop.store.orders.get(placed.merchant_uid).status is S.PAID


def test_a_deposit_whose_webhook_was_lost_is_found_within_the_hour(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    created = shop.order_for("u1", {"mug": 1}, pay_method="vbank")
    m = created.order.merchant_uid
    issued = shop.sandbox.control.issue_vbank(m, created.order.amount, vbank_due=created.payment["vbank_due"])
    waiting = shop.checkout.complete_payment(issued["imp_uid"], m)
    shop.sandbox.control.deposit(issued["imp_uid"])  # its webhook is lost

    for _ in range(4):  # the 2, 5, 15 and 30-minute checks see no deposit yet... then it is there
        shop.clock.advance(timedelta(minutes=31))
        shop.checkout.sweep()
        if shop.store.orders.get(m).status is S.PAID:
            break
    order = shop.store.orders.get(m)
    assert order.status is S.PAID and order.checks <= waiting.checks + 1


def test_an_open_order_checked_without_news_is_rescheduled_not_rechecked_every_run(
    shop: Shop, placed
) -> None:
    shop.clock.advance(timedelta(minutes=3))
    assert shop.checkout.sweep().checked == 1
    assert shop.checkout.sweep().checked == 0  # next check at 5 minutes
    order = shop.store.orders.get(placed.merchant_uid)
    assert order.status is S.READY and order.checks == 1
    assert order.sweep_at() == order.created_at + timedelta(minutes=5)


def test_orders_that_keep_failing_back_off_and_never_block_the_others(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    import checkout.services.sweep as sweep_module

    shop.add_product("mug", 1_000, 100)
    bad = [shop.order_for(f"bad{i}", {"mug": 1}).order.merchant_uid for i in range(7)]
    good = shop.order_for("u1", {"mug": 1}).order
    shop.sandbox.control.pay(good.merchant_uid, good.amount)  # reports lost

    class Failing:
        def __getattr__(self, name: str) -> Any:
            return getattr(shop.gateway, name)

        def get_payments(self, *args: Any) -> Any:
            raise RuntimeError("the batch lookup fails too")

        def find_payment(self, merchant_uid: str, status: str | None = None) -> Any:
            if merchant_uid in bad:
                raise RuntimeError("this order's lookup keeps failing")
            return shop.gateway.find_payment(merchant_uid, status)

    checkout = build_checkout(shop.settings, store=shop.store, gateway=Failing(), clock=shop.clock)
    monkeypatch.setattr(sweep_module, "PAGE", 3)  # fewer than the failing orders
    shop.clock.advance(timedelta(minutes=3))

    report = checkout.sweep()

    assert shop.store.orders.get(good.merchant_uid).status is S.PAID
    assert report.errors == 7 and sorted(report.error_merchant_uids) == sorted(bad)
    for m in bad:
        order = shop.store.orders.get(m)
        assert order.sweep_failures == 1 and order.retry_at is not None
    assert checkout.sweep().examined == 0  # they wait for their retry time
    shop.clock.advance(timedelta(minutes=3))
    assert checkout.sweep().errors == 7
    assert {shop.store.orders.get(m).sweep_failures for m in bad} == {2}


def test_sweep_work_is_bounded_by_the_time_left(shop: Shop, placed) -> None:
    shop.clock.advance(timedelta(minutes=3))
    report = shop.checkout.sweep(time_left_s=lambda: 100.0)  # less than the worst single visit needs
    assert report.examined == 0 and report.out_of_time
    assert shop.store.orders.get(placed.merchant_uid).checks == 0


# -- virtual accounts ------------------------------------------------------------------------------


def test_an_unissued_virtual_account_order_holds_stock_only_for_the_card_ttl(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    created = shop.order_for("u1", {"mug": 1}, pay_method="vbank")
    order = created.order
    assert order.expires_at == order.created_at + timedelta(minutes=30)

    shop.clock.advance(timedelta(minutes=31))
    shop.checkout.sweep()

    assert shop.store.orders.get(order.merchant_uid).status is S.EXPIRED
    assert shop.stock("mug") == 5


def test_an_issued_account_extends_the_hold_to_its_due_date(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    created = shop.order_for("u1", {"mug": 1}, pay_method="vbank")
    m = created.order.merchant_uid
    issued = shop.sandbox.control.issue_vbank(m, created.order.amount, vbank_due=created.payment["vbank_due"])
    waiting = shop.checkout.complete_payment(issued["imp_uid"], m)
    assert waiting.expires_at == waiting.vbank.due > created.order.expires_at
    assert waiting.vbank.due <= created.order.created_at + timedelta(hours=72)
    shop.clock.advance(timedelta(minutes=31))
    shop.checkout.sweep()
    assert shop.store.orders.get(m).status is S.AWAITING_DEPOSIT


def test_a_deposit_into_a_mismatched_account_whose_void_failed_raises_the_alarm(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    created = shop.order_for("u1", {"mug": 1}, pay_method="vbank")
    m = created.order.merchant_uid
    # An account for the wrong amount (a tampered window), and I'mport refuses to void it right now.
    issued = shop.sandbox.control.issue_vbank(m, 1_000, force=True)
    shop.sandbox.control.add_fault("/vbanks/", "http_500", count=5)
    failed = shop.checkout.complete_payment(issued["imp_uid"], m, BUYER)
    assert failed.status is S.FAILED
    shop.sandbox.control.clear_faults()

    shop.sandbox.control.deposit(issued["imp_uid"])  # money arrives anyway
    order = shop.checkout.handle_webhook(
        WebhookInput(imp_uid=issued["imp_uid"], merchant_uid=m, status="paid")
    )

    (stray,) = order.stray_payments
    # I'mport needs the buyer's own account to refund a virtual account: a person must act.
    assert stray.unrefunded == 1_000
    assert shop.metrics.count("StrayRefundRejected") == 1
    again = shop.checkout.handle_webhook(
        WebhookInput(imp_uid=issued["imp_uid"], merchant_uid=m, status="paid")
    )
    assert again.stray_payments == order.stray_payments and shop.metrics.count("StrayRefundRejected") == 1


# -- attempts of one refund never run side by side, and a cancel that went through is always booked ----


def test_a_same_key_retry_while_the_first_attempt_runs_is_told_to_wait(shop: Shop, paid) -> None:
    from checkout.errors import RequestInProgress

    answers: list[Any] = []

    def retry_arrives_while_we_talk_to_iamport() -> None:
        try:
            answers.append(shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"tee": 1}), "r-1"))
        except RequestInProgress as exc:
            answers.append(exc)

    first = hooked_checkout(shop, retry_arrives_while_we_talk_to_iamport)
    order = first.refund(BUYER, paid.merchant_uid, refund_input({"tee": 1}), "r-1")

    assert isinstance(answers[0], RequestInProgress)
    assert [r.amount for r in order.refunds] == [5_000]
    books_agree(shop, order)
    # The same key afterwards answers the finished refund, and nothing more leaves.
    again = shop.checkout.refund(BUYER, paid.merchant_uid, refund_input({"tee": 1}), "r-1")
    assert [r.amount for r in again.refunds] == [5_000]
    assert shop.gateway.get_payment(paid.imp_uid).cancel_amount == 5_000


def test_a_cancel_that_went_through_is_booked_even_if_its_intent_vanished(shop: Shop, paid) -> None:
    from checkout.domain.transitions import drop_refund_intent

    def intent_dropped_meanwhile() -> None:
        order = shop.store.orders.get(paid.merchant_uid)
        shop.store.orders.apply(drop_refund_intent(order, shop.clock()))

    racing = hooked_checkout(shop, intent_dropped_meanwhile)
    order = racing.refund(BUYER, paid.merchant_uid, refund_input({"tee": 1}), None)

    (refund,) = order.refunds
    assert (refund.amount, refund.lines[0].product_id) == (5_000, "tee")  # booked as planned
    books_agree(shop, order)
    assert shop.stock("tee") == 5
