"""The settlement audit on the real engines (DynamoDB Local and the I'mport sandbox): orders paid,
cancelled in I'mport's console or paid twice while every report was lost are brought into the books,
money the books account for is checked, and cash nobody's order accounts for is reported."""

from __future__ import annotations

from typing import Any

import pytest

from checkout.domain.status import OrderStatus
from checkout.inputs import WebhookInput
from tests.support.shop import Shop

pytestmark = pytest.mark.integration

S = OrderStatus


@pytest.fixture
def counted(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every metric with its value (the shop's own list drops values of 0)."""
    seen: list[tuple[str, int]] = []

    def count(name: str, unit: object = None, value: int = 1, **_: object) -> None:
        seen.append((name, int(value)))
        shop.metrics.extend([name] * int(value))

    monkeypatch.setattr("checkout.observability.metrics.add_metric", count)
    return seen


@pytest.fixture
def products(shop: Shop) -> None:
    shop.add_product("mug", 10_000, 10, name="Mug")
    shop.add_product("tee", 5_000, 10, name="Tee")
    shop.grant("u1", 5_000)


def place(shop: Shop, user: str = "u1", points: int = 0, **kwargs: Any) -> Any:
    """mug x2: 20000, less the points."""
    return shop.order_for(user, {"mug": 2}, points=points, **kwargs).order


def pay_and_report(shop: Shop, order: Any) -> Any:
    payment = shop.sandbox.control.pay(order.merchant_uid, order.amount)
    return shop.checkout.complete_payment(payment["imp_uid"], order.merchant_uid)


def test_orders_in_step_with_iamport_are_checked_and_nothing_changes(shop: Shop, products, counted) -> None:
    first = pay_and_report(shop, place(shop, points=5_000))
    second = pay_and_report(shop, place(shop, "u2"))

    report = shop.checkout.audit()

    assert (report.payments, report.checked, report.fixed, report.needs_a_person) == (2, 2, 0, [])
    assert shop.store.orders.get(first.merchant_uid) == first
    assert shop.store.orders.get(second.merchant_uid) == second
    assert ("AuditDiscrepancies", 0) in counted


def test_a_payment_whose_every_report_was_lost_is_settled(shop: Shop, products) -> None:
    order = place(shop, points=5_000)
    shop.sandbox.control.pay(order.merchant_uid, order.amount)  # no browser, no webhook

    report = shop.checkout.audit()

    assert (report.checked, report.fixed, report.needs_a_person) == (1, 1, [])
    paid = shop.store.orders.get(order.merchant_uid)
    assert paid.status is S.PAID and paid.points_earned == 150
    assert shop.balance("u1") == (150, 0)


def test_console_cancels_nobody_reported_are_recorded(shop: Shop, products) -> None:
    partly = pay_and_report(shop, place(shop))
    wholly = pay_and_report(shop, place(shop, "u2"))
    shop.sandbox.control.console_cancel(partly.imp_uid, amount=5_000)  # their webhooks are lost
    shop.sandbox.control.console_cancel(wholly.imp_uid)

    report = shop.checkout.audit()

    assert (report.checked, report.fixed, report.needs_a_person) == (2, 2, [])
    after_partial = shop.store.orders.get(partly.merchant_uid)
    assert after_partial.status is S.PARTIALLY_CANCELLED and after_partial.cash_refunded == 5_000
    assert shop.store.orders.get(wholly.merchant_uid).status is S.CANCELLED
    assert shop.stock("mug") == 10 - 2 - 2 + 2  # the whole cancel gives its goods back


def test_a_second_payment_of_an_order_is_refunded(shop: Shop, products) -> None:
    order = pay_and_report(shop, place(shop))
    second = shop.sandbox.control.pay(order.merchant_uid, order.amount, force=True)

    report = shop.checkout.audit()

    assert (report.checked, report.fixed, report.needs_a_person) == (1, 1, [])
    refunded = shop.gateway.get_payment(second["imp_uid"])
    assert refunded.status == "cancelled" and refunded.cancel_amount == order.amount
    (stray,) = shop.store.orders.get(order.merchant_uid).stray_payments
    assert (stray.imp_uid, stray.reason, stray.unrefunded) == (second["imp_uid"], "duplicate", 0)
    # the order's own payment is untouched
    assert shop.gateway.get_payment(order.imp_uid).cancel_amount == 0


def test_a_failed_attempt_does_not_undo_the_paid_one_nobody_reported(shop: Shop, products) -> None:
    order = place(shop)
    shop.sandbox.control.fail(order.merchant_uid, order.amount)  # the buyer's card was declined
    paid = shop.sandbox.control.pay(order.merchant_uid, order.amount)  # then another card went through

    report = shop.checkout.audit()

    assert (report.checked, report.fixed, report.needs_a_person) == (1, 1, [])
    after = shop.store.orders.get(order.merchant_uid)
    assert (after.status, after.imp_uid, after.stray_payments) == (S.PAID, paid["imp_uid"], ())
    assert shop.gateway.get_payment(paid["imp_uid"]).cancel_amount == 0


def test_a_stray_deposit_iamport_will_not_refund_is_booked_so_it_is_not_reported_again(
    shop: Shop, products
) -> None:
    created = shop.order_for("u1", {"mug": 1}, pay_method="vbank")
    m = created.order.merchant_uid
    issued = shop.sandbox.control.issue_vbank(m, 1_000, force=True)  # an account for the wrong amount
    shop.sandbox.control.add_fault("/vbanks/", "http_500", count=5)  # and its void fails
    shop.checkout.complete_payment(issued["imp_uid"], m)
    shop.sandbox.control.clear_faults()
    shop.sandbox.control.deposit(issued["imp_uid"])
    shop.checkout.handle_webhook(WebhookInput(imp_uid=issued["imp_uid"], merchant_uid=m, status="paid"))

    report = shop.checkout.audit()

    # I'mport still holds the 1000 and the order says so (the StrayRefundRejected alarm told a person).
    assert (report.checked, report.fixed, report.needs_a_person) == (1, 0, [])


def test_a_payment_for_a_merchant_uid_without_an_order_is_reported(shop: Shop, products, counted) -> None:
    pay_and_report(shop, place(shop))
    ghost = shop.sandbox.control.pay("not-our-order-1", 7_000)
    shop.sandbox.control.fail("not-our-order-2", 3_000)  # holds nothing: not worth a person's time

    report = shop.checkout.audit()

    assert (report.checked, report.ignored) == (1, 1)
    (found,) = report.needs_a_person
    assert (found.merchant_uid, found.imp_uids, found.held, found.booked) == (
        "not-our-order-1",
        (ghost["imp_uid"],),
        7_000,
        0,
    )
    assert ("AuditDiscrepancies", 1) in counted
    assert report.as_dict()["needs_a_person"][0]["merchant_uid"] == "not-our-order-1"


def test_orders_paid_entirely_with_points_are_never_part_of_it(shop: Shop, products) -> None:
    order = shop.order_for("u1", {"tee": 1}, points=5_000).order
    assert order.status is S.PAID and order.amount == 0

    report = shop.checkout.audit()

    assert (report.payments, report.checked, report.needs_a_person) == (0, 0, [])


def test_an_order_that_cannot_be_checked_is_an_error_and_the_others_still_are(
    shop: Shop, products, counted
) -> None:
    blocked = place(shop)
    fine = place(shop, "u2")
    blocked_payment = shop.sandbox.control.pay(blocked.merchant_uid, blocked.amount)
    shop.sandbox.control.pay(fine.merchant_uid, fine.amount)
    shop.sandbox.control.add_fault(f"^/payments/{blocked_payment['imp_uid']}$", "http_500", count=20)

    report = shop.checkout.audit()

    assert (report.errors, report.error_merchant_uids) == (1, [blocked.merchant_uid])
    assert (report.checked, report.fixed) == (1, 1)
    assert shop.store.orders.get(fine.merchant_uid).status is S.PAID
    assert shop.store.orders.get(blocked.merchant_uid).status is S.READY
    assert ("AuditErrors", 1) in counted
