"""What the browser tests check behind the page: the stored state (tests.support.stored) with the
products the journeys buy, named as a shop would name them."""

from __future__ import annotations

from checkout.domain.order import Product
from tests.support.stored import StoredState


class ShopState(StoredState):
    """The stack's tables, read and seeded directly: the ground truth the page must agree with."""

    def add_product(self, name: str, price: int, stock: int) -> Product:
        product = Product(self.new_product_id(), name, price, stock)
        self.put_product(product.product_id, name, price, stock)
        return product
