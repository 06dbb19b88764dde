"""What a payment means for an order: the decision table of reconcile (pure)."""

from __future__ import annotations

from datetime import timedelta

from checkout.domain.order import LineQuantity, StrayPayment
from checkout.domain.reconciliation import Action, CancelFact, decide
from checkout.domain.refunds import plan_refund
from checkout.domain.status import OrderStatus
from tests.support.factories import NOW, a_payment, an_order

S = OrderStatus


def test_verified_paid_payment_pays_an_open_order() -> None:
    order = an_order()
    assert decide(order, a_payment(order)).action is Action.PAY


def test_payment_of_another_order_is_refused() -> None:
    order = an_order()
    assert decide(order, a_payment(order, merchant_uid="ord_2")).action is Action.REFUSE


def test_wrong_amount_or_currency_is_refunded_and_only_the_owner_s_report_fails_the_order() -> None:
    order = an_order()
    for forged in (a_payment(order, amount=100), a_payment(order, currency="USD")):
        assert decide(order, forged, owner=True).action is Action.CANCEL_MISMATCH
        # Anyone else (a stranger who knows the merchant_uid): the money goes back, the order stays open.
        public = decide(order, forged)
        assert public.action is Action.REFUND_STRAY and public.reason == "amount_mismatch"


def test_a_failed_payment_fails_the_order_only_on_the_owner_s_report() -> None:
    order = an_order()
    assert decide(order, a_payment(order, status="failed"), owner=True).action is Action.FAIL
    # The webhook, the mobile redirect, the sweeper: the order stays open for another attempt.
    public = decide(order, a_payment(order, status="failed"))
    assert public.action is Action.NOTHING and not public.repeat
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
    wrong = a_payment(order, status="ready", pay_method="vbank", vbank_num="1", amount=5)
    assert decide(order, wrong, owner=True).action is Action.VOID_MISMATCH
    assert decide(order, wrong).action is Action.VOID_STRAY  # voided; the order stays open


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


def _cancel(amount: int, cid: str, reason: str = "관리자페이지취소") -> CancelFact:
    return CancelFact(amount=amount, cancellation_id=cid, reason=reason)


def test_a_console_cancel_is_recorded_whoever_reports_it_even_with_our_refund_in_flight() -> None:
    paid = an_order(status=S.PAID, imp_uid="imp_1")  # 20000 cash
    cancelled = a_payment(
        paid, status="cancelled", cancel_amount=paid.amount, cancels=(_cancel(20_000, "c1"),)
    )
    step = decide(paid, cancelled)
    assert step.action is Action.RECORD_CANCEL and step.cancel == _cancel(20_000, "c1")
    assert not step.drop_intent
    # Our refund was pending (checksum 20000) when the console emptied the payment: that checksum can
    # never match again, so the cancel is booked and the dead intent dropped in the same step.
    intent = plan_refund(
        paid, [LineQuantity("tee", 1)], refund_id="r", reason="x", now=NOW, cancel_ref="ck-1"
    )
    step = decide(paid.evolve(pending_refund=intent), cancelled)
    assert step.action is Action.RECORD_CANCEL and step.drop_intent


def test_the_pending_refund_is_recognised_by_its_tag_and_amount_never_by_the_balance() -> None:
    paid = an_order(status=S.PAID, imp_uid="imp_1", earned=200)
    intent = plan_refund(
        paid, [LineQuantity("tee", 1)], refund_id="r", reason="x", now=NOW, cancel_ref="ck-1"
    )
    assert intent.amount == 5_000 and intent.iamport_reason.startswith("[ck-1]")
    pending = paid.evolve(pending_refund=intent)
    ours = _cancel(5_000, "c1", intent.iamport_reason)
    step = decide(pending, a_payment(paid, cancel_amount=5_000, cancels=(ours,)))
    assert step.action is Action.COMPLETE_REFUND and step.cancel == ours
    # A console cancel of the same amount is not ours: booked as an outside cancel, the intent dropped.
    console = _cancel(5_000, "c2")
    step = decide(pending, a_payment(paid, cancel_amount=5_000, cancels=(console,)))
    assert step.action is Action.RECORD_CANCEL and step.cancel == console and step.drop_intent
    # Ours, then a console cancel after it: ours first (oldest first), the other next.
    both = a_payment(paid, cancel_amount=8_000, cancels=(ours, _cancel(3_000, "c3")))
    assert decide(pending, both).action is Action.COMPLETE_REFUND
    # Nothing at I'mport yet and the balance still equals the checksum: the saga is running.
    assert decide(pending, a_payment(paid)).action is Action.NOTHING


