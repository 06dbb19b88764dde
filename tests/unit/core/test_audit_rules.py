"""The settlement audit's rules with fakes: what counts as cash at I'mport and in the books, which
payments are reconciled (and in which order), what is fixed, checked, ignored or needs a person, and
that one failing order never stops the run."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from checkout.domain.order import Order, RefundRecord, StrayPayment
from checkout.domain.status import OrderStatus
from checkout.errors import GatewayUnavailable
from checkout.gateway.models import Payment
from checkout.services.audit import Auditor, booked_cash, held_at_iamport
from tests.support.factories import NOW, an_order
from tests.support.fake_iamport import payment_json

S = OrderStatus
UNTIL = NOW
SINCE = NOW - timedelta(days=2)


def payment(imp_uid: str, merchant_uid: str, amount: int, status: str = "paid", **changes: Any) -> Payment:
    fields: dict[str, Any] = {
        "imp_uid": imp_uid,
        "merchant_uid": merchant_uid,
        "amount": amount,
        "status": status,
        "started_at": int(NOW.timestamp()) - 600,
    }
    if status != "paid":
        fields["paid_at"] = 0
    fields.update(changes)
    return Payment.model_validate(payment_json(**fields))


def order(
    merchant_uid: str, status: OrderStatus = S.PAID, imp_uid: str | None = None, **changes: Any
) -> Order:
    base = an_order(status=status, imp_uid=imp_uid).evolve(merchant_uid=merchant_uid)  # amount 20000
    return base.evolve(**changes) if changes else base


def refund(amount: int, cancellation_id: str = "c1") -> RefundRecord:
    return RefundRecord(
        id=f"r-{cancellation_id}",
        amount=amount,
        points=0,
        clawback=0,
        lines=(),
        at=NOW,
        cancellation_id=cancellation_id,
    )


@dataclass
class FakeOrders:
    orders: dict[str, Order] = field(default_factory=dict)

    def get(self, merchant_uid: str, *, consistent: bool = True) -> Order | None:
        return self.orders.get(merchant_uid)

    def put(self, *orders: Order) -> None:
        for o in orders:
            self.orders[o.merchant_uid] = o


@dataclass
class FakeGateway:
    """I'mport's payments: listed in pages of `page_size`, looked up in batches."""

    payments: dict[str, Payment] = field(default_factory=dict)
    listed: list[tuple[str, Any, Any, int, int]] = field(default_factory=list)
    batches: list[list[str]] = field(default_factory=list)

    def add(self, *payments: Payment) -> None:
        for p in payments:
            self.payments[p.imp_uid] = p

    def list_payments(self, status, since, until, page=1, limit=100):  # noqa: ANN001 - the port's shape
        self.listed.append((status, since, until, page, limit))
        everything = list(self.payments.values())
        chunk = everything[(page - 1) * limit : page * limit]
        return chunk, page + 1 if page * limit < len(everything) else None

    def get_payments(self, imp_uids):  # noqa: ANN001
        self.batches.append(list(imp_uids))
        return [self.payments[i] for i in imp_uids if i in self.payments]


@dataclass
class FakeReconciler:
    """`reconcile` as a black box: what each (merchant_uid, imp_uid) does to the order and to I'mport."""

    orders: FakeOrders
    effects: dict[str, Callable[[Order], Order]] = field(default_factory=dict)
    failures: dict[str, Exception] = field(default_factory=dict)
    calls: list[tuple[str, str | None]] = field(default_factory=list)

    def reconcile(self, merchant_uid: str, imp_uid: str | None = None) -> Order:
        self.calls.append((merchant_uid, imp_uid))
        if merchant_uid in self.failures:
            raise self.failures[merchant_uid]
        current = self.orders.orders[merchant_uid]
        effect = self.effects.get(imp_uid or "")
        if effect is None:
            return current
        moved = effect(current).evolve(version=current.version + 1)
        self.orders.put(moved)
        return moved


@dataclass
class Harness:
    orders: FakeOrders
    gateway: FakeGateway
    reconciler: FakeReconciler
    metrics: list[tuple[str, int]]
    auditor: Auditor

    def metric(self, name: str) -> list[int]:
        return [value for n, value in self.metrics if n == name]


