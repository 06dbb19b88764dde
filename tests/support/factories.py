"""Domain objects for unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from checkout.domain.order import Buyer, Order, OrderLine
from checkout.domain.reconciliation import PaymentFacts
from checkout.domain.status import OrderStatus

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def an_order(
    *,
    status: OrderStatus = OrderStatus.READY,
    points: int = 5_000,
    imp_uid: str | None = None,
    lines: tuple[OrderLine, ...] | None = None,
    earned: int = 0,
    pay_method: str = "card",
) -> Order:
    lines = lines or (OrderLine("mug", "Mug", 10_000, 2), OrderLine("tee", "Tee", 5_000, 1))
    total = sum(x.price * x.quantity for x in lines)
    return Order(
        merchant_uid="ord_1",
        user_id="u1",
        status=status,
        version=3,
        name="Mug 외 1건",
        lines=lines,
        total=total,
        points_used=points,
        amount=total - points,
        pay_method=pay_method,
        buyer=Buyer("Kim", "k@example.com", "010-1111-2222"),
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=30),
        updated_at=NOW,
        imp_uid=imp_uid,
        points_earned=earned,
    )


def a_payment(order: Order, **changes: object) -> PaymentFacts:
    fields: dict[str, object] = {
        "imp_uid": "imp_1",
        "merchant_uid": order.merchant_uid,
        "status": "paid",
        "amount": order.amount,
        "cancel_amount": 0,
        "currency": "KRW",
        "pay_method": "card",
        "paid_at": NOW,
    }
    fields.update(changes)
    return PaymentFacts(**fields)  # type: ignore[arg-type]
