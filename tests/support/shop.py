"""The services wired on DynamoDB Local and the sandbox, as the core integration tests drive them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from checkout.config import Settings
from checkout.domain.order import Product
from checkout.domain.points import LedgerEntry
from checkout.gateway import IamportV1Gateway
from checkout.inputs import CreateOrderInput
from checkout.services import Checkout, CreatedOrder
from checkout.store import Store


class Clock:
    """The checkout's clock in tests: real time unless moved forward."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self.offset += delta


@dataclass
class Shop:
    """A configured checkout plus the handles tests use to arrange and inspect state."""

    checkout: Checkout
    store: Store
    settings: Settings
    gateway: IamportV1Gateway
    sandbox: Any
    clock: Clock
    metrics: list[str]

    def add_product(self, product_id: str, price: int, stock: int, name: str | None = None) -> Product:
        product = Product(product_id, name or f"Product {product_id}", price, stock)
        self.store.catalog.put_product(product)
        return product

    def grant(self, user_id: str, points: int) -> None:
        self.store.points.grant(user_id, points, f"welcome-{user_id}-{points}", self.clock())

    def stock(self, product_id: str) -> int:
        product = self.store.catalog.get_product(product_id)
        assert product is not None
        return product.stock

    def balance(self, user_id: str) -> tuple[int, int]:
        b = self.store.points.balance(user_id)
        return b.available, b.held

    def ledger(self, user_id: str, page_size: int = 50) -> list[LedgerEntry]:
        """The whole ledger, newest first, page after page."""
        entries: list[LedgerEntry] = []
        cursor: str | None = None
        while True:
            page, cursor = self.store.points.ledger(user_id, page_size, cursor)
            entries.extend(page)
            if cursor is None:
                return entries

    def ledger_kinds(self, user_id: str) -> list[str]:
        return sorted(e.kind.value for e in self.ledger(user_id))

    def cart(self, user_id: str) -> dict[str, int]:
        return dict(self.store.carts.list_items(user_id))

    def order_for(
        self,
        user_id: str,
        items: dict[str, int],
        *,
        points: int = 0,
        pay_method: str = "card",
        key: str | None = None,
    ) -> CreatedOrder:
        for product_id, quantity in items.items():
            self.checkout.put_cart_item(user_id, product_id, quantity)
        return self.checkout.create_order(user_id, order_input(points=points, pay_method=pay_method), key)


def order_input(*, points: int = 0, pay_method: str = "card", **buyer: Any) -> CreateOrderInput:
    return CreateOrderInput.model_validate(
        {
            "buyer": {"name": "홍길동", "email": "buyer@example.com", "tel": "010-1234-5678", **buyer},
            "points_to_use": points,
            "pay_method": pay_method,
        }
    )