@pytest.fixture
def audit() -> Harness:
    orders = FakeOrders()
    gateway = FakeGateway()
    reconciler = FakeReconciler(orders)
    metrics: list[tuple[str, int]] = []
    auditor = Auditor(
        orders=orders,  # type: ignore[arg-type]
        gateway=gateway,  # type: ignore[arg-type]
        reconciler=reconciler,
        clock=lambda: NOW,
        metric=lambda name, value=1: metrics.append((name, value)),
        page_size=2,
    )
    return Harness(orders, gateway, reconciler, metrics, auditor)


# ---------------------------------------------------------------- the two sums


def test_iamport_holds_what_is_left_of_paid_payments_only() -> None:
    payments = [
        payment("imp_a", "o", 20_000),
        payment("imp_b", "o", 20_000, cancel_amount=5_000),
        payment("imp_c", "o", 20_000, status="cancelled", cancel_amount=20_000),
        payment("imp_d", "o", 20_000, status="failed"),
        payment("imp_e", "o", 20_000, status="ready"),
    ]
    assert held_at_iamport(payments) == 20_000 + 15_000


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (S.PAID, 20_000 - 5_000),
        (S.PARTIALLY_CANCELLED, 20_000 - 5_000),
        (S.CANCELLED, 20_000 - 5_000),
        (S.READY, 0),
        (S.AWAITING_DEPOSIT, 0),
        (S.FAILED, 0),
        (S.EXPIRED, 0),
    ],
)
def test_the_books_count_the_cash_of_orders_that_took_it_less_refunds(status, expected) -> None:
    assert booked_cash(order("o", status, refunds=(refund(5_000),))) == expected


def test_the_books_count_what_stray_payments_still_hold() -> None:
    strays = (
        StrayPayment("imp_x", 0, "late_success", NOW, unrefunded=7_000),
        StrayPayment("imp_y", 3_000, "duplicate", NOW, unrefunded=0),
    )
    assert booked_cash(order("o", S.FAILED, stray_payments=strays)) == 7_000


# ---------------------------------------------------------------- agreeing, fixed


def test_an_order_that_agrees_with_iamport_is_checked_without_reconciling(audit: Harness) -> None:
    audit.orders.put(order("o1", S.PAID, imp_uid="imp_1"))
    audit.gateway.add(payment("imp_1", "o1", 20_000))

    report = audit.auditor.audit(SINCE, UNTIL)

    assert (report.checked, report.fixed, report.needs_a_person, report.errors) == (1, 0, [], 0)
    assert audit.reconciler.calls == [] and audit.gateway.batches == []
    assert audit.metric("AuditDiscrepancies") == [0]


def test_a_payment_the_books_missed_is_reconciled_and_counts_as_fixed(audit: Harness) -> None:
    audit.orders.put(order("o1", S.READY))
    audit.gateway.add(payment("imp_1", "o1", 20_000))
    audit.reconciler.effects["imp_1"] = lambda o: o.evolve(status=S.PAID, imp_uid="imp_1")

    report = audit.auditor.audit(SINCE, UNTIL)

    assert audit.reconciler.calls == [("o1", "imp_1")]
    assert (report.checked, report.fixed, report.needs_a_person) == (1, 1, [])
    assert audit.gateway.batches == [["imp_1"]]  # I'mport's record looked at again after reconciling


def test_a_cancel_made_in_the_console_is_recorded_through_reconcile(audit: Harness) -> None:
    audit.orders.put(order("o1", S.PAID, imp_uid="imp_1"))
    audit.gateway.add(payment("imp_1", "o1", 20_000, cancel_amount=5_000))
    audit.reconciler.effects["imp_1"] = lambda o: o.evolve(
        status=S.PARTIALLY_CANCELLED, refunds=(refund(5_000),)
    )

    report = audit.auditor.audit(SINCE, UNTIL)

    assert audit.reconciler.calls == [("o1", "imp_1")]
    assert (report.checked, report.fixed) == (1, 1)


def test_a_reconcile_that_changes_nothing_is_not_a_fix(audit: Harness) -> None:
    """A stray virtual account is voided at I'mport: the order itself does not move."""
    audit.orders.put(order("o1", S.FAILED, imp_uid="imp_1"))
    audit.gateway.add(payment("imp_1", "o1", 20_000, status="failed"))
    audit.gateway.add(payment("imp_2", "o1", 20_000, status="ready", pay_method="vbank", vbank_num="123"))

    report = audit.auditor.audit(SINCE, UNTIL)

    assert audit.reconciler.calls == [("o1", "imp_2")]
    assert (report.checked, report.fixed) == (1, 0)


