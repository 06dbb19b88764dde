"""The settlement audit (daily): does the cash I'mport holds match what the books say it holds?

Webhooks, the browser, the sweeper and refunds keep each order in step with its payment one report at a
time. The audit looks at the whole picture from I'mport's side instead: every payment I'mport lists for
a time window, grouped by merchant_uid (one order may have several attempts).

- A merchant_uid with an order: each payment whose state the order does not reflect yet goes through
  `reconcile`, the same rules a webhook would apply (pay, fail, record a cancel made in I'mport's
  console, refund a duplicate or late payment...). The order is *fixed* when that changed it. Then the
  cash is compared:

      held   = sum over its `paid` payments of (amount - cancel_amount)
      booked = amount - cash refunded, when the order counts its payment (paid, partially cancelled,
               cancelled), else 0; plus what its stray payments still hold (`unrefunded`)

  Equal: checked. Different: it needs a person, with both amounts and why.
- A merchant_uid without an order: it needs a person when a payment of it holds cash, otherwise it is
  ignored (an abandoned or failed window of another system, say).

Orders paid entirely with points have no payment at I'mport and never appear. One merchant_uid that
fails (I'mport or the store unreachable, the order busy) is counted as an error and the audit goes on.

I'mport lists a payment by the time of its *current* status (paid: `paid_at`, cancelled:
`cancelled_at`, ...; see `IamportV1Gateway.list_payments`): a payment cancelled today is seen today even
when it was made last month, while a *partial* cancel, which leaves it `paid`, is seen in the window of
its payment time. Run daily over the last two days, every moment is looked at twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Protocol

from checkout.domain.order import Order
from checkout.domain.reconciliation import Action, decide
from checkout.domain.status import OrderStatus
from checkout.errors import CheckoutError, OrderNotFound
from checkout.observability import count as record_metric
from checkout.observability import logger
from checkout.ports import OrderRepository, Payment, PaymentGateway, PaymentStatus
from checkout.services.reconcile import payment_facts
from checkout.services.results import AuditReport, Discrepancy

DEFAULT_WINDOW = timedelta(days=2)
LIST_WINDOW = timedelta(days=90)  # the longest window I'mport lists at a time
PAGE_SIZE = 100  # payments per listing page (I'mport allows 1 to 1000)
# Without a Lambda context (offline, tests) a run stops taking new merchant_uids after this long.
DEFAULT_BUDGET_S = 600.0
# Stop taking new merchant_uids when less than this is left: one of them may need a few I'mport calls.
SAFETY_MARGIN_S = 30.0
# Fresh looks at one merchant_uid's payments after the listing: each settles what the previous showed.
MAX_LOOKS = 3
# The statuses in which an order counts its payment's cash as the shop's.
COUNTS_CASH = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_CANCELLED, OrderStatus.CANCELLED})
# Which payment of a merchant_uid is reconciled first: a paid one decides the order, and the failed or
# cancelled attempts are then read against the order it produced.
_PRECEDENCE: dict[str, int] = {
    PaymentStatus.PAID: 0,
    PaymentStatus.READY: 1,
    PaymentStatus.CANCELLED: 2,
    PaymentStatus.FAILED: 3,
}


class Reconciles(Protocol):
    """What the audit asks of `services.reconcile.Reconciler`."""

    def reconcile(self, merchant_uid: str, imp_uid: str | None = None) -> Order: ...


def held_at_iamport(payments: Iterable[Payment]) -> int:
    """Cash I'mport holds for these payments: what is left of the paid ones."""
    return sum(p.amount - p.cancel_amount for p in payments if p.status == PaymentStatus.PAID)


def booked_cash(order: Order) -> int:
    """Cash the books say I'mport holds for this order, its stray payments included."""
    counted = order.amount - order.cash_refunded if order.status in COUNTS_CASH else 0
    return counted + sum(stray.unrefunded for stray in order.stray_payments)


def reflected(order: Order, payment: Payment) -> bool:
    """The order already shows what this payment says (reconciling it would change nothing)."""
    return decide(order, payment_facts(payment)).action is Action.NOTHING


