"""`reconcile`: the ONE place that decides what a payment means for an order (docs/design.md#state-machine).

The browser completion, the mobile redirect, the webhook and the sweeper all end here. It re-reads the
order (consistently), asks I'mport what really happened, decides with `domain.reconciliation.decide`,
and writes the outcome as one conditional transaction. When another caller won the race, the write
fails on the order's version; the order is re-read and the decision made again, which then finds the
winner's result and returns it. That is how the same payment is applied exactly once without locks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from checkout import error_codes as codes
from checkout.domain.order import Order, StrayPayment, VbankAccount
from checkout.domain.reconciliation import BOOKKEEPING, Action, CancelFact, Decision, PaymentFacts, decide
from checkout.domain.refunds import plan_cancel_at_iamport, plan_refund
from checkout.domain.status import OrderStatus
from checkout.domain.transitions import (
    complete_refund,
    drop_refund_intent,
    mark_awaiting_deposit,
    mark_paid,
    record_stray_payment,
    roll_back,
)
from checkout.errors import (
    BadRequest,
    GatewayUnavailable,
    OrderNotFound,
    OrderStateConflict,
    RequestInProgress,
    StaleOrder,
)
from checkout.inputs import WebhookInput
from checkout.observability import count, logger
from checkout.ports import (
    CancelRejected,
    IamportRejected,
    OrderRepository,
    Payment,
    PaymentGateway,
    PaymentNotFound,
)
from checkout.services.results import Actor

# The owner's decisions that end an open order.
ENDS_ORDER = frozenset({Action.FAIL, Action.CANCEL_MISMATCH, Action.VOID_MISMATCH})

# Each lost race means another caller moved the order; a handful of rounds always settles it.
MAX_ROUNDS = 8


def _time(unix: int | None) -> datetime | None:
    return datetime.fromtimestamp(unix, UTC) if unix else None


def payment_facts(payment: Payment) -> PaymentFacts:
    """The gateway's Payment, reduced to what the decision reads."""
    return PaymentFacts(
        imp_uid=payment.imp_uid,
        merchant_uid=payment.merchant_uid,
        status=payment.status,
        amount=payment.amount,
        cancel_amount=payment.cancel_amount,
        currency=payment.currency,
        pay_method=payment.pay_method,
        vbank_name=payment.vbank_name,
        vbank_code=payment.vbank_code,
        vbank_num=payment.vbank_num,
        vbank_holder=payment.vbank_holder,
        vbank_due=_time(payment.vbank_date),
        paid_at=_time(payment.paid_at),
        fail_reason=payment.fail_reason,
        cancels=tuple(
            CancelFact(
                amount=c.amount,
                cancellation_id=c.cancellation_id,
                reason=c.reason or "",
                cancelled_at=_time(c.cancelled_at),
            )
            # Oldest first (a stable sort keeps I'mport's order for ties); an entry that moved no money
            # changes nothing in the books.
            for c in sorted(payment.cancel_history, key=lambda c: c.cancelled_at or 0)
            if c.amount > 0
        ),
    )


def payment_snapshot(p: PaymentFacts) -> dict[str, object]:
    """What the order keeps of the verified payment (no buyer or card data)."""
    return {
        "imp_uid": p.imp_uid,
        "status": p.status,
        "amount": p.amount,
        "cancel_amount": p.cancel_amount,
        "currency": p.currency,
        "pay_method": p.pay_method,
        "paid_at": p.paid_at.isoformat() if p.paid_at else None,
    }


