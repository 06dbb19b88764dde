"""The order's state changes: the `Transition` type (everything one change writes, applied by the store as
ONE TransactWriteItems) and the functions that build each one (docs/design.md#transitions).

The order item is written conditioned on its expected version and allowed from-states (or on not
existing yet, for a new order); the side effects ride in the same transaction, so either all of them
happen or none. The builders are pure: given the order as read (and what I'mport said), they return what
to write; nothing here talks to AWS or I'mport.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from checkout.domain.order import Order, RefundIntent, RefundRecord, StrayPayment, VbankAccount
from checkout.domain.points import LedgerEntry, LedgerKind, PointsMove, earned_points
from checkout.domain.status import OrderStatus, allowed_from

# DynamoDB's TransactWriteItems limit (since 2022; it was 25 before).
MAX_TRANSACTION_ITEMS = 100
# Per order line, the heaviest transitions write the product's stock and the buyer's cart line
# (creation takes them, failure and expiry give them back).
ITEMS_PER_LINE = 2
# Besides the lines: the order itself, the points balance and at most two ledger entries
# (an all-points order: `use`; a rollback: `release`; a refund: `refund_use` + `clawback`).
FIXED_ITEMS = 4
# So an order may have at most this many distinct products.
MAX_ORDER_LINES = (MAX_TRANSACTION_ITEMS - FIXED_ITEMS) // ITEMS_PER_LINE


@dataclass(frozen=True)
class StockMove:
    """Change a product's stock. Negative = reserve, only if `stock >= -delta` (never oversell)."""

    product_id: str
    delta: int


@dataclass(frozen=True)
class CartMove:
    """Take a cart line into an order (only if it still holds exactly `quantity`), or put it back."""

    product_id: str
    quantity: int
    restore: bool


@dataclass(frozen=True)
class Transition:
    order: Order  # the order as it will be written (version already bumped)
    expected_version: int | None  # None: a new order, which must not exist yet
    from_statuses: frozenset[OrderStatus]
    stock: tuple[StockMove, ...] = ()
    cart: tuple[CartMove, ...] = ()
    points: PointsMove | None = None
    ledger: tuple[LedgerEntry, ...] = ()
    # The buyer's count of unpaid orders (kept on their points balance item): +1 when an order opens,
    # only while it stays below `max_open`; -1 when it is paid, fails or expires.
    open_delta: int = 0
    max_open: int | None = None

    @property
    def user_id(self) -> str:
        return self.order.user_id

    def item_count(self) -> int:
        points = 0 if (self.points is None or self.points.is_empty) and not self.open_delta else 1
        return 1 + len(self.stock) + len(self.cart) + points + len(self.ledger)


def _next(order: Order, now: datetime, **changes: object) -> Order:
    return order.evolve(version=order.version + 1, updated_at=now, **changes)


def _ledger(
    order: Order, kind: LedgerKind, points: int, now: datetime, refund_id: str | None = None
) -> tuple[LedgerEntry, ...]:
    if points <= 0:
        return ()
    return (LedgerEntry(order.user_id, kind, points, order.merchant_uid, now, refund_id),)


def open_order(order: Order, *, max_open: int | None = None) -> Transition:
    """Create the order: reserve stock, take the cart lines, hold (or, all-points, spend) the points.

    An unpaid order counts against the buyer's `max_open` unpaid orders (an all-points order is paid);
    it says so (`counts_open`), and only such an order gives its place back when it closes.
    """
    order = order.evolve(counts_open=order.is_open)
    now = order.created_at
    spend = order.points_used
    points: PointsMove | None = None
    ledger: tuple[LedgerEntry, ...] = ()
    if spend > 0:
        if order.status is OrderStatus.PAID:  # nothing left to pay through I'mport: the points are spent now
            points = PointsMove(order.user_id, available_delta=-spend, require_available=spend)
            ledger = _ledger(order, LedgerKind.USE, spend, now)
        else:
            points = PointsMove(
                order.user_id, available_delta=-spend, held_delta=spend, require_available=spend
            )
            ledger = _ledger(order, LedgerKind.HOLD, spend, now)
    return Transition(
        order=order,
        expected_version=None,
        from_statuses=frozenset(),
        stock=tuple(StockMove(line.product_id, -line.quantity) for line in order.lines),
        cart=tuple(CartMove(line.product_id, line.quantity, restore=False) for line in order.lines),
        points=points,
        ledger=ledger,
        open_delta=1 if order.counts_open else 0,
        max_open=max_open if order.counts_open else None,
    )


def mark_paid(
    order: Order, *, imp_uid: str, payment: dict[str, object], paid_at: datetime, now: datetime, earn_bp: int
) -> Transition:
    """Verified paid: the hold is spent (`use`) and the reward credited (`earn`)."""
    earned = earned_points(order.amount, earn_bp)
    new = _next(
        order,
        now,
        status=OrderStatus.PAID,
        imp_uid=imp_uid,
        payment=payment,
        paid_at=paid_at,
        points_earned=earned,
        failure_reason=None,
    )
    move = PointsMove(order.user_id, available_delta=earned, held_delta=-order.points_used)
    return Transition(
        order=new,
        expected_version=order.version,
        from_statuses=allowed_from(OrderStatus.PAID),
        points=move,
        ledger=_ledger(order, LedgerKind.USE, order.points_used, now)
        + _ledger(order, LedgerKind.EARN, earned, now),
        open_delta=-1 if order.counts_open else 0,
    )


