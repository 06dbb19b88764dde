"""What the facade returns (besides domain types). Views turn these into the public JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    ledger: tuple[LedgerEntry, ...]  # newest first


@dataclass
class SweepReport:
    examined: int = 0
    paid: int = 0
    awaiting_deposit: int = 0
    failed: int = 0
    expired: int = 0
    refunds_resumed: int = 0
    errors: int = 0
    error_merchant_uids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "examined": self.examined,
            "paid": self.paid,
            "awaiting_deposit": self.awaiting_deposit,
            "failed": self.failed,
            "expired": self.expired,
            "refunds_resumed": self.refunds_resumed,
            "errors": self.errors,
        }
