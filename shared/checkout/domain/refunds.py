"""How much of a refund is cash and how much is points (docs/design.md#money-points-stock, #refund-saga).

Cash goes back first, then points: the buyer paid `amount` in cash and `points_used` in points, and a
partial refund returns money before it returns points. Earned points are clawed back in proportion to
the cash refunded. The split is decided once, when the intent is recorded, and never recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from checkout import error_codes as codes
from checkout.domain.order import LineQuantity, Order, RefundAccount, RefundIntent
from checkout.domain.points import clawback_after
from checkout.domain.status import REFUNDABLE
from checkout.errors import BadRequest, OrderStateConflict, RefundExceedsRemaining


def plan_refund(
    order: Order,
    requested: Sequence[LineQuantity] | None,
    *,
    refund_id: str,
    reason: str,
    now: datetime,
    request_hash: str = "",
    refund_account: RefundAccount | None = None,
    cancel_ref: str = "",
) -> RefundIntent:
    """The intent for refunding `requested` lines (None: everything that is left)."""
    if order.status not in REFUNDABLE:
        raise OrderStateConflict(
            f"order {order.merchant_uid} is {order.status.value}: only a paid order can be refunded"
        )
    lines = _lines_to_refund(order, requested)
    if not lines:
        raise RefundExceedsRemaining(f"order {order.merchant_uid} has nothing left to refund")
    final = all(
        line.remaining_quantity == next((r.quantity for r in lines if r.product_id == line.product_id), 0)
        for line in order.lines
    )
    points_left = order.points_used - order.points_refunded
    if final:
        cash, points = order.cancellable_cash, points_left
    else:
        # Capped to what is left: after a cancel made at I'mport (which named no goods) the lines may be
        # worth more than the money still refundable. Cash first, then points, never more than remains.
        value = sum(_price(order, r.product_id) * r.quantity for r in lines)
        cash = min(value, max(order.cancellable_cash, 0))
        points = min(value - cash, points_left)
    if cash < 0 or points < 0:
        # Only reachable if the stored order is inconsistent; refuse rather than pay out wrongly.
        raise OrderStateConflict(f"order {order.merchant_uid} cannot be refunded as recorded")
    earned_back_before = order.points_clawed_back
    if final:
        clawback = order.points_earned - earned_back_before
    else:
        cumulative = clawback_after(order.points_earned, order.amount, order.cash_refunded + cash)
        clawback = cumulative - earned_back_before
    return RefundIntent(
        id=refund_id,
        lines=lines,
        amount=cash,
        points=points,
        clawback=max(clawback, 0),
        checksum=order.cancellable_cash,
        reason=reason,
        created_at=now,
        final=final,
        request_hash=request_hash,
        refund_account=refund_account,
        cancel_ref=cancel_ref,
    )


def plan_cancel_at_iamport(
    order: Order, cash: int, *, refund_id: str, now: datetime, closes: bool
) -> RefundIntent:
    """Book `cash` that was cancelled outside the checkout (I'mport's console, another system): gone already.

    When it empties what the books say I'mport holds (`closes`), it is the whole order's cancel: every
    remaining line, points and reward come back, as for a full refund. Otherwise it names no goods
    (stock stays; adjust it by hand if goods came back) and no points (those follow the goods); the
    reward is clawed back in proportion, like any cash refund.
    """
    if order.status not in REFUNDABLE or not 0 < cash <= order.cancellable_cash:
        raise OrderStateConflict(f"order {order.merchant_uid} cannot take a cancel of {cash} KRW as recorded")
    if closes and cash == order.cancellable_cash:
        return plan_refund(order, None, refund_id=refund_id, reason="cancelled at I'mport", now=now)
    cumulative = clawback_after(order.points_earned, order.amount, order.cash_refunded + cash)
    return RefundIntent(
        id=refund_id,
        lines=(),
        amount=cash,
        points=0,
        clawback=max(cumulative - order.points_clawed_back, 0),
        checksum=order.cancellable_cash,
        reason="partially cancelled at I'mport",
        created_at=now,
        final=False,
    )


def _lines_to_refund(order: Order, requested: Sequence[LineQuantity] | None) -> tuple[LineQuantity, ...]:
    if requested is None:
        return tuple(
            LineQuantity(line.product_id, line.remaining_quantity)
            for line in order.lines
            if line.remaining_quantity > 0
        )
    out: list[LineQuantity] = []
    for want in requested:
        line = order.line(want.product_id)
        if line is None:
            raise BadRequest(
                f"product {want.product_id} is not part of order {order.merchant_uid}",
                code=codes.UNKNOWN_ORDER_LINE,
            )
        if want.quantity > line.remaining_quantity:
            raise RefundExceedsRemaining(
                f"only {line.remaining_quantity} of {line.name} can still be refunded"
            )
        out.append(LineQuantity(want.product_id, want.quantity))
    return tuple(out)


def _price(order: Order, product_id: str) -> int:
    line = order.line(product_id)
    assert line is not None
    return line.price