def test_part_of_the_cash_cancelled_at_iamport_is_a_partial_cancel_recorded_once() -> None:
    from checkout.domain.order import RefundRecord
    from checkout.domain.refunds import plan_cancel_at_iamport

    paid = an_order(status=S.PAID, imp_uid="imp_1", earned=200)  # 20000 cash
    console = a_payment(paid, cancel_amount=5_000, cancels=(_cancel(5_000, "c1"),))
    assert decide(paid, console).action is Action.RECORD_CANCEL

    intent = plan_cancel_at_iamport(paid, 5_000, refund_id="co_c1", now=NOW, closes=True)
    assert (intent.lines, intent.amount, intent.points, intent.clawback, intent.final) == (
        (),
        5_000,
        0,
        50,
        False,
    )
    recorded = paid.evolve(
        status=S.PARTIALLY_CANCELLED,
        refunds=(RefundRecord("co_c1", 5_000, 0, 50, (), NOW, cancellation_id="c1"),),
    )
    again = decide(recorded, console)
    assert again.action is Action.NOTHING and again.repeat
    more = a_payment(paid, cancel_amount=8_000, cancels=(_cancel(5_000, "c1"), _cancel(3_000, "c2")))
    assert decide(recorded, more).cancel == _cancel(3_000, "c2")
    # The rest cancelled at I'mport is the whole order's cancel, with stock and points back.
    rest = plan_cancel_at_iamport(recorded, 15_000, refund_id="co_c2", now=NOW, closes=True)
    assert rest.final and rest.points == paid.points_used and len(rest.lines) == 2


def test_a_cancel_amount_the_history_does_not_list_is_booked_once_and_overbooking_is_flagged() -> None:
    from checkout.domain.order import RefundRecord

    paid = an_order(status=S.PAID, imp_uid="imp_1")
    unlisted = decide(paid, a_payment(paid, cancel_amount=4_000))
    assert unlisted.action is Action.RECORD_CANCEL and unlisted.cancel is not None
    assert unlisted.cancel.amount == 4_000
    booked_more = paid.evolve(refunds=(RefundRecord("x", 9_000, 0, 0, (), NOW, cancellation_id="cx"),))
    flagged = decide(booked_more, a_payment(paid, cancel_amount=4_000, cancels=(_cancel(4_000, "c9"),)))
    assert flagged.action is Action.NOTHING and flagged.disagree


def test_a_fully_cancelled_payment_closes_the_order_once_the_books_hold_every_cancel() -> None:
    from checkout.domain.order import RefundRecord

    paid = an_order(status=S.PARTIALLY_CANCELLED, imp_uid="imp_1")
    books = paid.evolve(refunds=(RefundRecord("r1", 20_000, 0, 0, (), NOW, cancellation_id="c1"),))
    emptied = a_payment(paid, status="cancelled", cancel_amount=20_000, cancels=(_cancel(20_000, "c1"),))
    assert decide(books, emptied).action is Action.CLOSE_CANCELLED
    assert decide(books.evolve(status=S.CANCELLED), emptied).action is Action.NOTHING


def test_a_deposit_into_a_mismatched_account_whose_void_failed_is_acted_on_again() -> None:
    from checkout.domain.order import StrayPayment

    failed = an_order(status=S.FAILED, pay_method="vbank").evolve(
        stray_payments=(StrayPayment("imp_v", 0, "amount_mismatch", NOW, unrefunded=0),)
    )
    deposited = a_payment(failed, imp_uid="imp_v", amount=1_000, pay_method="vbank")
    assert decide(failed, deposited).action is Action.REFUND_STRAY
    recorded = failed.evolve(
        stray_payments=(StrayPayment("imp_v", 0, "amount_mismatch", NOW, unrefunded=1_000),)
    )
    assert decide(recorded, deposited).action is Action.NOTHING  # already known to need a person


def test_an_account_issued_for_a_closed_order_is_voided() -> None:
    expired = an_order(status=S.EXPIRED, pay_method="vbank")
    issued = a_payment(expired, status="ready", pay_method="vbank", vbank_num="123", paid_at=None)
    assert decide(expired, issued).action is Action.VOID_STRAY


def test_a_mismatched_payment_already_refunded_is_still_a_mismatch_not_a_plain_failure() -> None:
    order = an_order()
    refunded = a_payment(order, amount=1_000, cancel_amount=1_000, status="cancelled")
    assert decide(order, refunded, owner=True).action is Action.CANCEL_MISMATCH
    assert decide(order, refunded).action is Action.REFUND_STRAY  # recorded; the order stays open
    # Paid and then cancelled at I'mport before anyone reported it: the money went back, whoever says so.
    cancelled_in_time = a_payment(order, cancel_amount=order.amount, status="cancelled")
    assert decide(order, cancelled_in_time).action is Action.FAIL


def test_a_pending_refund_from_before_tags_is_recognised_by_its_reason_and_amount() -> None:
    paid = an_order(status=S.PAID, imp_uid="imp_1")
    legacy = plan_refund(paid, [LineQuantity("tee", 1)], refund_id="r", reason="broken", now=NOW)
    assert legacy.cancel_ref == "" and legacy.iamport_reason == "broken"
    pending = paid.evolve(pending_refund=legacy)
    ours = a_payment(paid, cancel_amount=5_000, cancels=(_cancel(5_000, "c1", "broken"),))
    assert decide(pending, ours).action is Action.COMPLETE_REFUND


