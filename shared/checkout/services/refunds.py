"""Refunds as a saga (docs/RELIABILITY.md, "Refunds").

1. Record the intent on the order (conditional write): lines, cash part, points part, the checksum
   = the cash our records say I'mport can still cancel, and a fresh tag (`cancel_ref`).
2. Ask I'mport to cancel that cash with that checksum, the tag inside the `reason`.
3. Record the result in one transaction (status, stock, points, ledger, refunds list; intent cleared).

Whose cancel is it: I'mport echoes the reason in the payment's `cancel_history`, so the saga knows its
own cancel by the tag and the amount, never by how far the balance fell (someone may cancel in the
console at the same moment). A crash between 2 and 3 leaves the intent; whoever resumes it (the same
Idempotency-Key, the sweeper, or any report of the payment) looks for the tag in the history first.

A refused cancel means: re-read the payment, converge the order to it (cancels nobody told us about are
booked, and an intent whose checksum can no longer match is dropped), then plan the refund again on the
corrected books. The API answers 200 only when money moved for this refund (or nothing had to).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime

from checkout import error_codes as codes
from checkout.domain.order import LineQuantity, Order, RefundAccount, RefundIntent
from checkout.domain.reconciliation import CancelFact, is_own_cancel
from checkout.domain.refunds import plan_refund
from checkout.domain.status import REFUNDABLE
from checkout.domain.transitions import complete_refund, drop_refund_intent, record_refund_intent
from checkout.errors import (
    BadRequest,
    OrderNotFound,
    RefundRejected,
    RequestInProgress,
    StaleOrder,
    ValidationFailed,
)
from checkout.inputs import RefundInput
from checkout.observability import count, logger
from checkout.ports import CancelRejected, OrderRepository, Payment, PaymentGateway
from checkout.services.idempotency import body_hash, check_key
from checkout.services.reconcile import Reconciler, payment_facts
from checkout.services.results import Actor

MAX_ROUNDS = 6
# How many times one request re-plans after I'mport refused because the payment changed under it.
MAX_REPLANS = 3


class _Replan(Exception):
    """The payment changed at I'mport before our cancel: the order was converged; plan again."""