def disagreement(order: Order, payments: Iterable[Payment], held: int, booked: int) -> str:
    """Why the cash differs, in words for the person who will look."""
    for payment in payments:
        decision = decide(order, payment_facts(payment))
        if decision.disagree:
            return f"{decision.reason} ({payment.imp_uid})"
    if order.pending_refund is not None:
        return "a refund of the order is still in progress"
    if held > booked:
        return f"I'mport holds {held - booked} KRW more than the books ({order.status.value} order)"
    return f"the books count {booked - held} KRW that I'mport does not hold ({order.status.value} order)"


class Auditor:
    def __init__(
        self,
        *,
        orders: OrderRepository,
        gateway: PaymentGateway,
        reconciler: Reconciles,
        clock: Callable[[], datetime],
        metric: Callable[[str, int], None] = record_metric,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._orders = orders
        self._gateway = gateway
        self._reconciler = reconciler
        self._clock = clock
        self._metric = metric
        self._page_size = page_size

    def audit(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        time_left_s: Callable[[], float] | None = None,
    ) -> AuditReport:
        """Audit the payments I'mport lists in [since, until] (default: the two days up to now).

        `time_left_s`: seconds the caller has left (the Lambda context's remaining time). Raises
        ValueError for a window that ends before it starts, and GatewayUnavailable when I'mport cannot
        list the payments at all (nothing was checked: the run should fail loudly and be retried).
        """
        until = until or self._clock()
        since = since or until - DEFAULT_WINDOW
        if since.tzinfo is None or until.tzinfo is None:
            raise ValueError("the audit window needs timezone-aware times")
        if since >= until:
            raise ValueError("the audit window must end after it starts")
        if time_left_s is None:
            stop_at = time.monotonic() + DEFAULT_BUDGET_S
            time_left_s = lambda: stop_at - time.monotonic()  # noqa: E731
        report = AuditReport(since=since, until=until)
        listed = self._list(since, until)
        report.payments = len(listed)
        groups: dict[str, dict[str, Payment]] = {}
        for payment in listed.values():
            groups.setdefault(payment.merchant_uid, {})[payment.imp_uid] = payment
        for merchant_uid, payments in groups.items():
            if time_left_s() <= SAFETY_MARGIN_S:
                report.out_of_time = True
                break
            try:
                self._audit_one(merchant_uid, payments, report)
            except CheckoutError as exc:  # I'mport or the store unreachable, the order busy, ...
                self._failed(report, merchant_uid)
                logger.warning(
                    "audit could not check a merchant_uid",
                    extra={"merchant_uid": merchant_uid, "error": type(exc).__name__, "code": exc.code},
                )
            except Exception:  # noqa: BLE001 - one bad order must not stop the audit
                self._failed(report, merchant_uid)
                logger.exception("audit failed for a merchant_uid", extra={"merchant_uid": merchant_uid})
        self._metric("AuditDiscrepancies", len(report.needs_a_person))
        if report.errors:
            self._metric("AuditErrors", report.errors)
        summary = report.as_dict()
        summary["needs_a_person"] = summary["needs_a_person"][:50]
        summary["error_merchant_uids"] = summary["error_merchant_uids"][:50]
        logger.info(f"settlement audit finished: {report.summary()}", extra=summary)
        return report

    # -- listing -----------------------------------------------------------------------------------

    def _list(self, since: datetime, until: datetime) -> dict[str, Payment]:
        """Every payment I'mport lists in the window, once each (by imp_uid), 90 days at a time."""
        found: dict[str, Payment] = {}
        start = since
        while start < until:
            end = min(until, start + LIST_WINDOW)
            page: int | None = 1
            while page is not None:
                payments, page = self._gateway.list_payments("all", start, end, page, self._page_size)
                # A payment whose status changes while the pages are read may show up twice: keep one.
                found.update((p.imp_uid, p) for p in payments)
            start = end
        return found

    # -- one merchant_uid --------------------------------------------------------------------------

    def _audit_one(self, merchant_uid: str, listed: dict[str, Payment], report: AuditReport) -> None:
        # A payment without a merchant_uid can belong to no order (and the store takes no empty key).
        order = self._orders.get(merchant_uid, consistent=True) if merchant_uid else None
        if order is None:
            self._without_order(merchant_uid, listed, report)
            return
        first_version = order.version
        payments = dict(listed)
        tried: dict[str, Payment] = {}
        order, stale = self._settle(order, payments.values(), tried)
        fresh = False
        looked_up: set[str] = set()
        for _ in range(MAX_LOOKS):
            unlisted = self._known(order) - payments.keys() - looked_up
            looked_up |= unlisted
            differs = held_at_iamport(payments.values()) != booked_cash(order)
            if not (stale or unlisted or (differs and not fresh)):
                break
            # Look at I'mport's records as they are now: reconciling may have refunded a payment, the
            # order may name payments outside the window, and the listing may be older than the books
            # (a refund or a webhook since). Settle what they show before calling anything a discrepancy.
            payments = self._refresh(merchant_uid, payments, unlisted)
            order, stale = self._settle(order, payments.values(), tried)
            fresh = True
        if order.version != first_version:
            report.fixed += 1
        held, booked = held_at_iamport(payments.values()), booked_cash(order)
        if held == booked:
            report.checked += 1
            return
        report.needs_a_person.append(
            Discrepancy(
                merchant_uid=merchant_uid,
                imp_uids=tuple(sorted(payments)),
                held=held,
                booked=booked,
                reason=disagreement(order, payments.values(), held, booked),
            )
        )

    def _settle(
        self, order: Order, payments: Iterable[Payment], tried: dict[str, Payment]
    ) -> tuple[Order, bool]:
        """Reconcile every payment the order does not reflect yet; the order after, and whether any was.

        A payment whose record is the same as when it was last reconciled is not sent again: the rules
        already did what they could with it.
        """
        asked = False
        for payment in sorted(payments, key=lambda p: (_PRECEDENCE.get(p.status, 9), p.started_at or 0)):
            if tried.get(payment.imp_uid) == payment or reflected(order, payment):
                continue
            asked = True
            tried[payment.imp_uid] = payment
            order = self._reconciler.reconcile(order.merchant_uid, payment.imp_uid)
        if asked:
            order = self._read(order.merchant_uid)
        return order, asked

    def _without_order(self, merchant_uid: str, listed: dict[str, Payment], report: AuditReport) -> None:
        payments = listed
        if held_at_iamport(payments.values()) > 0:
            payments = self._refresh(merchant_uid, payments, set())  # still held right now?
        held = held_at_iamport(payments.values())
        if held <= 0:
            report.ignored += 1
            return
        report.needs_a_person.append(
            Discrepancy(
                merchant_uid=merchant_uid,
                imp_uids=tuple(sorted(payments)),
                held=held,
                booked=0,
                reason="no order has this merchant_uid, yet I'mport holds cash for it",
            )
        )

    def _refresh(
        self, merchant_uid: str, payments: dict[str, Payment], more: Iterable[str]
    ) -> dict[str, Payment]:
        """The same payments (and `more`) as I'mport reports them now, in one batch lookup."""
        wanted = [*payments, *(i for i in more if i not in payments)]
        now = {p.imp_uid: p for p in self._gateway.get_payments(wanted) if p.merchant_uid == merchant_uid}
        return {**payments, **now}

    @staticmethod
    def _known(order: Order) -> set[str]:
        """The payments the order itself names: its own and its stray ones."""
        known = {stray.imp_uid for stray in order.stray_payments}
        if order.imp_uid:
            known.add(order.imp_uid)
        return known

    def _read(self, merchant_uid: str) -> Order:
        order = self._orders.get(merchant_uid, consistent=True)
        if order is None:
            raise OrderNotFound(f"no order {merchant_uid}")
        return order

    @staticmethod
    def _failed(report: AuditReport, merchant_uid: str) -> None:
        report.errors += 1
        report.error_merchant_uids.append(merchant_uid)
