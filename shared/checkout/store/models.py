"""pynamodb models of the checkout tables, built from Settings.

pynamodb reads `Meta.table_name`/`host`/`region` when a model class is created, so the classes are made
by `build_models(settings)` (once per container) instead of at import time: the table names come from
the environment the template sets, and tests get fresh tables per test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from checkout.config import Settings

BALANCE_SK = "BALANCE"
LEDGER_PREFIX = "LEDGER#"


@dataclass(frozen=True)
class Models:
    # Classes made at run time: their attributes are invisible to a type checker, hence Any.
    product: Any
    cart: Any
    order: Any
    points: Any
    idempotency: Any


def _meta(settings: Settings, table_name: str) -> Any:
    attrs: dict[str, Any] = {
        "table_name": table_name,
        "region": settings.region,
        # Lambda's own budget is seconds: never hang on the database.
        "connect_timeout_seconds": 3,
        "read_timeout_seconds": 5,
        "max_retry_attempts": 3,
    }
    if settings.dynamodb_endpoint:
        attrs["host"] = settings.dynamodb_endpoint
        # DynamoDB Local accepts any credentials; without them botocore would search the machine.
        attrs["aws_access_key_id"] = "local"
        attrs["aws_secret_access_key"] = "local"  # noqa: S105 - DynamoDB Local only
    return type("Meta", (), attrs)


def build_models(settings: Settings) -> Models:
    class ProductModel(Model):
        Meta = _meta(settings, settings.products_table)
        product_id = UnicodeAttribute(hash_key=True)
        name = UnicodeAttribute(null=True)
        price = NumberAttribute(null=True)
        stock = NumberAttribute(default=0)

    class CartModel(Model):
        Meta = _meta(settings, settings.carts_table)
        user_id = UnicodeAttribute(hash_key=True)
        product_id = UnicodeAttribute(range_key=True)
        quantity = NumberAttribute()
        updated_at = UnicodeAttribute(null=True)

    class ByUserIndex(GlobalSecondaryIndex):
        class Meta:
            index_name = "by_user"
            projection = AllProjection()

        user_id = UnicodeAttribute(hash_key=True)
        created_at = UnicodeAttribute(range_key=True)

    class SweepIndex(GlobalSecondaryIndex):
        class Meta:
            index_name = "sweep"
            projection = KeysOnlyProjection()

        sweep_pk = UnicodeAttribute(hash_key=True)
        sweep_at = UnicodeAttribute(range_key=True)

    class OrderModel(Model):
        Meta = _meta(settings, settings.orders_table)
        merchant_uid = UnicodeAttribute(hash_key=True)
        user_id = UnicodeAttribute()
        status = UnicodeAttribute()
        version = NumberAttribute()
        created_at = UnicodeAttribute()
        expires_at = UnicodeAttribute()
        updated_at = UnicodeAttribute()
        total = NumberAttribute()
        points_used = NumberAttribute()
        amount = NumberAttribute()
        pay_method = UnicodeAttribute()
        imp_uid = UnicodeAttribute(null=True)
        # Sparse: present only while the sweeper must look at the order (open, or a refund pending).
        sweep_pk = UnicodeAttribute(null=True)
        sweep_at = UnicodeAttribute(null=True)
        # Lines, buyer, payment snapshot, refunds...: read and written whole with the order.
        doc = JSONAttribute()
        by_user = ByUserIndex()
        sweep = SweepIndex()

    class LedgerIndex(GlobalSecondaryIndex):
        """Sparse: only ledger entries carry `at`, so the BALANCE item stays out."""

        class Meta:
            index_name = "ledger"
            projection = AllProjection()

        user_id = UnicodeAttribute(hash_key=True)
        at = UnicodeAttribute(range_key=True)

    class PointsModel(Model):
        Meta = _meta(settings, settings.points_table)
        user_id = UnicodeAttribute(hash_key=True)
        sk = UnicodeAttribute(range_key=True)
        # BALANCE item
        available = NumberAttribute(null=True)
        held = NumberAttribute(null=True)
        open_orders = NumberAttribute(null=True)  # unpaid orders of this buyer (the open-order limit)
        # ledger entries
        kind = UnicodeAttribute(null=True)
        points = NumberAttribute(null=True)
        merchant_uid = UnicodeAttribute(null=True)
        at = UnicodeAttribute(null=True)
        ledger = LedgerIndex()

    class IdempotencyModel(Model):
        Meta = _meta(settings, settings.idempotency_table)
        id = UnicodeAttribute(hash_key=True)
        status = UnicodeAttribute()
        body_hash = UnicodeAttribute()
        expiration = NumberAttribute()  # table TTL (epoch seconds)
        in_progress_expiry = NumberAttribute(null=True)  # epoch ms: a crashed attempt may be retried after it
        result = JSONAttribute(null=True)

    return Models(ProductModel, CartModel, OrderModel, PointsModel, IdempotencyModel)
