"""What a payment, as I'mport reports it, means for an order (docs/design.md#state-machine). One decision
table.

The verification rules: the payment belongs to this order (`merchant_uid`), is in KRW, carries exactly
the order's cash amount, and its status comes from I'mport's API (never from a browser or webhook body).
An `imp_uid` is bound to one order: any other paid payment for the same order is refunded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from checkout.domain.order import Order, RefundIntent
from checkout.domain.status import REFUNDABLE, OrderStatus


@dataclass(frozen=True)
class CancelFact:
    """One entry of the payment's `cancel_history`: a full or partial cancel, whoever made it."""

    amount: int
    cancellation_id: str | None = None
    reason: str = ""
    cancelled_at: datetime | None = None


@dataclass(frozen=True)
class PaymentFacts:
    """The fields of an I'mport payment the decision needs (read from the API)."""

    imp_uid: str
    merchant_uid: str
    status: str  # ready | paid | failed | cancelled (the list may grow)
    amount: int
    cancel_amount: int
    currency: str | None
    pay_method: str | None = None
    vbank_name: str | None = None
    vbank_code: str | None = None
    vbank_num: str | None = None
    vbank_holder: str | None = None
    vbank_due: datetime | None = None
    paid_at: datetime | None = None
    fail_reason: str | None = None
    cancels: tuple[CancelFact, ...] = field(default=())  # oldest first, as I'mport lists them

    @property
    def cancellable(self) -> int:
        return self.amount - self.cancel_amount

    @property
    def held(self) -> int:
        """Cash I'mport holds for this payment: what is left of a paid one, nothing otherwise."""
        return max(self.cancellable, 0) if self.status == "paid" else 0

    @property
    def is_issued_vbank(self) -> bool:
        return self.pay_method == "vbank" and bool(self.vbank_num)


class Action(StrEnum):
    NOTHING = "nothing"  # the order already reflects this payment (or the payment changes nothing)
    REFUSE = "refuse"  # the payment belongs to another order
    PAY = "pay"
    AWAIT_DEPOSIT = "await_deposit"
    FAIL = "fail"  # payment failed or was cancelled before it counted: roll back
    CANCEL_MISMATCH = "cancel_mismatch"  # forged/mismatched paid payment: cancel at I'mport, then fail
    VOID_MISMATCH = "void_mismatch"  # a virtual account issued for the wrong amount: void it, then fail
    REFUND_STRAY = "refund_stray"  # a second (or late) paid payment: refund it, record it
    VOID_STRAY = "void_stray"  # a virtual account issued for an order that no longer takes money: void it
    RECORD_STRAY = "record_stray"  # a payment already refunded at I'mport that the books do not show
    # The cancel convergence of a paid order: one step per entry of I'mport's cancel_history that the
    # books do not have yet, oldest first, each its own conditional transaction.
    COMPLETE_REFUND = "complete_refund"  # the pending refund's own cancel is at I'mport: record it
    RECORD_CANCEL = "record_cancel"  # a cancel nobody told us about (console, another system): record it
    CLOSE_CANCELLED = "close_cancelled"  # I'mport holds nothing more: the order is cancelled, goods back
    DROP_DEAD_INTENT = "drop_dead_intent"  # the pending refund's checksum can never match again


# Decisions that only write the books: after them the same payment is looked at again, so that every
# step it implies (paid, then a cancel made before the first report, ...) is applied in one call.
BOOKKEEPING = frozenset(
    {
        Action.PAY,
        Action.AWAIT_DEPOSIT,
        Action.COMPLETE_REFUND,
        Action.RECORD_CANCEL,
        Action.CLOSE_CANCELLED,
        Action.DROP_DEAD_INTENT,
        Action.RECORD_STRAY,
    }
)


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str = ""
    repeat: bool = False  # True when this exact payment was already applied (a duplicate delivery)
    cancel: CancelFact | None = None  # COMPLETE_REFUND / RECORD_CANCEL: the history entry
    drop_intent: bool = False  # RECORD_CANCEL: the pending refund died with this cancel
    disagree: bool = False  # the books and I'mport differ in a way no rule can settle: a person must look


def verify(order: Order, payment: PaymentFacts) -> bool:
    """The amount and currency checks (merchant_uid is checked before anything else)."""
    return payment.currency == "KRW" and payment.amount == order.amount


