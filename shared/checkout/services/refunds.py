"""Refunds as a saga (DESIGN §5).

1. Record the intent on the order (conditional write): lines, cash part, points part, and the checksum
   = the cash our records say I'mport can still cancel.
2. Ask I'mport to cancel that cash with that checksum.
3. Record the result in one transaction (status, stock, points, ledger, refunds list; intent cleared).

A crash between 2 and 3 leaves the intent. Whoever resumes it (the same Idempotency-Key, or the sweeper)
re-reads the payment first: if I'mport already shows the cancel, step 3 runs without cancelling again;
if not, step 2 is repeated with the same checksum, which I'mport refuses should the money have gone out
after all. Cash never leaves twice.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime

from checkout.domain.order import LineQuantity, Order, RefundAccount, RefundIntent
from checkout.domain.refunds import plan_refund
from checkout.domain.transitions import complete_refund, drop_refund_intent, record_refund_intent
from checkout.errors import (
    BadRequest,
    OrderNotFound,
    RefundRejected,
    RequestInProgress,
    StaleOrder,
    ValidationFailed,
)
from checkout.gateway.errors import CancelRejected
from checkout.inputs import RefundInput
from checkout.observability import logger
from checkout.ports import OrderRepository, PaymentGateway
from checkout.services.idempotency import body_hash, check_key
from checkout.services.results import Actor
from checkout.services.telemetry import metric

MAX_ROUNDS = 6


class RefundService:
    def __init__(
        self, *, orders: OrderRepository, gateway: PaymentGateway, clock: Callable[[], datetime]
    ) -> None:
        self._orders = orders
        self._gateway = gateway
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
        for _ in range(MAX_ROUNDS):
            done = next((r for r in order.refunds if r.id == refund_id), None)
            if done is not None:
                _same_request(done.request_hash, request_hash)
                return order
            pending = order.pending_refund
            if pending is not None:
                if pending.id == refund_id:
                    _same_request(pending.request_hash, request_hash)
                    return self.resume(order)
                if pending.sweep_due(self._clock()):
                    order = self.resume(order)  # a dead request's refund: finish it, then plan ours
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
        raise RequestInProgress("the order is being updated; retry shortly", retry_after_s=1)

    def resume(self, order: Order) -> Order:
        """Finish the order's pending refund (a retry or the sweeper): re-query I'mport first."""
        intent = order.pending_refund
        if intent is None:
            return order
        return self._settle(order, intent, fresh=False)

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
            refund_account=None
            if account is None
            else RefundAccount(account.holder, account.bank, account.number),
        )
        if intent.amount > 0 and order.pay_method == "vbank" and account is None:
            # I'mport cannot send money back to a virtual account; it needs the buyer's own (reference §4.7).
            raise BadRequest(
                "refunding a virtual-account payment needs refund_account {holder, bank, number}",
                code="refund_account_required",
            )
        return intent

    def _settle(self, order: Order, intent: RefundIntent, *, fresh: bool) -> Order:
        cancellation_id = None
        if intent.amount > 0:
            cancellation_id = self._cancel_at_iamport(order, intent, fresh=fresh)
        return self._record(order, intent, cancellation_id)

    def _cancel_at_iamport(self, order: Order, intent: RefundIntent, *, fresh: bool) -> str | None:
        assert order.imp_uid is not None, "a paid order with cash has an imp_uid"
        log = {"merchant_uid": order.merchant_uid, "imp_uid": order.imp_uid, "refund_id": intent.id}
        if not fresh:
            payment = self._gateway.get_payment(order.imp_uid)
            left = payment.amount - payment.cancel_amount
            if left <= intent.checksum - intent.amount:
                logger.info("refund already at I'mport; recording it", extra=log)
                return _latest_cancellation(payment)
            if left != intent.checksum:
                # Someone cancelled part of the payment outside this saga (less than our cash, or the
                # balance would show ours as done), so ours never left and its checksum is stale. Drop
                # the intent: the outside cancel is then recorded by reconcile, and the buyer may retry.
                logger.error("payment balance moved outside the refund", extra={**log, "cancellable": left})
                self._abandon(order, intent)
                raise RefundRejected(
                    "the payment changed at I'mport since the refund began; retry the refund"
                )
        account = intent.refund_account
        try:
            payment = self._gateway.cancel(
                imp_uid=order.imp_uid,
                amount=intent.amount,
                checksum=intent.checksum,
                reason=intent.reason,
                refund_holder=account.holder if account else None,
                refund_bank=account.bank if account else None,
                refund_account=account.number if account else None,
            )
            return _latest_cancellation(payment)
        except CancelRejected as exc:
            payment = self._gateway.get_payment(order.imp_uid)
            if payment.amount - payment.cancel_amount <= intent.checksum - intent.amount:
                # The cancel went through on an earlier (timed-out) attempt; the checksum stopped a second.
                return _latest_cancellation(payment)
            logger.warning("I'mport refused the refund", extra={**log, "iamport_code": exc.code})
            self._abandon(order, intent)
            raise RefundRejected(f"I'mport refused the refund: {exc.message or 'no reason given'}") from None

    def _record(self, order: Order, intent: RefundIntent, cancellation_id: str | None) -> Order:
        current = order
        for _ in range(MAX_ROUNDS):
            if current.pending_refund is None or current.pending_refund.id != intent.id:
                return current  # another caller recorded it
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
            metric("RefundsIssued")
            return new
        raise RequestInProgress("the order is being updated; retry shortly", retry_after_s=1)

    def _abandon(self, order: Order, intent: RefundIntent) -> None:
        """I'mport definitively refused: drop the intent so the order is not stuck with it."""
        current = order
        for _ in range(MAX_ROUNDS):
            if current.pending_refund is None or current.pending_refund.id != intent.id:
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
            "this Idempotency-Key was used with a different request", code="idempotency_key_reused"
        )


def _latest_cancellation(payment: object) -> str | None:
    history = getattr(payment, "cancel_history", None) or []
    ids = [c.cancellation_id for c in history if c.cancellation_id]
    return ids[-1] if ids else None
