"""A transition: everything one order state change writes, applied by the store as ONE TransactWriteItems.

The order item is written conditioned on its expected version and allowed from-states (or on not
existing yet, for a new order); the side effects ride in the same transaction, so either all of them
happen or none.
"""

from __future__ import annotations

from dataclasses import dataclass

from checkout.domain.order import Order
from checkout.domain.points import LedgerEntry, PointsMove
from checkout.domain.status import OrderStatus

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