def decide(order: Order, payment: PaymentFacts, *, owner: bool = False) -> Decision:
    """What `payment` means for `order`.

    `owner`: the report comes from the order's own buyer, signed in. Anyone else (I'mport's webhook, the
    mobile redirect, the sweeper) only moves an order forward on what I'mport's record proves about money:
    paid, an account issued, cancelled at I'mport, a stray refunded. A failed or abandoned attempt they
    report leaves the order open, so the buyer can pay again with the same merchant_uid; and a payment
    with the wrong amount is refunded without failing the order (a stranger who knows the merchant_uid
    must not be able to end someone else's order). Only the owner's report of a failure, the owner's
    cancel and expiry roll an order back; and not even the owner's report of another attempt ends an
    order bound to a virtual account (that account would stay open for a deposit nobody expects).
    """
    if payment.merchant_uid != order.merchant_uid:
        return Decision(Action.REFUSE, "the payment belongs to another order")
    stray = next((s for s in order.stray_payments if s.imp_uid == payment.imp_uid), None)
    if stray is not None:
        if payment.held > stray.unrefunded:
            # I'mport holds more of it than the books say (a deposit into an account whose void failed,
            # a refund that was refused): act on it again.
            return Decision(Action.REFUND_STRAY, stray.reason)
        bound_elsewhere = order.imp_uid is not None and payment.imp_uid != order.imp_uid
        if owner and order.is_open and stray.reason == "amount_mismatch" and not bound_elsewhere:
            # The buyer's own report of the attempt that paid the wrong amount (already refunded): the
            # order fails, as it would have had the buyer's report come first.
            return Decision(Action.FAIL, "payment amount mismatch")
        return Decision(Action.NOTHING, "stray payment already recorded", repeat=True)
    if order.is_open:
        return _decide_open(order, payment, owner=owner)
    return _decide_closed(order, payment)


def _decide_open(order: Order, p: PaymentFacts, *, owner: bool) -> Decision:
    bound_elsewhere = order.imp_uid is not None and p.imp_uid != order.imp_uid
    mismatch = f"paid {p.amount} {p.currency}, expected {order.amount} KRW"
    if p.status == "paid":
        if not verify(order, p):
            if owner and not bound_elsewhere:
                return Decision(Action.CANCEL_MISMATCH, mismatch)
            # A stranger's report, or another attempt beside the account the buyer is paying into: the
            # wrong amount is refunded and the order stays as it is.
            return Decision(Action.REFUND_STRAY, "amount_mismatch")
        return Decision(Action.PAY)
    if p.status == "ready":
        if not p.is_issued_vbank:
            return Decision(Action.NOTHING, "payment window not completed")
        if order.pay_method != "vbank":
            # Someone chose a virtual account in the window for an order placed for another method: it
            # would hold the order's stock until the bank's due date. It is voided; the order stays open.
            return Decision(Action.VOID_STRAY, "virtual account for an order not placed for one")
        if not verify(order, p):
            if owner and not bound_elsewhere:
                return Decision(
                    Action.VOID_MISMATCH,
                    f"virtual account for {p.amount} {p.currency}, expected {order.amount} KRW",
                )
            return Decision(Action.VOID_STRAY, "virtual account for another amount")
        if order.status is OrderStatus.READY:
            return Decision(Action.AWAIT_DEPOSIT)
        return Decision(Action.NOTHING, "virtual account already issued", repeat=not bound_elsewhere)
    if p.status in ("failed", "cancelled"):
        if bound_elsewhere:
            # An older attempt failing says nothing about the account the buyer is paying into.
            return Decision(Action.NOTHING, "another attempt of this order is pending")
        if p.status == "cancelled" and not verify(order, p):
            # A mismatched payment already refunded (by a racing report, or one that died before its
            # write) is still a forgery: flagged and recorded like one, not passed off as a failure.
            if owner:
                return Decision(Action.CANCEL_MISMATCH, mismatch)
            return Decision(Action.REFUND_STRAY, "amount_mismatch")
        if owner or (p.status == "cancelled" and p.cancel_amount > 0):
            # The buyer says so, or the money came and went back at I'mport.
            return Decision(Action.FAIL, p.fail_reason or f"payment {p.status}")
        return Decision(Action.NOTHING, "the attempt failed; the order stays open for another one")
    return Decision(Action.NOTHING, f"payment status {p.status!r} is not final")


def _decide_closed(order: Order, p: PaymentFacts) -> Decision:
    if p.imp_uid == order.imp_uid and order.status not in (OrderStatus.FAILED, OrderStatus.EXPIRED):
        if order.status in REFUNDABLE or order.pending_refund is not None:
            return converge_cancels(order, p)
        return Decision(Action.NOTHING, "already applied", repeat=True)
    if p.status == "paid" and p.cancellable > 0:
        # Money arrived for an order that no longer takes it (late), or a second time (duplicate).
        late = order.status in (OrderStatus.FAILED, OrderStatus.EXPIRED)
        return Decision(Action.REFUND_STRAY, "late_success" if late else "duplicate")
    if p.status == "ready" and p.is_issued_vbank:
        # An account issued after the order closed (or for a second attempt): no deposit may land in it.
        return Decision(Action.VOID_STRAY, "virtual account of a closed order")
    if p.cancel_amount > 0 and p.imp_uid != order.imp_uid:
        # Money that came and went back without the books hearing of it (a stray refunded by a request
        # whose write was lost, or by hand): keep the evidence, so the audit finds it accounted for.
        late = order.status in (OrderStatus.FAILED, OrderStatus.EXPIRED)
        return Decision(Action.RECORD_STRAY, "late_success" if late else "duplicate")
    return Decision(
        Action.NOTHING, "payment does not change a closed order", repeat=p.imp_uid == order.imp_uid
    )


