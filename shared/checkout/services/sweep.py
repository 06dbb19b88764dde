"""The scheduled sweeper (every 5 minutes): finish what no request will finish.

- Open orders nobody reported: asked about on a backoff schedule (2, 5, 15, 30 minutes after creation,
  then hourly until they expire; `Order.next_check_at`). A payment whose webhook and browser report were
  both lost is found by the first run after two minutes, a deposit within the hour. Orders already
  bound to a payment are looked up in batches of up to 100 (`GET /payments?imp_uid[]=`).
- Open orders past `expires_at`: reconcile first (a paid payment always wins), then void an issued
  virtual account at I'mport so no deposit can arrive, then expire with rollback.
- Refund intents older than a minute: the request that recorded them died; resume the saga.

Work per run is bounded by the time the Lambda has left, not by a count. Each order is handled on its
own: one that fails is counted, its failures are recorded on it, and it waits 2, 4, 8... minutes (at most
an hour) before the next try, so orders that keep failing never block the others.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import datetime

from checkout.domain.order import Order
from checkout.domain.status import OrderStatus
from checkout.domain.transitions import record_sweep, roll_back
from checkout.errors import RefundRejected, StaleOrder
from checkout.observability import count, logger
from checkout.ports import IamportRejected, OrderRepository, Payment, PaymentGateway, PaymentNotFound
from checkout.services.reconcile import Reconciler
from checkout.services.refunds import RefundService
from checkout.services.results import SweepReport

PAGE = 100  # orders read from the sweep index at a time (and at most one batch lookup at I'mport)
MAX_ROUNDS = 5
# Stop taking new orders when less than this is left. The worst single visit (resuming a refund or
# expiring a virtual account: about five I'mport calls, each with its 3 s connect and 10 s read timeouts
# and retries inside a 20 s budget) must still finish inside the function's timeout (300 s).
SAFETY_MARGIN_S = 120.0
# Without a Lambda context (offline, tests) a run works for this long.
DEFAULT_BUDGET_S = 60.0


class Sweeper:
    def __init__(
        self,
        *,
        orders: OrderRepository,
        gateway: PaymentGateway,
        reconciler: Reconciler,
        refunds: RefundService,
        clock: Callable[[], datetime],
    ) -> None:
        self._orders = orders
        self._gateway = gateway
        self._reconciler = reconciler
        self._refunds = refunds
        self._clock = clock

    def sweep(
        self, now: datetime | None = None, *, time_left_s: Callable[[], float] | None = None
    ) -> SweepReport:
        """One run. `time_left_s`: seconds the caller has left (the Lambda context's remaining time)."""
        now = now or self._clock()
        if time_left_s is None:
            stop_at = time.monotonic() + DEFAULT_BUDGET_S + SAFETY_MARGIN_S
            time_left_s = lambda: stop_at - time.monotonic()  # noqa: E731
        report = SweepReport()
        seen: set[str] = set()
        while time_left_s() > SAFETY_MARGIN_S:
            due = [m for m in self._orders.due_for_sweep(now, PAGE) if m not in seen]
            if not due:
                break
            seen.update(due)
            orders = [o for o in (self._orders.get(m, consistent=True) for m in due) if o is not None]
            payments = self._lookup(orders, now)
            for order in orders:
                if time_left_s() <= SAFETY_MARGIN_S:
                    report.out_of_time = True
                    break
                report.examined += 1
                try:
                    found = None if payments is None else payments.get(order.merchant_uid)
                    self._visit(order, found, payments is None, now, report)
                except Exception:  # noqa: BLE001 - one bad order must not stop the sweep
                    report.errors += 1
                    report.error_merchant_uids.append(order.merchant_uid)
                    logger.exception("sweep failed for an order", extra={"merchant_uid": order.merchant_uid})
                    self._defer(order.merchant_uid, now)
        else:
            report.out_of_time = True
        if report.errors:
            count("SweepErrors", report.errors)
        logger.info("sweep finished", extra=report.as_dict())
        return report

    def _lookup(self, orders: list[Order], now: datetime) -> dict[str, Payment] | None:
        """One batch lookup (`GET /payments?merchant_uid[]=`) for the open orders due for a check: each
        order's latest attempt, by merchant_uid. An order I'mport has seen paid takes no new attempt, so a
        paid payment is always what comes back for it, whichever account or card the buyer used."""
        merchant_uids = [
            o.merchant_uid for o in orders if o.is_open and o.pending_refund is None and o.expires_at > now
        ]
        if not merchant_uids:
            return {}
        try:
            return {p.merchant_uid: p for p in self._gateway.get_payments((), merchant_uids)}
        except Exception:  # noqa: BLE001 - each order is then looked up on its own
            logger.warning("batch payment lookup failed", exc_info=True)
            return None

    def _visit(
        self, order: Order, payment: Payment | None, unlooked: bool, now: datetime, report: SweepReport
    ) -> None:
        """`payment`: the order's latest attempt from the batch lookup; `unlooked`: that lookup failed."""
        if order.pending_refund is not None:
            if order.pending_refund.sweep_due(now):
                # RefundRejected: the intent was dropped and the order converged; nothing is pending now.
                with contextlib.suppress(RefundRejected):
                    self._refunds.resume(order)
                report.refunds_resumed += 1
            return
        if not order.is_open:
            return
        if order.expires_at <= now:
            self._tally(self._expire(order, now), report)
            return
        if order.next_check_at() > now or (order.retry_at is not None and order.retry_at > now):
            return  # moved by someone else since the index was read
        if payment is not None:
            after = self._reconciler.converge(order, payment)
        elif unlooked:
            # The batch lookup failed: look the order up on its own.
            after = self._reconciler.reconcile(order.merchant_uid, order.imp_uid)
        else:
            after = order  # I'mport has no attempt for this order yet
        if (
            after.version == order.version
            and payment is not None
            and after.is_open
            and order.imp_uid
            and payment.imp_uid != order.imp_uid
        ):
            # The latest attempt changed nothing; the account the order waits on may have news of its own.
            after = self._reconciler.reconcile(order.merchant_uid, order.imp_uid)
        report.checked += 1
        if after.version != order.version:
            self._tally(after, report)
            return
        # StaleOrder: a report moved the order meanwhile; its new state schedules the next look.
        with contextlib.suppress(StaleOrder):
            self._orders.apply(record_sweep(order, now, failed=False))

    @staticmethod
    def _tally(order: Order, report: SweepReport) -> None:
        if order.status is OrderStatus.PAID:
            report.paid += 1
        elif order.status is OrderStatus.EXPIRED:
            report.expired += 1
        elif order.status is OrderStatus.FAILED:
            report.failed += 1
        elif order.status is OrderStatus.AWAITING_DEPOSIT:
            report.awaiting_deposit += 1

    def _defer(self, merchant_uid: str, now: datetime) -> None:
        """Record the failure on the order so it waits before the next try (best effort)."""
        try:
            order = self._orders.get(merchant_uid, consistent=True)
            if order is not None and order.sweep_at() is not None:
                self._orders.apply(record_sweep(order, now, failed=True))
        except Exception:  # noqa: BLE001 - the store itself may be what failed
            logger.warning("could not record the sweep failure", extra={"merchant_uid": merchant_uid})

    def _expire(self, order: Order, now: datetime) -> Order:
        log = {"merchant_uid": order.merchant_uid}
        order = self._reconciler.reconcile(order.merchant_uid)
        for _ in range(MAX_ROUNDS):
            if not order.is_open:
                return order
            if order.expires_at > now:
                return order  # a virtual account was issued meanwhile: it now waits for the deposit
            if order.status is OrderStatus.AWAITING_DEPOSIT and order.imp_uid:
                try:
                    self._gateway.void_vbank(order.imp_uid)
                except (IamportRejected, PaymentNotFound):
                    # Not an unpaid account any more: maybe the deposit just arrived. Look again.
                    order = self._reconciler.reconcile(order.merchant_uid, order.imp_uid)
                    if not order.is_open:
                        return order
            try:
                expired = self._orders.apply(
                    roll_back(order, OrderStatus.EXPIRED, reason="not paid in time", now=now)
                )
            except StaleOrder:
                order = self._orders.get(order.merchant_uid, consistent=True) or order
                continue
            logger.info("order expired", extra={**log, "imp_uid": order.imp_uid})
            count("OrdersExpired")
            return expired
        return order
