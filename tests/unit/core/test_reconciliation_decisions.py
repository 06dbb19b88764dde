"""What a payment means for an order: the decision table of reconcile (pure)."""

from __future__ import annotations

from datetime import timedelta

from checkout.domain.order import StrayPayment
from checkout.domain.reconciliation import Action, decide
from checkout.domain.status import OrderStatus
from tests.unit.core.factories import NOW, a_payment, an_order

S = OrderStatus


def test_verified_paid_payment_pays_an_open_order() -> None:
    order = an_order()
    assert decide(order, a_payment(order)).action is Action.PAY


def test_payment_of_another_order_is_refused() -> None:
    order = an_order()
    assert decide(order, a_payment(order, merchant_uid="ord_2")).action is Action.REFUSE


def test_wrong_amount_or_currency_is_a_mismatch_to_cancel() -> None:
    order = an_order()
    assert decide(order, a_payment(order, amount=100)).action is Action.CANCEL_MISMATCH
    assert decide(order, a_payment(order, currency="USD")).action is Action.CANCEL_MISMATCH


def test_failed_payment_fails_the_order_and_abandoned_window_changes_nothing() -> None:
    order = an_order()
    assert decide(order, a_payment(order, status="failed")).action is Action.FAIL
    decision = decide(order, a_payment(order, status="ready", paid_at=None))
    assert decision.action is Action.NOTHING and not decision.repeat


def test_issued_virtual_account_awaits_deposit_once() -> None:
    order = an_order(pay_method="vbank")
    vbank = a_payment(
        order,
        status="ready",
        pay_method="vbank",
        vbank_num="123-456",
        vbank_name="KB",
        vbank_due=NOW + timedelta(days=3),
    )
    assert decide(order, vbank).action is Action.AWAIT_DEPOSIT
    waiting = order.evolve(status=S.AWAITING_DEPOSIT, imp_uid="imp_1")
    assert decide(waiting, vbank).repeat
    assert (
        decide(order, a_payment(order, status="ready", pay_method="vbank", vbank_num="1", amount=5)).action
        is Action.VOID_MISMATCH
    )


def test_repeats_of_the_applied_payment_are_duplicates() -> None:
    paid = an_order(status=S.PAID, imp_uid="imp_1")
    decision = decide(paid, a_payment(paid))
    assert decision.action is Action.NOTHING and decision.repeat


def test_a_second_paid_payment_is_a_duplicate_to_refund_and_a_late_one_too() -> None:
    paid = an_order(status=S.PAID, imp_uid="imp_1")
    assert decide(paid, a_payment(paid, imp_uid="imp_2")).reason == "duplicate"
    expired = an_order(status=S.EXPIRED)
    late = decide(expired, a_payment(expired, imp_uid="imp_9"))
    assert (late.action, late.reason) == (Action.REFUND_STRAY, "late_success")
    recorded = expired.evolve(stray_payments=(StrayPayment("imp_9", 20_000, "late_success", NOW),))
    assert decide(recorded, a_payment(recorded, imp_uid="imp_9", status="cancelled")).repeat


def test_a_deposit_into_an_expired_orders_own_account_is_refunded() -> None:
    expired = an_order(status=S.EXPIRED, imp_uid="imp_1", pay_method="vbank")
    assert decide(expired, a_payment(expired, pay_method="vbank")).action is Action.REFUND_STRAY


def test_console_cancel_cancels_a_paid_order_unless_our_refund_is_in_flight() -> None:
    from checkout.domain.refunds import plan_refund

    paid = an_order(status=S.PAID, imp_uid="imp_1")
    cancelled = a_payment(paid, status="cancelled", cancel_amount=paid.amount)
    assert decide(paid, cancelled).action is Action.CONSOLE_CANCEL
    intent = plan_refund(paid, None, refund_id="r", reason="x", now=NOW)
    assert decide(paid.evolve(pending_refund=intent), cancelled).action is Action.NOTHING


def test_part_of_the_cash_cancelled_at_iamport_is_a_partial_cancel_recorded_once() -> None:
    from checkout.domain.order import RefundRecord
    from checkout.domain.refunds import plan_partial_cancel_at_iamport, plan_refund

    paid = an_order(status=S.PAID, imp_uid="imp_1", earned=200)  # 20000 cash
    console = a_payment(paid, cancel_amount=5_000)
    assert decide(paid, console).action is Action.CONSOLE_PARTIAL_CANCEL
    in_flight = paid.evolve(pending_refund=plan_refund(paid, None, refund_id="r", reason="x", now=NOW))
    assert decide(in_flight, console).action is Action.NOTHING

    intent = plan_partial_cancel_at_iamport(paid, 5_000, refund_id="console-imp_1-5000", now=NOW)
    assert (intent.lines, intent.amount, intent.points, intent.clawback, intent.final) == (
        (),
        5_000,
        0,
        50,
        False,
    )
    assert intent.checksum == 20_000
    recorded = paid.evolve(
        status=S.PARTIALLY_CANCELLED,
        refunds=(RefundRecord("console-imp_1-5000", 5_000, 0, 50, (), NOW),),
    )
    again = decide(recorded, console)
    assert again.action is Action.NOTHING and again.repeat
    assert decide(recorded, a_payment(paid, cancel_amount=8_000)).action is Action.CONSOLE_PARTIAL_CANCEL
    # Cash fully cancelled at I'mport is the whole-order console cancel, with stock and points back.
    emptied = a_payment(paid, cancel_amount=20_000)
    assert decide(recorded, emptied).action is Action.CONSOLE_CANCEL


def test_a_mismatched_payment_already_refunded_is_still_a_mismatch_not_a_plain_failure() -> None:
    order = an_order()
    refunded = a_payment(order, amount=1_000, cancel_amount=1_000, status="cancelled")
    assert decide(order, refunded).action is Action.CANCEL_MISMATCH
    cancelled_in_time = a_payment(order, cancel_amount=order.amount, status="cancelled")
    assert decide(order, cancelled_in_time).action is Action.FAIL
