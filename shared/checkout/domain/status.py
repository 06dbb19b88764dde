"""The order state machine (docs/design.md#state-machine): which status may follow which.

Every write that changes an order is conditioned on the order still being in one of the allowed
from-states (and on its version), so this table is also the set of conditions the store enforces.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    READY = "ready"
    AWAITING_DEPOSIT = "awaiting_deposit"
    PAID = "paid"
    PARTIALLY_CANCELLED = "partially_cancelled"
    CANCELLED = "cancelled"
    FAILED = "failed"
    EXPIRED = "expired"


# Orders that still wait for money: the sweeper watches them, stock and points stay reserved.
OPEN = frozenset({OrderStatus.READY, OrderStatus.AWAITING_DEPOSIT})
# Orders whose money arrived and can (still) be refunded. Nothing more happens to the other statuses
# (cancelled, failed, expired), except refunding a stray payment that arrives late.
REFUNDABLE = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_CANCELLED})

# target status -> the statuses it may be reached from. A new order starts `ready`, or `paid` when
# points cover the whole total (see transitions.open_order).
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.AWAITING_DEPOSIT: frozenset({OrderStatus.READY}),
    OrderStatus.PAID: frozenset({OrderStatus.READY, OrderStatus.AWAITING_DEPOSIT}),
    OrderStatus.PARTIALLY_CANCELLED: frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_CANCELLED}),
    OrderStatus.CANCELLED: frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_CANCELLED}),
    OrderStatus.FAILED: frozenset({OrderStatus.READY, OrderStatus.AWAITING_DEPOSIT}),
    OrderStatus.EXPIRED: frozenset({OrderStatus.READY, OrderStatus.AWAITING_DEPOSIT}),
}


def allowed_from(target: OrderStatus) -> frozenset[OrderStatus]:
    return TRANSITIONS.get(target, frozenset())


def can_move(current: OrderStatus, target: OrderStatus) -> bool:
    return current in allowed_from(target)
