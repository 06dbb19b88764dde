"""One realistic order for tests that need an Order value without a store (handlers, views, OpenAPI)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from checkout.domain.order import Buyer, Order, OrderLine
from checkout.domain.status import OrderStatus

NOW = datetime(2026, 1, 1, 5, 0, tzinfo=UTC)
MERCHANT_UID = "ord_20260101_8f3a2c1b9d"  # the sample events' order


def sample_order(user_id: str = "buyer-1", status: OrderStatus = OrderStatus.READY, **changes: Any) -> Order:
    order = Order(
        merchant_uid=MERCHANT_UID,
        user_id=user_id,
        status=status,
        version=1,
        name="화이트 티셔츠 M",
        lines=(OrderLine("tee-white-m", "화이트 티셔츠 M", 19000, 2),),
        total=38000,
        points_used=1000,
        amount=37000,
        pay_method="card",
        buyer=Buyer("김민지", "minji.kim@example.com", "010-1234-5678"),
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=30),
        updated_at=NOW,
    )
    return order.evolve(**changes) if changes else order
