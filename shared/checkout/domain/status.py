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


S = OrderStatus

# Orders that still wait for money: the sweeper watches them, stock and points stay reserved.
OPEN = frozenset({S.READY, S.AWAITING_DEPOSIT})
# Orders whose money arrived and can (still) be refunded. Nothing more happens to the other statuses
# (cancelled, failed, expired), except refunding a stray payment that arrives late.
REFUNDABLE = frozenset({S.PAID, S.PARTIALLY_CANCELLED})

# target status -> the statuses it may be reached from. A new order starts `ready`, or `paid` when
# points cover the whole total (see transitions.open_order).
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.AWAITING_DEPOSIT: frozenset({S.READY}),
    S.PAID: frozenset({S.READY, S.AWAITING_DEPOSIT}),
    S.PARTIALLY_CANCELLED: frozenset({S.PAID, S.PARTIALLY_CANCELLED}),
    S.CANCELLED: frozenset({S.PAID, S.PARTIALLY_CANCELLED}),
    S.FAILED: frozenset({S.READY, S.AWAITING_DEPOSIT}),
    S.EXPIRED: frozenset({S.READY, S.AWAITING_DEPOSIT}),
}


def allowed_from(target: OrderStatus) -> frozenset[OrderStatus]:
    return TRANSITIONS.get(target, frozenset())


def can_move(current: OrderStatus, target: OrderStatus) -> bool:
    return current in allowed_from(target)