def is_own_cancel(entry: CancelFact, intent: RefundIntent) -> bool:
    """The pending refund's own cancel: its tag in the reason I'mport echoes, and its amount.

    An intent recorded before refunds were tagged sent its plain reason: the same reason and amount.
    """
    if entry.amount != intent.amount:
        return False
    if intent.cancel_ref:
        return f"[{intent.cancel_ref}]" in entry.reason
    return entry.reason == intent.reason


def _recorded(order: Order, entry: CancelFact) -> bool:
    for refund in order.refunds:
        if entry.cancellation_id and refund.cancellation_id == entry.cancellation_id:
            return True
        if refund.cancel_ref and f"[{refund.cancel_ref}]" in entry.reason and refund.amount == entry.amount:
            return True
    return False


def _new_cancels(
    unrecorded: list[CancelFact], gap: int, imp_uid: str, cancel_amount: int
) -> list[CancelFact] | None:
    """The cancels the books lack: together exactly `gap`, what I'mport cancelled beyond the books.

    Normally that is every entry no refund names. When they add up to more, some are already booked under
    records that do not name them (an unlisted cancel booked before the history showed it, a record from
    before cancels were matched one by one): the newest entries that add up to the gap are the new ones.
    When they add up to less, the history misses a cancel: the difference is one unlisted cancel, last.
    None: no way to read the history that adds up; a person must look.
    """
    total = sum(c.amount for c in unrecorded)
    if total == gap:
        return unrecorded
    if total < gap:
        unlisted = CancelFact(
            amount=gap - total, reason=f"unlisted cancel up to {cancel_amount} on {imp_uid}"
        )
        return [*unrecorded, unlisted]
    running = 0
    for start in range(len(unrecorded) - 1, -1, -1):
        running += unrecorded[start].amount
        if running == gap:
            return unrecorded[start:]
        if running > gap:
            break
    return [] if gap == 0 else None


def converge_cancels(order: Order, p: PaymentFacts) -> Decision:
    """The next step that brings a paid order's refunds to what I'mport's cancel_history says.

    I'mport's record is the truth: every cancel in its history is in the books exactly once, oldest first,
    whoever made it, and never more than I'mport's `cancel_amount` beyond what the books hold. The pending
    refund (if any) is ours when its tag and amount are in the history; it is dead when it is not there and
    the balance no longer equals its checksum (the balance only falls, so I'mport will refuse that
    checksum for ever): it is dropped with the cancel that killed it, and the refund is planned again on
    the corrected books.
    """
    intent = order.pending_refund
    gap = p.cancel_amount - order.cash_refunded
    unrecorded = [c for c in p.cancels if not _recorded(order, c)]
    new = _new_cancels(unrecorded, gap, p.imp_uid, p.cancel_amount) if gap >= 0 else []
    if new is None:
        return Decision(Action.NOTHING, "the cancel history does not add up to the balance", disagree=True)
    own = next((c for c in new if intent is not None and is_own_cancel(c, intent)), None)
    if own is not None and own is new[0]:
        return Decision(Action.COMPLETE_REFUND, "our refund is at I'mport", cancel=own)
    alive = intent is not None and (own is not None or intent.amount == 0 or p.cancellable == intent.checksum)
    outside = [c for c in new if c is not own]
    if outside:
        return Decision(
            Action.RECORD_CANCEL,
            "cancelled at I'mport",
            cancel=outside[0],
            drop_intent=intent is not None and not alive,
        )
    if intent is not None and not alive:
        return Decision(Action.DROP_DEAD_INTENT, "the refund's checksum no longer matches", disagree=gap < 0)
    if intent is not None:
        return Decision(Action.NOTHING, "refund in progress")
    if gap < 0:
        return Decision(Action.NOTHING, "the books show more refunded than I'mport", disagree=True)
    if p.held == 0 and order.status is not OrderStatus.CANCELLED:
        return Decision(Action.CLOSE_CANCELLED, "nothing left at I'mport")
    return Decision(Action.NOTHING, "already applied", repeat=True)
