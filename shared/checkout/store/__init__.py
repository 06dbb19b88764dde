"""DynamoDB adapters of the repository ports (pynamodb). Nothing above this package imports pynamodb/boto3."""

from __future__ import annotations

from dataclasses import dataclass

from checkout.config import Settings
from checkout.store.catalog import DynamoCarts, DynamoCatalog
from checkout.store.idempotency import DynamoIdempotency
from checkout.store.models import Models, build_models
from checkout.store.orders import DynamoOrders
from checkout.store.points import DynamoPoints


@dataclass(frozen=True)
class Store:
    catalog: DynamoCatalog
    carts: DynamoCarts
    orders: DynamoOrders
    points: DynamoPoints
    idempotency: DynamoIdempotency
    models: Models


def build_store(settings: Settings) -> Store:
    from pynamodb.connection import Connection

    models = build_models(settings)
    meta = models.order.Meta
    # One connection for every table, the transactions and the raw requests, configured like the models'
    # own. Left alone, pynamodb gives each model class its own connection, and each builds a botocore
    # session and client of its own, reloading DynamoDB's service model every time: 60-120 ms per
    # table on a cold start, for work that is the same each time.
    connection = Connection(
        region=settings.region,
        host=settings.dynamodb_endpoint,
        connect_timeout_seconds=meta.connect_timeout_seconds,
        read_timeout_seconds=meta.read_timeout_seconds,
        max_retry_attempts=meta.max_retry_attempts,
        max_pool_connections=32,
        aws_access_key_id=getattr(meta, "aws_access_key_id", None),
        aws_secret_access_key=getattr(meta, "aws_secret_access_key", None),
    )
    for model in (models.product, models.cart, models.order, models.points, models.idempotency):
        table = model._get_connection()  # the model's TableConnection: its client is made on first use
        connection.add_meta_table(table.get_meta_table())
        table.connection = connection
    return Store(
        catalog=DynamoCatalog(models),
        carts=DynamoCarts(models),
        orders=DynamoOrders(models, connection),
        points=DynamoPoints(models, connection),
        idempotency=DynamoIdempotency(models, connection),
        models=models,
    )


__all__ = ["Store", "build_store"]