def test_the_paid_attempt_is_reconciled_before_the_failed_one(audit: Harness) -> None:
    audit.orders.put(order("o1", S.READY))
    failed_first = payment("imp_f", "o1", 20_000, status="failed", started_at=int(NOW.timestamp()) - 900)
    audit.gateway.add(failed_first, payment("imp_p", "o1", 20_000))
    audit.reconciler.effects["imp_p"] = lambda o: o.evolve(status=S.PAID, imp_uid="imp_p")

    report = audit.auditor.audit(SINCE, UNTIL)

    # Once paid, the failed attempt changes nothing: it is never sent to reconcile.
    assert audit.reconciler.calls == [("o1", "imp_p")]
    assert (report.checked, report.fixed) == (1, 1)


def test_a_stray_payment_refused_a_refund_is_counted_by_the_books(audit: Harness) -> None:
    stray = StrayPayment("imp_2", 0, "duplicate", NOW, unrefunded=20_000)
    audit.orders.put(order("o1", S.PAID, imp_uid="imp_1", stray_payments=(stray,)))
    audit.gateway.add(payment("imp_1", "o1", 20_000), payment("imp_2", "o1", 20_000, pay_method="vbank"))

    report = audit.auditor.audit(SINCE, UNTIL)

    assert audit.reconciler.calls == []
    assert (report.checked, report.needs_a_person) == (1, [])


def test_payments_the_order_names_outside_the_window_are_looked_up_and_counted(audit: Harness) -> None:
    stray = StrayPayment("imp_old", 0, "late_success", NOW, unrefunded=9_000)
    audit.orders.put(order("o1", S.PAID, imp_uid="imp_1", stray_payments=(stray,)))
    audit.gateway.add(payment("imp_1", "o1", 20_000))
    outside = payment("imp_old", "o1", 9_000)  # not listed in the window, still held at I'mport

    audit.gateway.get_payments = lambda ids: [  # type: ignore[method-assign]
        {"imp_1": audit.gateway.payments["imp_1"], "imp_old": outside}[i] for i in ids
    ]
    report = audit.auditor.audit(SINCE, UNTIL)

    assert (report.checked, report.needs_a_person) == (1, [])


# ---------------------------------------------------------------- needs a person


def test_books_showing_a_refund_iamport_does_not_need_a_person(audit: Harness) -> None:
    audit.orders.put(
        order("o1", S.PARTIALLY_CANCELLED, imp_uid="imp_1", refunds=(refund(5_000, cancellation_id="gone"),))
    )
    audit.gateway.add(payment("imp_1", "o1", 20_000))

    report = audit.auditor.audit(SINCE, UNTIL)

    assert audit.reconciler.calls == []  # no rule settles it
    assert report.checked == 0 and report.fixed == 0
    (found,) = report.needs_a_person
    assert (found.merchant_uid, found.imp_uids, found.held, found.booked) == (
        "o1",
        ("imp_1",),
        20_000,
        15_000,
    )
    assert "more refunded than I'mport" in found.reason
    # I'mport's record was looked at again before it was called a discrepancy
    assert audit.gateway.batches == [["imp_1"]]
    assert audit.metric("AuditDiscrepancies") == [1]


def test_cash_at_iamport_the_books_do_not_count_needs_a_person(audit: Harness) -> None:
    audit.orders.put(order("o1", S.PAID, imp_uid="imp_1"))
    audit.gateway.add(payment("imp_1", "o1", 20_000), payment("imp_2", "o1", 20_000))
    # reconcile was asked about the second payment but could not settle it (the rules said wait)

    report = audit.auditor.audit(SINCE, UNTIL)

    assert ("o1", "imp_2") in audit.reconciler.calls
    (found,) = report.needs_a_person
    assert (found.held, found.booked) == (40_000, 20_000)
    assert "I'mport holds 20000 KRW more than the books" in found.reason


def test_a_payment_without_an_order_that_holds_cash_needs_a_person(audit: Harness) -> None:
    audit.gateway.add(payment("imp_9", "nobody", 12_000), payment("imp_8", "nobody", 12_000, status="failed"))

    report = audit.auditor.audit(SINCE, UNTIL)

    (found,) = report.needs_a_person
    assert (found.merchant_uid, found.imp_uids, found.held, found.booked) == (
        "nobody",
        ("imp_8", "imp_9"),
        12_000,
        0,
    )
    assert "no order" in found.reason
    assert audit.reconciler.calls == []


