"""What the facade returns (besides domain types). Views turn these into the public JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from checkout.domain.order import Order
from checkout.domain.points import LedgerEntry


@dataclass(frozen=True)
class Actor:
    """Who is asking: the JWT `sub`, and whether the token carries the admin group."""

    user_id: str
    is_admin: bool = False


@dataclass(frozen=True)
class CreatedOrder:
    order: Order
    payment: dict[str, Any]  # the IMP.request_pay parameters


@dataclass(frozen=True)
class OrderPage:
    orders: tuple[Order, ...]
    next_cursor: str | None


@dataclass(frozen=True)
class PointsSummary:
    available: int
    held: int
    ledger: tuple[LedgerEntry, ...]  # one page, newest first
    next_cursor: str | None  # the next page's cursor; None at the end


@dataclass
class SweepReport:
    examined: int = 0
    checked: int = 0  # open orders asked about at I'mport before their expiry
    paid: int = 0
    awaiting_deposit: int = 0
    failed: int = 0
    expired: int = 0
    refunds_resumed: int = 0
    errors: int = 0
    error_merchant_uids: list[str] = field(default_factory=list)
    out_of_time: bool = False  # the run stopped with orders still due: the next run continues

    def as_dict(self) -> dict[str, Any]:
        return {
            "examined": self.examined,
            "checked": self.checked,
            "paid": self.paid,
            "awaiting_deposit": self.awaiting_deposit,
            "failed": self.failed,
            "expired": self.expired,
            "refunds_resumed": self.refunds_resumed,
            "errors": self.errors,
            "out_of_time": self.out_of_time,
        }


@dataclass(frozen=True)
class Discrepancy:
    """A merchant_uid whose cash at I'mport differs from the books in a way no rule could settle."""

    merchant_uid: str
    imp_uids: tuple[str, ...]  # its payments at I'mport that were compared
    held: int  # KRW I'mport holds for it (paid payments: amount - cancel_amount)
    booked: int  # KRW the books say it holds
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "merchant_uid": self.merchant_uid,
            "imp_uids": list(self.imp_uids),
            "held": self.held,
            "booked": self.booked,
            "reason": self.reason,
        }


@dataclass
class AuditReport:
    """One settlement audit: I'mport's payments of a time window against the orders they belong to."""

    since: datetime
    until: datetime
    payments: int = 0  # payments I'mport listed in the window
    checked: int = 0  # orders whose cash agrees with I'mport (after any fix)
    fixed: int = 0  # orders the audit brought up to date with I'mport (the order changed)
    needs_a_person: list[Discrepancy] = field(default_factory=list)
    ignored: int = 0  # merchant_uids without an order whose payments hold no cash
    errors: int = 0  # merchant_uids the audit could not check (see the logs)
    error_merchant_uids: list[str] = field(default_factory=list)
    out_of_time: bool = False  # stopped before the end of the window's payments

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "payments": self.payments,
            "checked": self.checked,
            "fixed": self.fixed,
            "needs_a_person": [d.as_dict() for d in self.needs_a_person],
            "ignored": self.ignored,
            "errors": self.errors,
            "error_merchant_uids": list(self.error_merchant_uids),
            "out_of_time": self.out_of_time,
        }

    def summary(self) -> str:
        return f"checked {self.checked}, fixed {self.fixed}, needs a person {len(self.needs_a_person)}"
