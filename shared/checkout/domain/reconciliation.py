"""What a payment, as I'mport reports it, means for an order (DESIGN §3). One decision table.

The verification rules: the payment belongs to this order (`merchant_uid`), is in KRW, carries exactly
the order's cash amount, and its status comes from I'mport's API (never from a browser or webhook body).
An `imp_uid` is bound to one order: any other paid payment for the same order is refunded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from checkout.domain.order import Order
from checkout.domain.status import REFUNDABLE, OrderStatus

S = OrderStatus


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
    cancellation_ids: tuple[str, ...] = field(default=())

    @property
    def cancellable(self) -> int:
        return self.amount - self.cancel_amount

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
    CONSOLE_CANCEL = "console_cancel"  # cancelled in I'mport's console: the order is cancelled with rollback
    # Part of the cash cancelled in I'mport's console: recorded as a cash refund without lines (which
    # goods came back is unknown), so the next refund's checksum and the buyer's history stay right.
    CONSOLE_PARTIAL_CANCEL = "console_partial_cancel"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str = ""
    repeat: bool = False  # True when this exact payment was already applied (a duplicate delivery)


def verify(order: Order, payment: PaymentFacts) -> bool:
    """The amount and currency checks (merchant_uid is checked before anything else)."""
    return payment.currency == "KRW" and payment.amount == order.amount


def decide(order: Order, payment: PaymentFacts) -> Decision:
    if payment.merchant_uid != order.merchant_uid:
        return Decision(Action.REFUSE, "the payment belongs to another order")
    if order.is_open:
        return _decide_open(order, payment)
    return _decide_closed(order, payment)


def _decide_open(order: Order, p: PaymentFacts) -> Decision:
    bound_elsewhere = order.imp_uid is not None and p.imp_uid != order.imp_uid
    mismatch = f"paid {p.amount} {p.currency}, expected {order.amount} KRW"
    if p.status == "paid":
        if not verify(order, p):
            return Decision(Action.CANCEL_MISMATCH, mismatch)
        return Decision(Action.PAY)
    if p.status == "ready":
        if not p.is_issued_vbank:
            return Decision(Action.NOTHING, "payment window not completed")
        if not verify(order, p):
            return Decision(
                Action.VOID_MISMATCH,
                f"virtual account for {p.amount} {p.currency}, expected {order.amount} KRW",
            )
        if order.status is S.READY:
            return Decision(Action.AWAIT_DEPOSIT)
        return Decision(Action.NOTHING, "virtual account already issued", repeat=not bound_elsewhere)
    if p.status in ("failed", "cancelled"):
        if bound_elsewhere:
            # An older attempt failing says nothing about the account the buyer is paying into.
            return Decision(Action.NOTHING, "another attempt of this order is pending")
        if p.status == "cancelled" and not verify(order, p):
            # A mismatched payment already refunded (by a racing report, or one that died before its
            # write) is still a forgery: flagged and recorded like one, not passed off as a failure.
            return Decision(Action.CANCEL_MISMATCH, mismatch)
        return Decision(Action.FAIL, p.fail_reason or f"payment {p.status}")
    return Decision(Action.NOTHING, f"payment status {p.status!r} is not final")


def _decide_closed(order: Order, p: PaymentFacts) -> Decision:
    if any(stray.imp_uid == p.imp_uid for stray in order.stray_payments):
        return Decision(Action.NOTHING, "stray payment already refunded", repeat=True)
    if p.imp_uid == order.imp_uid and order.status not in (S.FAILED, S.EXPIRED):
        cancelled_outside = p.status == "cancelled" or p.cancel_amount > order.cash_refunded
        if order.status in REFUNDABLE and cancelled_outside:
            if order.pending_refund is not None:
                # Our own refund saga moved the payment; the saga (or the sweeper) records it.
                return Decision(Action.NOTHING, "refund in progress")
            if p.status == "cancelled" or p.cancellable <= 0:
                return Decision(Action.CONSOLE_CANCEL, "cancelled at I'mport")
            return Decision(Action.CONSOLE_PARTIAL_CANCEL, "partially cancelled at I'mport")
        return Decision(Action.NOTHING, "already applied", repeat=True)
    if p.status == "paid" and p.cancellable > 0:
        # Money arrived for an order that no longer takes it (late), or a second time (duplicate).
        late = order.status in (S.FAILED, S.EXPIRED)
        return Decision(Action.REFUND_STRAY, "late_success" if late else "duplicate")
    return Decision(
        Action.NOTHING, "payment does not change a closed order", repeat=p.imp_uid == order.imp_uid
    )