def test_a_payment_without_an_order_that_holds_nothing_is_ignored(audit: Harness) -> None:
    audit.gateway.add(
        payment("imp_7", "abandoned", 5_000, status="ready"),
        payment("imp_8", "refunded", 5_000, status="cancelled", cancel_amount=5_000),
    )

    report = audit.auditor.audit(SINCE, UNTIL)

    assert (report.ignored, report.checked, report.needs_a_person) == (2, 0, [])


# ---------------------------------------------------------------- robustness and the report


def test_one_failing_order_is_counted_and_the_audit_goes_on(audit: Harness) -> None:
    audit.orders.put(order("o1", S.READY), order("o2", S.READY), order("o3", S.PAID, imp_uid="imp_3"))
    audit.gateway.add(payment("imp_1", "o1", 20_000), payment("imp_2", "o2", 20_000))
    audit.gateway.add(payment("imp_3", "o3", 20_000))
    audit.reconciler.failures["o1"] = GatewayUnavailable("I'mport is down")
    audit.reconciler.failures["o2"] = RuntimeError("a bug")
    audit.reconciler.effects["imp_3"] = lambda o: o

    report = audit.auditor.audit(SINCE, UNTIL)

    assert (report.errors, report.error_merchant_uids, report.checked) == (2, ["o1", "o2"], 1)
    assert audit.metric("AuditErrors") == [2] and audit.metric("AuditDiscrepancies") == [0]


def test_every_page_is_read_and_a_long_window_is_listed_90_days_at_a_time(audit: Harness) -> None:
    for n in range(5):
        audit.orders.put(order(f"o{n}", S.PAID, imp_uid=f"imp_{n}"))
        audit.gateway.add(payment(f"imp_{n}", f"o{n}", 20_000))

    report = audit.auditor.audit(UNTIL - timedelta(days=100), UNTIL)

    assert report.payments == 5 and report.checked == 5
    windows = sorted({(since, until) for _, since, until, _, _ in audit.gateway.listed})
    assert windows == [
        (UNTIL - timedelta(days=100), UNTIL - timedelta(days=10)),
        (UNTIL - timedelta(days=10), UNTIL),
    ]
    assert all(status == "all" for status, *_ in audit.gateway.listed)
    assert [page for *_, page, _ in audit.gateway.listed] == [1, 2, 3, 1, 2, 3]


def test_the_default_window_is_the_two_days_up_to_now(audit: Harness) -> None:
    report = audit.auditor.audit()

    assert (report.since, report.until) == (NOW - timedelta(days=2), NOW)


def test_a_window_that_ends_before_it_starts_is_refused(audit: Harness) -> None:
    with pytest.raises(ValueError, match="end after it starts"):
        audit.auditor.audit(UNTIL, SINCE)


def test_out_of_time_the_audit_stops_taking_orders_and_says_so(audit: Harness) -> None:
    audit.orders.put(order("o1", S.PAID, imp_uid="imp_1"))
    audit.gateway.add(payment("imp_1", "o1", 20_000))

    report = audit.auditor.audit(SINCE, UNTIL, time_left_s=lambda: 5.0)

    assert report.out_of_time and report.checked == 0
    assert audit.metric("AuditDiscrepancies") == [0]


def test_the_report_is_json_with_a_one_line_summary(audit: Harness) -> None:
    audit.orders.put(order("o1", S.PAID, imp_uid="imp_1"))
    audit.gateway.add(payment("imp_1", "o1", 20_000), payment("imp_9", "nobody", 1_000))

    report = audit.auditor.audit(SINCE, UNTIL)
    as_json = json.loads(json.dumps(report.as_dict()))

    assert as_json == {
        "since": SINCE.isoformat(),
        "until": UNTIL.isoformat(),
        "payments": 2,
        "checked": 1,
        "fixed": 0,
        "needs_a_person": [
            {
                "merchant_uid": "nobody",
                "imp_uids": ["imp_9"],
                "held": 1_000,
                "booked": 0,
                "reason": "no order has this merchant_uid, yet I'mport holds cash for it",
            }
        ],
        "ignored": 0,
        "errors": 0,
        "error_merchant_uids": [],
        "out_of_time": False,
    }
    assert report.summary() == "checked 1, fixed 0, needs a person 1"