def mark_awaiting_deposit(
    order: Order,
    *,
    imp_uid: str,
    vbank: VbankAccount,
    payment: dict[str, object],
    now: datetime,
    expires_at: datetime | None = None,
) -> Transition:
    """The virtual account is issued: the order now waits for the deposit, until `expires_at`."""
    new = _next(
        order,
        now,
        status=OrderStatus.AWAITING_DEPOSIT,
        imp_uid=imp_uid,
        vbank=vbank,
        payment=payment,
        expires_at=expires_at or order.expires_at,
    )
    return Transition(
        order=new, expected_version=order.version, from_statuses=allowed_from(OrderStatus.AWAITING_DEPOSIT)
    )


def roll_back(
    order: Order,
    target: OrderStatus,
    *,
    reason: str,
    now: datetime,
    imp_uid: str | None = None,
    stray: StrayPayment | None = None,
) -> Transition:
    """`failed` or `expired`: stock, held points and cart lines all go back."""
    if target not in (OrderStatus.FAILED, OrderStatus.EXPIRED):
        raise ValueError(f"{target} is not a rollback")
    changes: dict[str, object] = {"status": target, "failure_reason": reason}
    if imp_uid is not None:
        changes["imp_uid"] = imp_uid
    if stray is not None:
        changes["stray_payments"] = (*order.stray_payments, stray)
    new = _next(order, now, **changes)
    held = order.points_used
    return Transition(
        order=new,
        expected_version=order.version,
        from_statuses=allowed_from(target),
        stock=tuple(StockMove(line.product_id, line.quantity) for line in order.lines),
        cart=tuple(CartMove(line.product_id, line.quantity, restore=True) for line in order.lines),
        points=PointsMove(order.user_id, available_delta=held, held_delta=-held) if held else None,
        ledger=_ledger(order, LedgerKind.RELEASE, held, now),
        open_delta=-1 if order.counts_open else 0,
    )


def record_refund_intent(order: Order, intent: RefundIntent, now: datetime) -> Transition:
    """Saga step 1: remember what is about to be refunded before I'mport is asked."""
    new = _next(order, now, pending_refund=intent)
    return Transition(order=new, expected_version=order.version, from_statuses=frozenset({order.status}))


def complete_refund(
    order: Order,
    intent: RefundIntent,
    now: datetime,
    cancellation_id: str | None = None,
    *,
    clears_pending: bool = True,
) -> Transition:
    """Saga step 3: the cash is back at the buyer; restore stock and points, record, clear the intent.

    Also books a cancel made outside the saga (`clears_pending=False` keeps a pending refund that is
    still alive; True drops one that died with this cancel).
    """
    refunded = {line.product_id: line.quantity for line in intent.lines}
    lines = tuple(
        replace(line, refunded_quantity=line.refunded_quantity + refunded.get(line.product_id, 0))
        for line in order.lines
    )
    record = RefundRecord(
        id=intent.id,
        amount=intent.amount,
        points=intent.points,
        clawback=intent.clawback,
        lines=intent.lines,
        at=now,
        reason=intent.reason,
        request_hash=intent.request_hash,
        cancellation_id=cancellation_id,
        cancel_ref=intent.cancel_ref,
    )
    status = OrderStatus.CANCELLED if intent.final else OrderStatus.PARTIALLY_CANCELLED
    pending = None if clears_pending else order.pending_refund
    new = _next(
        order, now, status=status, lines=lines, refunds=(*order.refunds, record), pending_refund=pending
    )
    delta = intent.points - intent.clawback
    return Transition(
        order=new,
        expected_version=order.version,
        from_statuses=allowed_from(status),
        stock=tuple(StockMove(line.product_id, line.quantity) for line in intent.lines if line.quantity),
        points=PointsMove(order.user_id, available_delta=delta) if delta else None,
        ledger=_ledger(order, LedgerKind.REFUND_USE, intent.points, now, intent.id)
        + _ledger(order, LedgerKind.CLAWBACK, intent.clawback, now, intent.id),
    )


def drop_refund_intent(order: Order, now: datetime) -> Transition:
    """I'mport refused the refund for good (nothing left its balance): forget the intent."""
    new = _next(order, now, pending_refund=None)
    return Transition(order=new, expected_version=order.version, from_statuses=frozenset({order.status}))


def record_stray_payment(order: Order, stray: StrayPayment, now: datetime) -> Transition:
    """A payment that must not count was refunded (or refused) at I'mport: keep the evidence on the order,
    replacing what an earlier report recorded of the same payment."""
    others = tuple(s for s in order.stray_payments if s.imp_uid != stray.imp_uid)
    new = _next(order, now, stray_payments=(*others, stray))
    return Transition(order=new, expected_version=order.version, from_statuses=frozenset({order.status}))


def record_sweep(order: Order, now: datetime, *, failed: bool) -> Transition:
    """The sweeper looked at an order that stays as it is: schedule its next look (or its retry)."""
    from checkout.domain.order import checks_passed, retry_delay

    if failed:
        failures = order.sweep_failures + 1
        new = _next(order, now, sweep_failures=failures, retry_at=now + retry_delay(failures))
    else:
        checks = max(order.checks + 1, checks_passed(order.created_at, now))
        new = _next(order, now, checks=checks, sweep_failures=0, retry_at=None)
    return Transition(order=new, expected_version=order.version, from_statuses=frozenset({order.status}))
