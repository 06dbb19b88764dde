"""Products and carts on DynamoDB."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pynamodb.exceptions import PynamoDBException

from checkout.domain.order import Product
from checkout.store.codec import dt_out
from checkout.store.models import Models
from checkout.store.unavailable import store_unavailable

# BatchGetItem reads at most 100 keys per call.
_BATCH = 100


def _product(item: object) -> Product | None:
    name, price = getattr(item, "name", None), getattr(item, "price", None)
    if name is None or price is None:
        # A stock counter without a catalogue entry (stock returned after the product was removed).
        return None
    return Product(item.product_id, name, int(price), int(item.stock or 0))  # type: ignore[attr-defined]


class DynamoCatalog:
    def __init__(self, models: Models) -> None:
        self._m = models

    def list_products(self) -> list[Product]:
        try:
            items = list(self._m.product.scan())
        except PynamoDBException as exc:
            raise store_unavailable(exc) from exc
        products = [p for p in (_product(i) for i in items) if p is not None]
        return sorted(products, key=lambda p: (p.name, p.product_id))

    def get_product(self, product_id: str) -> Product | None:
        return self.get_products([product_id]).get(product_id)

    def get_products(self, product_ids: Iterable[str]) -> dict[str, Product]:
        ids = list(dict.fromkeys(product_ids))
        out: dict[str, Product] = {}
        try:
            for start in range(0, len(ids), _BATCH):
                for item in self._m.product.batch_get(ids[start : start + _BATCH]):
                    product = _product(item)
                    if product is not None:
                        out[product.product_id] = product
        except PynamoDBException as exc:
            raise store_unavailable(exc) from exc
        return out

    def put_product(self, product: Product) -> None:
        p = product
        item = self._m.product(p.product_id, name=p.name, price=p.price, stock=p.stock)
        try:
            item.save()
        except PynamoDBException as exc:
            raise store_unavailable(exc) from exc


class DynamoCarts:
    def __init__(self, models: Models) -> None:
        self._m = models

    def list_items(self, user_id: str) -> list[tuple[str, int]]:
        try:
            items = self._m.cart.query(user_id, consistent_read=True)
            return [(i.product_id, int(i.quantity)) for i in items]
        except PynamoDBException as exc:
            raise store_unavailable(exc) from exc

    def put_item(self, user_id: str, product_id: str, quantity: int, now: datetime) -> None:
        try:
            self._m.cart(user_id, product_id, quantity=quantity, updated_at=dt_out(now)).save()
        except PynamoDBException as exc:
            raise store_unavailable(exc) from exc

    def delete_item(self, user_id: str, product_id: str) -> None:
        try:
            self._m.cart(user_id, product_id).delete()
        except PynamoDBException as exc:
            raise store_unavailable(exc) from exc
