"""Domain types: products, carts, orders and what happened to them. Plain data, no AWS.

Money is `int` KRW everywhere (KRW has no minor unit).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from checkout.domain.status import OPEN, OrderStatus

# A refund intent still pending this long after it was recorded belongs to a request that died between
# asking I'mport and recording the result: the sweeper finishes it.
REFUND_RESUME_AFTER = timedelta(minutes=1)

# When the sweeper asks I'mport about an open order that nobody has reported (lost webhook, closed
# browser): these times after creation, then every CHECK_EVERY until it expires. A card payment whose
# every report was lost is found by the first sweeper run after two minutes.
CHECK_AFTER = (timedelta(minutes=2), timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=30))
CHECK_EVERY = timedelta(hours=1)
# An order the sweeper fails on waits 2, 4, 8, ... minutes (at most an hour) before the next try, so a
# few orders that keep failing never hold up the others.
RETRY_CAP = timedelta(hours=1)


def retry_delay(failures: int) -> timedelta:
    # The exponent is capped before it is raised: 2**41 minutes does not fit a timedelta.
    return min(timedelta(minutes=2 ** min(max(failures, 1), 6)), RETRY_CAP)


def check_at(created_at: datetime, n: int) -> datetime:
    """The n-th scheduled check of an open order (n from 0)."""
    if n < len(CHECK_AFTER):
        return created_at + CHECK_AFTER[n]
    return created_at + CHECK_AFTER[-1] + CHECK_EVERY * (n - len(CHECK_AFTER) + 1)


def checks_passed(created_at: datetime, now: datetime) -> int:
    """How many scheduled checks are at or before `now`: after a check at `now` the next is the first
    slot still ahead, so a sweeper that fell behind does not check an order on every run to catch up."""
    elapsed = now - created_at
    passed = sum(1 for after in CHECK_AFTER if after <= elapsed)
    if passed == len(CHECK_AFTER):
        passed += int((elapsed - CHECK_AFTER[-1]) // CHECK_EVERY)
    return passed


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    price: int
    stock: int


@dataclass(frozen=True)
class CartItem:
    product_id: str
    name: str
    price: int
    quantity: int

    @property
    def line_total(self) -> int:
        return self.price * self.quantity


@dataclass(frozen=True)
class Cart:
    user_id: str
    items: tuple[CartItem, ...] = ()

    @property
    def total(self) -> int:
        return sum(item.line_total for item in self.items)


@dataclass(frozen=True)
class Buyer:
    name: str
    email: str
    tel: str
    addr: str | None = None
    postcode: str | None = None


@dataclass(frozen=True)
class OrderLine:
    product_id: str
    name: str
    price: int  # the price when the order was placed
    quantity: int
    refunded_quantity: int = 0

    @property
    def remaining_quantity(self) -> int:
        return self.quantity - self.refunded_quantity


@dataclass(frozen=True)
class LineQuantity:
    product_id: str
    quantity: int


@dataclass(frozen=True)
class VbankAccount:
    bank: str
    number: str
    holder: str | None
    due: datetime


@dataclass(frozen=True)
class RefundAccount:
    holder: str
    bank: str
    number: str


@dataclass(frozen=True)
class RefundIntent:
    """Step 1 of the refund saga (docs/design.md#refund-saga): what is about to be refunded, written before
    I'mport is asked.

    `checksum` is the cancellable cash I'mport must still show: a repeated cancel with the same checksum is
    refused once the first went through, so cash can never go out twice.
    """

    id: str
    lines: tuple[LineQuantity, ...]
    amount: int  # cash to cancel at I'mport
    points: int  # points credited back (refund_use)
    clawback: int  # earned points taken back
    checksum: int
    reason: str
    created_at: datetime
    final: bool  # True when this refund leaves nothing to refund: the order becomes `cancelled`
    request_hash: str = ""
    refund_account: RefundAccount | None = None
    # A fresh token per attempt, sent inside the cancel's `reason`: I'mport echoes the reason in the
    # payment's `cancel_history`, which is how the saga recognises *its own* cancel there (with the
    # amount), never by how much the balance fell (docs/RELIABILITY.md, "Whose cancel is it").
    cancel_ref: str = ""

    @property
    def iamport_reason(self) -> str:
        """The `reason` sent with the cancel: the tag first, so a shortened reason still carries it."""
        return f"[{self.cancel_ref}] {self.reason}" if self.cancel_ref else self.reason

    def sweep_due(self, now: datetime) -> bool:
        """Old enough that the request which recorded it must have died."""
        return self.created_at + REFUND_RESUME_AFTER <= now


@dataclass(frozen=True)
class RefundRecord:
    id: str
    amount: int
    points: int
    clawback: int
    lines: tuple[LineQuantity, ...]
    at: datetime
    reason: str = ""
    request_hash: str = ""
    cancellation_id: str | None = None  # the entry of the payment's cancel_history this refund is
    cancel_ref: str = ""


@dataclass(frozen=True)
class StrayPayment:
    """A payment for this merchant_uid that was not (or no longer) the order's: refunded at I'mport.

    The record mirrors I'mport's: `amount` is what the payment has had cancelled, `unrefunded` what it
    still holds. A report showing the payment holding more than `unrefunded` is acted on again.
    """

    imp_uid: str
    amount: int  # refunded at I'mport
    reason: str  # duplicate | late_success | amount_mismatch
    at: datetime
    # Still at I'mport because it refused the refund (a paid virtual account needs the buyer's own
    # account, docs/iamport-v1.md#cancel): an operator must return it by hand.
    unrefunded: int = 0


@dataclass(frozen=True)
class Order:
    merchant_uid: str
    user_id: str
    status: OrderStatus
    version: int
    name: str
    lines: tuple[OrderLine, ...]
    total: int
    points_used: int
    amount: int  # cash through I'mport: total - points_used
    pay_method: str
    buyer: Buyer
    created_at: datetime
    expires_at: datetime
    updated_at: datetime
    shipping_notice: str | None = None
    imp_uid: str | None = None
    payment: dict[str, object] | None = None  # snapshot of the verified I'mport payment (no card data)
    vbank: VbankAccount | None = None
    refunds: tuple[RefundRecord, ...] = ()
    pending_refund: RefundIntent | None = None
    stray_payments: tuple[StrayPayment, ...] = ()
    points_earned: int = 0
    failure_reason: str | None = None
    paid_at: datetime | None = None
    # The sweeper's bookkeeping: how many times it has asked I'mport about this open order, how many
    # times in a row it failed on it, and not before when it tries again.
    checks: int = 0
    sweep_failures: int = 0
    retry_at: datetime | None = None
    # Counted in the buyer's open-order limit when it was created (orders from before the limit are not):
    # only such an order gives its place back when it stops being open, so the counter never drifts.
    counts_open: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def cash_refunded(self) -> int:
        return sum(r.amount for r in self.refunds)

    @property
    def points_refunded(self) -> int:
        return sum(r.points for r in self.refunds)

    @property
    def points_clawed_back(self) -> int:
        return sum(r.clawback for r in self.refunds)

    @property
    def cancellable_cash(self) -> int:
        """What I'mport should still be able to cancel, by our own records (the refund checksum)."""
        return self.amount - self.cash_refunded

    def line(self, product_id: str) -> OrderLine | None:
        return next((line for line in self.lines if line.product_id == product_id), None)

    def next_check_at(self) -> datetime:
        """When the sweeper next asks I'mport about this open order (before it expires)."""
        return check_at(self.created_at, self.checks)

    def sweep_at(self) -> datetime | None:
        """When the sweeper must look at this order, or None when it never needs to (sparse index)."""
        if self.pending_refund is not None:
            due = self.pending_refund.created_at + REFUND_RESUME_AFTER
        elif self.is_open:
            due = min(self.expires_at, self.next_check_at())
        else:
            return None
        return max(due, self.retry_at) if self.retry_at is not None else due

    def evolve(self, **changes: object) -> Order:
        return replace(self, **changes)  # type: ignore[arg-type]
