"""Catalog and cart use cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from checkout import error_codes as codes
from checkout.domain.order import Cart, CartItem, Product
from checkout.errors import BadRequest, ProductNotFound
from checkout.ports import CartRepository, CatalogRepository

MAX_QUANTITY = 99


class CatalogService:
    def __init__(
        self, catalog: CatalogRepository, carts: CartRepository, clock: Callable[[], datetime]
    ) -> None:
        self._catalog = catalog
        self._carts = carts
        self._clock = clock

    def list_products(self) -> list[Product]:
        return self._catalog.list_products()

    def get_cart(self, user_id: str) -> Cart:
        lines = self._carts.list_items(user_id)
        products = self._catalog.get_products(pid for pid, _ in lines)
        # A line whose product left the catalogue is not shown (and cannot be ordered).
        items = tuple(
            CartItem(pid, products[pid].name, products[pid].price, qty)
            for pid, qty in sorted(lines)
            if pid in products
        )
        return Cart(user_id, items)

    def put_cart_item(self, user_id: str, product_id: str, quantity: int) -> Cart:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            raise BadRequest(
                f"quantity must be an integer from 1 to {MAX_QUANTITY}", code=codes.INVALID_QUANTITY
            )
        if self._catalog.get_product(product_id) is None:
            raise ProductNotFound(f"no product {product_id}")
        self._carts.put_item(user_id, product_id, quantity, self._clock())
        return self.get_cart(user_id)

    def delete_cart_item(self, user_id: str, product_id: str) -> Cart:
        in_cart = any(pid == product_id for pid, _ in self._carts.list_items(user_id))
        if not in_cart and self._catalog.get_product(product_id) is None:
            raise ProductNotFound(f"no product {product_id}")
        if in_cart:
            self._carts.delete_item(user_id, product_id)
        return self.get_cart(user_id)