def test_cancels_booked_under_records_that_do_not_name_them_are_not_booked_again() -> None:
    from checkout.domain.order import RefundRecord

    paid = an_order(status=S.PARTIALLY_CANCELLED, imp_uid="imp_1")
    # One record for two console cancels (3000 + 2000), naming only the last of them, then a new cancel.
    books = paid.evolve(refunds=(RefundRecord("old", 5_000, 0, 0, (), NOW, cancellation_id="c2"),))
    history = (_cancel(3_000, "c1"), _cancel(2_000, "c2"), _cancel(4_000, "c3"))
    step = decide(books, a_payment(paid, cancel_amount=9_000, cancels=history))
    assert step.action is Action.RECORD_CANCEL and step.cancel == _cancel(4_000, "c3")
    # An unlisted cancel booked earlier, now listed by I'mport: nothing more to book.
    unlisted = paid.evolve(refunds=(RefundRecord("co_imp_1_3000", 3_000, 0, 0, (), NOW),))
    again = decide(unlisted, a_payment(paid, cancel_amount=3_000, cancels=(_cancel(3_000, "c1"),)))
    assert again.action is Action.NOTHING and not again.disagree
    # ... and a cancel after it is booked, once.
    later = a_payment(paid, cancel_amount=4_000, cancels=(_cancel(3_000, "c1"), _cancel(1_000, "c2")))
    assert decide(unlisted, later).cancel == _cancel(1_000, "c2")
    # A history that cannot add up to the balance change is left to a person.
    stuck = decide(
        books, a_payment(paid, cancel_amount=6_000, cancels=(_cancel(3_000, "c1"), _cancel(3_000, "c9")))
    )
    assert stuck.action is Action.NOTHING and stuck.disagree


def test_a_stray_refunded_without_the_books_hearing_of_it_is_recorded() -> None:
    paid = an_order(status=S.PAID, imp_uid="imp_1")
    refunded_elsewhere = a_payment(paid, imp_uid="imp_2", status="cancelled", cancel_amount=paid.amount)
    step = decide(paid, refunded_elsewhere)
    assert step.action is Action.RECORD_STRAY and step.reason == "duplicate"


def test_zero_amount_cancel_entries_move_nothing_in_the_books() -> None:
    from checkout.gateway.models import Payment
    from checkout.services.reconcile import payment_facts

    payment = Payment.model_validate(
        {
            "imp_uid": "imp_1",
            "merchant_uid": "ord_1",
            "amount": 20_000,
            "cancel_amount": 3_000,
            "currency": "KRW",
            "status": "paid",
            "cancel_history": [
                {"amount": 0, "cancelled_at": 5, "reason": "nothing", "cancellation_id": "c0"},
                {"amount": 3_000, "cancelled_at": 6, "reason": "console", "cancellation_id": "c1"},
            ],
        }
    )
    assert [c.cancellation_id for c in payment_facts(payment).cancels] == ["c1"]


def test_the_owner_s_report_of_another_attempt_never_ends_an_order_waiting_for_a_deposit() -> None:
    """Failing it would leave its account open for a deposit nobody expects: the other attempt's money
    goes back (or its account is voided) and the order keeps waiting."""
    order = an_order(pay_method="vbank").evolve(status=S.AWAITING_DEPOSIT, imp_uid="imp_vbank")
    forged = a_payment(order, imp_uid="imp_other", amount=100)
    decision = decide(order, forged, owner=True)
    assert decision.action is Action.REFUND_STRAY and decision.reason == "amount_mismatch"
    wrong_account = a_payment(
        order, imp_uid="imp_other", status="ready", pay_method="vbank", vbank_num="1", amount=5
    )
    assert decide(order, wrong_account, owner=True).action is Action.VOID_STRAY
    # Its refund already recorded: the owner's report of it changes nothing either.
    refunded = a_payment(order, imp_uid="imp_other", amount=100, status="cancelled", cancel_amount=100)
    recorded = order.evolve(stray_payments=(StrayPayment("imp_other", 100, "amount_mismatch", NOW, 0),))
    assert decide(recorded, refunded, owner=True).action is Action.NOTHING
    # The same report for an order not bound to an account still ends it.
    ready = an_order()
    assert decide(ready, a_payment(ready, amount=100), owner=True).action is Action.CANCEL_MISMATCH
    unbound = ready.evolve(stray_payments=recorded.stray_payments)
    assert (
        decide(
            unbound,
            a_payment(ready, imp_uid="imp_other", status="cancelled", cancel_amount=100, amount=100),
            owner=True,
        ).action
        is Action.FAIL
    )


def test_an_account_issued_for_an_order_placed_for_a_card_is_voided_and_the_order_stays_open() -> None:
    """Otherwise anyone who knows the merchant_uid could make a card order hold its stock for days."""
    order = an_order(pay_method="card")
    account = a_payment(
        order, status="ready", pay_method="vbank", vbank_num="123-456", vbank_due=NOW + timedelta(days=3)
    )
    for owner in (False, True):
        assert decide(order, account, owner=owner).action is Action.VOID_STRAY
