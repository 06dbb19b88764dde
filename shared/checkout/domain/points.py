"""Points rules (docs/design.md#money-points-stock): a per-user balance with holds, and a ledger with
deterministic keys.

The ledger key is `merchant_uid` + event (plus the refund id for refund events), written with
`attribute_not_exists`: a replayed transition can never credit or debit twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class LedgerKind(StrEnum):
    HOLD = "hold"  # available -> held when an order is created
    USE = "use"  # the hold (or, for an all-points order, the balance) is spent
    RELEASE = "release"  # held -> available when the order fails or expires
    EARN = "earn"  # reward for a paid order
    REFUND_USE = "refund_use"  # spent points given back by a refund
    CLAWBACK = "clawback"  # reward taken back in proportion to refunded cash
    GRANT = "grant"  # points given by the shop (welcome bonus, goodwill); `merchant_uid` names the grant


@dataclass(frozen=True)
class LedgerEntry:
    """One movement. `points` is the (positive) size of the movement; `kind` says its direction."""

    user_id: str
    kind: LedgerKind
    points: int
    merchant_uid: str
    at: datetime
    refund_id: str | None = None

    @property
    def event(self) -> str:
        return f"{self.kind.value}#{self.refund_id}" if self.refund_id else self.kind.value


@dataclass(frozen=True)
class PointsBalance:
    available: int = 0
    held: int = 0


@dataclass(frozen=True)
class PointsMove:
    """A change of one user's balance inside a transition.

    `require_available`: the move only happens if `available` is at least this much (a hold must not
    overdraw); None means no condition (credits, and clawbacks, which may drive the balance negative
    rather than block a refund).
    """

    user_id: str
    available_delta: int = 0
    held_delta: int = 0
    require_available: int | None = None

    @property
    def is_empty(self) -> bool:
        return self.available_delta == 0 and self.held_delta == 0


def earned_points(cash_amount: int, earn_bp: int) -> int:
    """Points earned for a paid order: `earn_bp` basis points of the cash paid, rounded down."""
    return cash_amount * earn_bp // 10_000


def clawback_after(earned: int, amount: int, cash_refunded_after: int) -> int:
    """Total reward clawed back once `cash_refunded_after` of `amount` has been refunded.

    Computed cumulatively (not per refund) so rounding never drifts: after the last refund the whole
    reward is back, however many partial refunds came before.
    """
    if amount <= 0 or earned <= 0:
        return 0
    return earned * min(cash_refunded_after, amount) // amount