class RefundService:
    def __init__(
        self,
        *,
        orders: OrderRepository,
        gateway: PaymentGateway,
        reconciler: Reconciler,
        clock: Callable[[], datetime],
    ) -> None:
        self._orders = orders
        self._gateway = gateway
        self._reconciler = reconciler
        self._clock = clock

    def refund(self, actor: Actor, merchant_uid: str, req: RefundInput, idempotency_key: str | None) -> Order:
        order = self._orders.get(merchant_uid, consistent=True)
        if order is None or (order.user_id != actor.user_id and not actor.is_admin):
            raise OrderNotFound(f"no order {merchant_uid}")
        request_hash = body_hash(req.model_dump(mode="json"))
        if idempotency_key is not None:
            check_key(idempotency_key)
            # Deterministic: a retry with the same key finds its own intent or its finished refund.
            digest = hashlib.sha256(f"{merchant_uid}#{idempotency_key}".encode()).hexdigest()
            refund_id = f"rf_{digest[:20]}"
        else:
            refund_id = f"rf_{secrets.token_hex(10)}"
        replans = 0
        for _ in range(MAX_ROUNDS + MAX_REPLANS):
            done = next((r for r in order.refunds if r.id == refund_id), None)
            if done is not None:
                _same_request(done.request_hash, request_hash)
                return order
            try:
                pending = order.pending_refund
                if pending is not None:
                    if pending.id == refund_id:
                        _same_request(pending.request_hash, request_hash)
                        if not pending.sweep_due(self._clock()):
                            # The request that recorded it may still be talking to I'mport: two attempts
                            # of one refund must never run side by side.
                            raise RequestInProgress("this refund is still in progress", retry_after_s=5)
                        return self.resume(order)
                    if pending.sweep_due(self._clock()):
                        # A dead request's refund: finish it, then plan ours. RefundRejected: it could not go
                        # through and was dropped, so nothing is in the way now.
                        with contextlib.suppress(RefundRejected):
                            self.resume(order)
                        order = self._reread(merchant_uid)
                        continue
                    raise RequestInProgress("another refund of this order is in progress", retry_after_s=5)
                intent = self._plan(order, req, refund_id, request_hash)
                try:
                    order = self._orders.apply(record_refund_intent(order, intent, self._clock()))
                except StaleOrder:
                    order = self._reread(merchant_uid)
                    continue
                logger.info(
                    "refund intent recorded",
                    extra={"merchant_uid": merchant_uid, "refund_id": refund_id, "amount": intent.amount},
                )
                return self._settle(order, intent, fresh=True)
            except _Replan:
                replans += 1
                if replans > MAX_REPLANS:
                    raise RequestInProgress(
                        "the payment keeps changing at I'mport; retry shortly", retry_after_s=5
                    ) from None
                order = self._reread(merchant_uid)
        raise RequestInProgress("the order is being updated; retry shortly", retry_after_s=1)

    def resume(self, order: Order) -> Order:
        """Finish the order's pending refund (a retry or the sweeper): look at I'mport's record first.

        A refund that can no longer go through (the payment changed under it) is dropped and the order
        converged: RefundRejected tells the caller to plan again.
        """
        intent = order.pending_refund
        if intent is None:
            return order
        try:
            return self._settle(order, intent, fresh=False)
        except _Replan:
            raise RefundRejected(
                "the payment changed at I'mport since the refund began; the order now shows what I'mport "
                "holds: retry the refund"
            ) from None

    def _plan(self, order: Order, req: RefundInput, refund_id: str, request_hash: str) -> RefundIntent:
        lines = None if req.lines is None else [LineQuantity(x.product_id, x.quantity) for x in req.lines]
        account = req.refund_account
        intent = plan_refund(
            order,
            lines,
            refund_id=refund_id,
            reason=req.reason,
            now=self._clock(),
            request_hash=request_hash,
            cancel_ref=f"ck-{secrets.token_hex(6)}",
            refund_account=None
            if account is None
            else RefundAccount(account.holder, account.bank, account.number),
        )
        if intent.amount > 0 and order.pay_method == "vbank" and account is None:
            # I'mport cannot send money back to a virtual account; it needs the buyer's own
            # (docs/iamport-v1.md#cancel).
            raise BadRequest(
                "refunding a virtual-account payment needs refund_account {holder, bank, number}",
                code=codes.REFUND_ACCOUNT_REQUIRED,
            )
        return intent

    def _settle(self, order: Order, intent: RefundIntent, *, fresh: bool) -> Order:
        cancellation_id = None
        if intent.amount > 0:
            cancellation_id = self._cancel_at_iamport(order, intent, fresh=fresh)
        return self._record(order, intent, cancellation_id)

    def _cancel_at_iamport(self, order: Order, intent: RefundIntent, *, fresh: bool) -> str | None:
        """Have I'mport cancel the intent's cash once; the id of *our* cancel in its history."""
        assert order.imp_uid is not None, "a paid order with cash has an imp_uid"
        log = {"merchant_uid": order.merchant_uid, "imp_uid": order.imp_uid, "refund_id": intent.id}
        if not fresh:
            payment = self._gateway.get_payment(order.imp_uid)
            own = _own_cancel(payment, intent)
            if own is not None:
                logger.info("refund already at I'mport; recording it", extra=log)
                return own.cancellation_id
            if payment.amount - payment.cancel_amount != intent.checksum:
                # Not ours and the balance moved: this checksum can never match again.
                logger.warning("payment changed at I'mport before the refund", extra=log)
                self._converge(order, payment)
                raise _Replan()
        account = intent.refund_account
        try:
            payment = self._gateway.cancel(
                imp_uid=order.imp_uid,
                amount=intent.amount,
                checksum=intent.checksum,
                reason=intent.iamport_reason,
                refund_holder=account.holder if account else None,
                refund_bank=account.bank if account else None,
                refund_account=account.number if account else None,
            )
        except CancelRejected as exc:
            payment = self._gateway.get_payment(order.imp_uid)
            own = _own_cancel(payment, intent)
            if own is not None:
                # The cancel went through on an earlier (timed-out) attempt; the checksum stopped a second.
                return own.cancellation_id
            if payment.amount - payment.cancel_amount != intent.checksum:
                # Refused because the payment changed under us (a console cancel, another system): book
                # what happened, then plan again on the corrected books.
                logger.warning(
                    "refund refused: the payment changed at I'mport",
                    extra={
                        **log,
                        "iamport_code": exc.code,
                        "cancellable": payment.amount - payment.cancel_amount,
                    },
                )
                self._converge(order, payment)
                raise _Replan() from None
            logger.warning("I'mport refused the refund", extra={**log, "iamport_code": exc.code})
            self._abandon(order, intent)
            raise RefundRejected(f"I'mport refused the refund: {exc.message or 'no reason given'}") from None
        own = _own_cancel(payment, intent)
        if own is None:
            # I'mport answered success; its history should list the cancel. Record it all the same: the
            # money moved for this request, and the history entry is matched by tag on the next report.
            logger.warning("refund done but not found in the cancel history", extra=log)
            return None
        return own.cancellation_id

    def _converge(self, order: Order, payment: object) -> None:
        """Book what I'mport did to the payment (the intent dies with a cancel that changed the balance);
        whatever happens, leave no dead intent of this attempt in the way."""
        intent = order.pending_refund
        try:
            current = self._reread(order.merchant_uid)
            assert order.imp_uid is not None
            # I'mport's record read after the order, never before: an older one could misjudge the order.
            self._reconciler.converge(current, self._gateway.get_payment(order.imp_uid))
        finally:
            after = self._reread(order.merchant_uid)
            if intent is not None and _same_attempt(after.pending_refund, intent):
                # The order could not be settled around it (the books disagree): don't leave it in the way.
                self._abandon(after, intent)

    def _record(self, order: Order, intent: RefundIntent, cancellation_id: str | None) -> Order:
        current = order
        for _ in range(MAX_ROUNDS):
            if not _same_attempt(current.pending_refund, intent):
                if _booked(current, intent, cancellation_id):
                    return current  # another caller (a report, the sweeper) recorded it
                return self._book_orphan(current, intent, cancellation_id)
            try:
                new = self._orders.apply(complete_refund(current, intent, self._clock(), cancellation_id))
            except StaleOrder:
                current = self._reread(order.merchant_uid)
                continue
            logger.info(
                "refund recorded",
                extra={
                    "merchant_uid": order.merchant_uid,
                    "refund_id": intent.id,
                    "status": new.status.value,
                },
            )
            count("RefundsIssued")
            return new
        raise RequestInProgress("the order is being updated; retry shortly", retry_after_s=1)

    def _book_orphan(self, current: Order, intent: RefundIntent, cancellation_id: str | None) -> Order:
        """Our cancel went through but the intent is no longer on the order: book it all the same.

        As planned (lines, points, clawback) when the order can still take it; otherwise the order is
        converged with I'mport's record, which books the cash as a cancel made outside the checkout.
        """
        log = {"merchant_uid": current.merchant_uid, "refund_id": intent.id}
        if intent.amount == 0:
            # Nothing moved at I'mport for it: it was simply dropped; the caller may retry.
            raise RequestInProgress("the refund was interrupted; retry it", retry_after_s=1)
        logger.error("refund done at I'mport but its intent was gone: booking it", extra=log)
        for _ in range(MAX_ROUNDS):
            if _booked(current, intent, cancellation_id):
                return current
            if not _fits(current, intent):
                assert current.imp_uid is not None
                return self._reconciler.converge(current, self._gateway.get_payment(current.imp_uid))
            try:
                new = self._orders.apply(
                    complete_refund(current, intent, self._clock(), cancellation_id, clears_pending=False)
                )
            except StaleOrder:
                current = self._reread(current.merchant_uid)
                continue
            count("RefundsIssued")
            return new
        raise RequestInProgress("the order is being updated; retry shortly", retry_after_s=1)

    def _abandon(self, order: Order, intent: RefundIntent) -> None:
        """I'mport definitively refused: drop the intent so the order is not stuck with it."""
        current = order
        for _ in range(MAX_ROUNDS):
            if not _same_attempt(current.pending_refund, intent):
                return
            try:
                self._orders.apply(drop_refund_intent(current, self._clock()))
                return
            except StaleOrder:
                current = self._reread(order.merchant_uid)

    def _reread(self, merchant_uid: str) -> Order:
        order = self._orders.get(merchant_uid, consistent=True)
        if order is None:
            raise OrderNotFound(f"no order {merchant_uid}")
        return order