class Reconciler:
    def __init__(
        self,
        *,
        orders: OrderRepository,
        gateway: PaymentGateway,
        earn_bp: int,
        clock: Callable[[], datetime],
        vbank_ttl: timedelta = timedelta(hours=72),
    ) -> None:
        self._orders = orders
        self._gateway = gateway
        self._earn_bp = earn_bp
        self._clock = clock
        self._vbank_ttl = vbank_ttl

    def handle_webhook(self, note: WebhookInput) -> Order | None:
        """I'mport's notification: only a pointer (V1 webhooks are unsigned); `note.status` is ignored."""
        log = {"merchant_uid": note.merchant_uid, "imp_uid": note.imp_uid, "claimed_status": note.status}
        try:
            return self.reconcile(note.merchant_uid, note.imp_uid)
        except OrderNotFound:
            logger.info("webhook for an unknown order", extra=log)
            return None

    def reconcile(
        self, merchant_uid: str, imp_uid: str | None = None, *, owner: Actor | None = None
    ) -> Order:
        """Bring the order to what I'mport says of its payment. `owner`: the report is the signed-in buyer's
        (the order must be theirs, or the caller an admin); only they may have a failed attempt end it."""
        order = self._read(merchant_uid)
        if owner is not None and order.user_id != owner.user_id and not owner.is_admin:
            raise OrderNotFound(f"no order {merchant_uid}")
        payment = self._fetch(order, imp_uid)
        if payment is None:
            return order
        if owner is not None and order.is_open:
            order = self._other_attempt_first(order, payment)
        return self.converge(order, payment, owner=owner is not None)

    def _other_attempt_first(self, order: Order, payment: Payment) -> Order:
        """Before the owner's report of one attempt ends the order (it failed, or paid the wrong amount),
        a newer attempt of the same order that paid, or that was issued a virtual account, is applied:
        the page's late report of an abandoned attempt must not fail an order another attempt paid."""
        if decide(order, payment_facts(payment), owner=True).action not in ENDS_ORDER:
            return order
        other = self._gateway.find_payment(order.merchant_uid, "paid")
        if other is None:
            latest = self._gateway.find_payment(order.merchant_uid)
            if latest is not None and latest.status == "ready" and payment_facts(latest).is_issued_vbank:
                other = latest
        if other is None or other.imp_uid == payment.imp_uid:
            return order
        logger.info(
            "another attempt of the order settles it first",
            extra={"merchant_uid": order.merchant_uid, "imp_uid": payment.imp_uid, "other": other.imp_uid},
        )
        return self.converge(order, other, owner=True)

    def cancel_open(self, actor: Actor, merchant_uid: str) -> Order:
        """The buyer gives up an unpaid order: stock, points and cart come back, an account is voided.

        I'mport is asked first: a payment that already went through wins (the order is paid; refund it
        instead). Cancelling an order that already failed or expired answers it as it is.
        """
        order = self.reconcile(merchant_uid, owner=actor)
        for _ in range(MAX_ROUNDS):
            if not order.is_open:
                if order.status in (OrderStatus.FAILED, OrderStatus.EXPIRED):
                    return order
                raise OrderStateConflict(
                    f"order {merchant_uid} is {order.status.value}: ask for a refund instead"
                )
            if order.status is OrderStatus.AWAITING_DEPOSIT and order.imp_uid:
                try:
                    self._gateway.void_vbank(order.imp_uid)
                except (IamportRejected, PaymentNotFound):
                    # Not an unpaid account any more: maybe the deposit just arrived. Look again.
                    order = self.reconcile(merchant_uid, order.imp_uid, owner=actor)
                    continue
            try:
                new = self._orders.apply(
                    roll_back(order, OrderStatus.FAILED, reason="cancelled by the buyer", now=self._clock())
                )
            except StaleOrder:
                order = self._read(merchant_uid)
                continue
            logger.info("order cancelled by the buyer", extra={"merchant_uid": merchant_uid})
            count("OrdersCancelledByBuyer")
            return new
        raise RequestInProgress("the order is being updated; retry shortly", retry_after_s=1)

    def converge(self, order: Order, payment: Payment, *, owner: bool = False) -> Order:
        """Bring `order` to what I'mport's record of `payment` says: the one convergence rule.

        Each step is one conditional transaction; book-only steps (paid, a cancel nobody told us about,
        our own refund found in the history) are followed by another look at the same record, so one
        report applies everything it proves. A lost race re-reads the order and decides again.
        """
        facts = payment_facts(payment)
        first = True
        for _ in range(MAX_ROUNDS + 2 * len(facts.cancels)):
            decision = decide(order, facts, owner=owner)
            if decision.action is Action.NOTHING:
                self._nothing(order, facts, decision, counted=first)
                return order
            try:
                new = self._act(order, facts, decision)
            except StaleOrder:
                # Someone else moved the order: decide again on the order as it is now and on I'mport's
                # record read after it, never on a record older than the order (it could call a refund
                # recorded meanwhile dead, or miss a cancel this step just asked for).
                order = self._read(order.merchant_uid)
                facts = payment_facts(self._gateway.get_payment(facts.imp_uid))
                continue
            if decision.action not in BOOKKEEPING:
                return new  # I'mport was asked to change something: the record read is stale now
            order, first = new, False
        logger.warning(
            "reconcile did not settle", extra={"merchant_uid": order.merchant_uid, "imp_uid": facts.imp_uid}
        )
        raise RequestInProgress("the order is being updated; retry shortly", retry_after_s=1)

    def _nothing(self, order: Order, p: PaymentFacts, decision: Decision, *, counted: bool) -> None:
        if decision.repeat and counted:
            count("DuplicateDelivery")
        if decision.disagree:
            # No rule can settle it (the books show a refund I'mport does not, a history that does not
            # add up): the settlement audit reports it and an operator decides.
            logger.error(
                "the books disagree with I'mport",
                extra={
                    "merchant_uid": order.merchant_uid,
                    "imp_uid": p.imp_uid,
                    "reason": decision.reason,
                    "iamport_cancelled": p.cancel_amount,
                    "books_refunded": order.cash_refunded,
                },
            )
            count("BooksDisagree")

    def _read(self, merchant_uid: str) -> Order:
        order = self._orders.get(merchant_uid, consistent=True)
        if order is None:
            raise OrderNotFound(f"no order {merchant_uid}")
        return order

    def _fetch(self, order: Order, imp_uid: str | None) -> Payment | None:
        if imp_uid:
            try:
                return self._gateway.get_payment(imp_uid)
            except PaymentNotFound:
                raise BadRequest(f"I'mport knows no payment {imp_uid}", code=codes.UNKNOWN_PAYMENT) from None
        if order.amount == 0 and order.imp_uid is None:
            return None  # paid with points: there is no I'mport payment to look at
        # Without an imp_uid, a paid attempt wins over later failed or abandoned ones
        # (docs/iamport-v1.md#find-by-merchant-uid).
        paid = self._gateway.find_payment(order.merchant_uid, "paid")
        if paid is not None:
            return paid
        if order.imp_uid:
            return self._gateway.get_payment(order.imp_uid)
        return self._gateway.find_payment(order.merchant_uid)

    def _act(self, order: Order, p: PaymentFacts, decision: Decision) -> Order:
        log = {"merchant_uid": order.merchant_uid, "imp_uid": p.imp_uid, "action": decision.action.value}
        now = self._clock()
        match decision.action:
            case Action.NOTHING:
                return order
            case Action.REFUSE:
                logger.warning(
                    "payment belongs to another order", extra={**log, "payment_merchant_uid": p.merchant_uid}
                )
                raise BadRequest(
                    "the payment does not belong to this order", code=codes.PAYMENT_ORDER_MISMATCH
                )
            case Action.PAY:
                superseded = order.imp_uid if order.imp_uid and order.imp_uid != p.imp_uid else None
                new = self._orders.apply(
                    mark_paid(
                        order,
                        imp_uid=p.imp_uid,
                        payment=payment_snapshot(p),
                        paid_at=p.paid_at or now,
                        now=now,
                        earn_bp=self._earn_bp,
                    )
                )
                logger.info("payment verified: order paid", extra=log)
                count("PaymentsVerified")
                if superseded:
                    self._void_quietly(superseded, order.merchant_uid)
                return new
            case Action.AWAIT_DEPOSIT:
                # Until the account exists the order holds stock only for the card TTL; from now on it
                # waits for the deposit until the bank's due date (never past the shop's own limit).
                limit = order.created_at + self._vbank_ttl
                due = min(p.vbank_due, limit) if p.vbank_due else limit
                vbank = VbankAccount(
                    bank=p.vbank_name or p.vbank_code or "",
                    number=p.vbank_num or "",
                    holder=p.vbank_holder,
                    due=due,
                )
                new = self._orders.apply(
                    mark_awaiting_deposit(
                        order,
                        imp_uid=p.imp_uid,
                        vbank=vbank,
                        payment=payment_snapshot(p),
                        now=now,
                        expires_at=max(due, order.expires_at),
                    )
                )
                logger.info("virtual account issued", extra=log)
                return new
            case Action.FAIL:
                self._void_bound_account(order, p)
                new = self._orders.apply(
                    roll_back(
                        order,
                        OrderStatus.FAILED,
                        reason=decision.reason,
                        now=now,
                        imp_uid=order.imp_uid or p.imp_uid,
                    )
                )
                logger.info("payment failed: order rolled back", extra=log)
                count("OrdersFailed")
                return new
            case Action.CANCEL_MISMATCH | Action.VOID_MISMATCH:
                logger.error("payment does not match the order", extra={**log, "reason": decision.reason})
                self._void_bound_account(order, p)
                if decision.action is Action.CANCEL_MISMATCH:
                    after = self.refund_whole(p, "amount does not match the order")
                else:
                    self._void_quietly(p.imp_uid, order.merchant_uid)
                    after = p
                new = self._orders.apply(
                    roll_back(
                        order,
                        OrderStatus.FAILED,
                        reason="payment amount mismatch",
                        now=now,
                        stray=self._stray(after, "amount_mismatch", now),
                    )
                )
                count("AmountMismatch")
                count("OrdersFailed")
                return new
            case Action.REFUND_STRAY:
                after = self.refund_whole(
                    p, "duplicate payment" if decision.reason == "duplicate" else "order no longer payable"
                )
                new = self._orders.apply(
                    record_stray_payment(order, self._stray(after, decision.reason, now), now)
                )
                logger.warning("stray payment refunded", extra={**log, "reason": decision.reason})
                count(
                    {"duplicate": "DuplicatePayment", "amount_mismatch": "AmountMismatch"}.get(
                        decision.reason, "LateSuccessRefunded"
                    )
                )
                return new
            case Action.RECORD_STRAY:
                new = self._orders.apply(
                    record_stray_payment(order, self._stray(p, decision.reason, now), now)
                )
                logger.warning("refunded stray payment recorded", extra={**log, "reason": decision.reason})
                return new
            case Action.VOID_STRAY:
                self._void_quietly(p.imp_uid, order.merchant_uid)
                logger.warning("virtual account of a closed order voided", extra=log)
                return order
            case Action.COMPLETE_REFUND:
                intent = order.pending_refund
                assert intent is not None and decision.cancel is not None
                new = self._orders.apply(complete_refund(order, intent, now, decision.cancel.cancellation_id))
                logger.info("refund found at I'mport: recorded", extra={**log, "refund_id": intent.id})
                count("RefundsIssued")
                return new
            case Action.RECORD_CANCEL:
                cancel = decision.cancel
                assert cancel is not None
                refund_id = (
                    f"co_{cancel.cancellation_id}"
                    if cancel.cancellation_id
                    else f"co_{p.imp_uid}_{order.cash_refunded + cancel.amount}"
                )
                intent = plan_cancel_at_iamport(
                    order,
                    cancel.amount,
                    refund_id=refund_id,
                    now=now,
                    closes=order.pending_refund is None or decision.drop_intent,
                )
                new = self._orders.apply(
                    complete_refund(
                        order,
                        intent,
                        now,
                        cancel.cancellation_id,
                        clears_pending=decision.drop_intent or order.pending_refund is None,
                    )
                )
                logger.info(
                    "payment cancelled at I'mport outside the checkout: recorded",
                    extra={
                        **log,
                        "amount": cancel.amount,
                        "status": new.status.value,
                        "dropped_refund": decision.drop_intent,
                    },
                )
                count("CancelledAtIamport")
                return new
            case Action.CLOSE_CANCELLED:
                intent = plan_refund(
                    order, None, refund_id=f"co_{p.imp_uid}_close", reason="cancelled at I'mport", now=now
                )
                new = self._orders.apply(complete_refund(order, intent, now))
                logger.info("nothing left at I'mport: order cancelled", extra=log)
                return new
            case Action.DROP_DEAD_INTENT:
                intent = order.pending_refund
                assert intent is not None
                new = self._orders.apply(drop_refund_intent(order, now))
                logger.warning(
                    "pending refund can no longer go through: dropped",
                    extra={**log, "refund_id": intent.id, "cancellable": p.cancellable},
                )
                return new
        raise AssertionError(f"unhandled decision {decision.action}")

    @staticmethod
    def _stray(p: PaymentFacts, reason: str, now: datetime) -> StrayPayment:
        """What I'mport's record says of a payment that must not count: cancelled, and still held."""
        return StrayPayment(p.imp_uid, p.cancel_amount, reason, now, unrefunded=p.held)

    def refund_whole(self, p: PaymentFacts, reason: str) -> PaymentFacts:
        """Refund everything still cancellable on a payment that must not count; I'mport's record after.

        The checksum (the cancellable amount we saw) makes a concurrent or repeated attempt harmless:
        I'mport refuses the second, and the re-read shows where the money is.
        """
        if p.held <= 0:
            return p
        try:
            return payment_facts(
                self._gateway.cancel(
                    imp_uid=p.imp_uid, amount=p.cancellable, checksum=p.cancellable, reason=reason
                )
            )
        except CancelRejected as exc:
            fresh = payment_facts(self._gateway.get_payment(p.imp_uid))
            if fresh.held > 0:
                # e.g. a paid virtual account needs a refund account I'mport never had: an operator must act.
                logger.error(
                    "stray payment could not be refunded",
                    extra={"merchant_uid": p.merchant_uid, "imp_uid": p.imp_uid, "iamport_code": exc.code},
                )
                count("StrayRefundRejected")
            return fresh

    def _void_bound_account(self, order: Order, p: PaymentFacts) -> None:
        """An order that ends while waiting for a deposit into another attempt's account closes it."""
        if order.status is OrderStatus.AWAITING_DEPOSIT and order.imp_uid and order.imp_uid != p.imp_uid:
            self._void_quietly(order.imp_uid, order.merchant_uid)

    def _void_quietly(self, imp_uid: str, merchant_uid: str) -> None:
        """Close a virtual account that must no longer take a deposit. Best effort: a deposit that still
        arrives is a stray payment and is refunded."""
        try:
            self._gateway.void_vbank(imp_uid)
        except (IamportRejected, PaymentNotFound, GatewayUnavailable) as exc:
            logger.info(
                "virtual account not voided",
                extra={"merchant_uid": merchant_uid, "imp_uid": imp_uid, "error": type(exc).__name__},
            )
