"""The scheduled sweeper (every 5 minutes): finish what no request will finish.

- Open orders past `expires_at`: reconcile first (a paid payment always wins), then void an issued
  virtual account at I'mport so no deposit can arrive, then expire with rollback.
- Refund intents older than a minute: the request that recorded them died; resume the saga.

Each order is handled on its own: one failure is counted and logged, and the next run retries it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from checkout.domain.order import Order
from checkout.domain.status import OrderStatus
from checkout.domain.transitions import roll_back
from checkout.errors import StaleOrder
from checkout.gateway.errors import IamportRejected, PaymentNotFound
from checkout.observability import logger
from checkout.ports import OrderRepository, PaymentGateway
from checkout.services.reconcile import Reconciler
from checkout.services.refunds import RefundService
from checkout.services.results import SweepReport
from checkout.services.telemetry import metric

BATCH = 200
MAX_ROUNDS = 5
S = OrderStatus


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

    def sweep(self, now: datetime | None = None) -> SweepReport:
        now = now or self._clock()
        report = SweepReport()
        for merchant_uid in self._orders.due_for_sweep(now, BATCH):
            report.examined += 1
            try:
                self._visit(merchant_uid, now, report)
            except Exception:  # noqa: BLE001 - one bad order must not stop the sweep
                report.errors += 1
                report.error_merchant_uids.append(merchant_uid)
                logger.exception("sweep failed for an order", extra={"merchant_uid": merchant_uid})
        if report.errors:
            metric("SweepErrors", report.errors)
        logger.info("sweep finished", extra=report.as_dict())
        return report

    def _visit(self, merchant_uid: str, now: datetime, report: SweepReport) -> None:
        order = self._orders.get(merchant_uid, consistent=True)
        if order is None:
            return
        if order.pending_refund is not None and order.pending_refund.sweep_due(now):
            self._refunds.resume(order)
            report.refunds_resumed += 1
            return
        if order.is_open and order.expires_at <= now:
            final = self._expire(order, now)
            if final.status is S.PAID:
                report.paid += 1
            elif final.status is S.EXPIRED:
                report.expired += 1
            elif final.status is S.FAILED:
                report.failed += 1
            elif final.status is S.AWAITING_DEPOSIT:
                report.awaiting_deposit += 1

    def _expire(self, order: Order, now: datetime) -> Order:
        log = {"merchant_uid": order.merchant_uid}
        order = self._reconciler.reconcile(order.merchant_uid)
        for _ in range(MAX_ROUNDS):
            if not order.is_open:
                return order
            if order.status is S.AWAITING_DEPOSIT and order.imp_uid:
                try:
                    self._gateway.void_vbank(order.imp_uid)
                except (IamportRejected, PaymentNotFound):
                    # Not an unpaid account any more: maybe the deposit just arrived. Look again.
                    order = self._reconciler.reconcile(order.merchant_uid, order.imp_uid)
                    if not order.is_open:
                        return order
            try:
                expired = self._orders.apply(roll_back(order, S.EXPIRED, reason="not paid in time", now=now))
            except StaleOrder:
                order = self._orders.get(order.merchant_uid, consistent=True) or order
                continue
            logger.info("order expired", extra={**log, "imp_uid": order.imp_uid})
            metric("OrdersExpired")
            return expired
        return order