def _same_request(recorded: str, now: str) -> None:
    if recorded and recorded != now:
        raise ValidationFailed(
            "this Idempotency-Key was used with a different request", code=codes.IDEMPOTENCY_KEY_REUSED
        )


def _own_cancel(payment: Payment, intent: RefundIntent) -> CancelFact | None:
    """The entry of the payment's cancel_history that this intent made (tag and amount), if any."""
    return next((c for c in payment_facts(payment).cancels if is_own_cancel(c, intent)), None)


def _same_attempt(pending: RefundIntent | None, intent: RefundIntent) -> bool:
    """The same attempt of the same refund: a re-planned refund keeps its id but gets a new tag."""
    return pending is not None and pending.id == intent.id and pending.cancel_ref == intent.cancel_ref


def _booked(order: Order, intent: RefundIntent, cancellation_id: str | None) -> bool:
    return any(
        (intent.cancel_ref and r.cancel_ref == intent.cancel_ref)
        or (cancellation_id is not None and r.cancellation_id == cancellation_id)
        for r in order.refunds
    )


def _fits(order: Order, intent: RefundIntent) -> bool:
    """The order can still take this refund as planned (nothing else took its lines, cash or points)."""
    lines_left = all(
        (line := order.line(x.product_id)) is not None and line.remaining_quantity >= x.quantity
        for x in intent.lines
    )
    return (
        order.status in REFUNDABLE
        and lines_left
        and intent.amount <= order.cancellable_cash
        and intent.points <= order.points_used - order.points_refunded
    )
