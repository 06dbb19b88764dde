"""The offline stack's tables read (and arranged) directly with boto3 on DynamoDB Local: the ground truth
that replies, pages and refusals are checked against. Points grants are written the way the shop itself
writes them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key

from local.stack import REGION
from local.tables import table_env


def dynamodb(endpoint: str) -> Any:
    """A boto3 DynamoDB resource on DynamoDB Local."""
    return boto3.resource(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local accepts any credentials
    )


def put_product(products: Any, product_id: str, name: str, price: int, stock: int) -> None:
    """A product as the catalog stores it (an unconditional put: the id is the test's own)."""
    products.put_item(Item={"product_id": product_id, "name": name, "price": price, "stock": stock})


class StoredState:
    """The stack's products, carts, orders and points. `id_prefix` marks the products and points grants
    a suite creates, so its data is recognisable in a shared stack."""

    def __init__(self, stack: Any, *, id_prefix: str) -> None:
        self._stack = stack
        self._id_prefix = id_prefix
        ddb = dynamodb(stack.ddb_endpoint)
        names: Mapping[str, str] = stack.table_names
        self.products = ddb.Table(names["ProductsTable"])
        self.carts = ddb.Table(names["CartsTable"])
        self.orders = ddb.Table(names["OrdersTable"])
        self.points = ddb.Table(names["PointsTable"])

    def new_product_id(self) -> str:
        return f"{self._id_prefix}-{uuid.uuid4().hex[:10]}"

    def put_product(self, product_id: str, name: str, price: int, stock: int) -> None:
        put_product(self.products, product_id, name, price, stock)

    def stock(self, product_id: str) -> int:
        item = self.products.get_item(Key={"product_id": product_id}, ConsistentRead=True)["Item"]
        return int(item["stock"])

    def order(self, merchant_uid: str) -> dict[str, Any]:
        """The stored order item, its `doc` (a JSON string attribute) decoded."""
        item = self.orders.get_item(Key={"merchant_uid": merchant_uid}, ConsistentRead=True)["Item"]
        return {**item, "doc": json.loads(item["doc"])}

    def cart(self, user_id: str) -> dict[str, int]:
        items = self.carts.query(KeyConditionExpression=Key("user_id").eq(user_id), ConsistentRead=True)[
            "Items"
        ]
        return {item["product_id"]: int(item["quantity"]) for item in items}

    def balance(self, user_id: str) -> tuple[int, int]:
        """(available, held)."""
        item = self.points.get_item(Key={"user_id": user_id, "sk": "BALANCE"}, ConsistentRead=True).get(
            "Item"
        )
        if item is None:
            return 0, 0
        return int(item.get("available", 0)), int(item.get("held", 0))

    def ledger(self, user_id: str, merchant_uid: str) -> list[tuple[str, int]]:
        """The order's ledger entries as sorted (kind, points), whatever their keys look like."""
        items = self.points.query(KeyConditionExpression=Key("user_id").eq(user_id), ConsistentRead=True)[
            "Items"
        ]
        return sorted(
            (str(item["kind"]), int(item["points"]))
            for item in items
            if item.get("merchant_uid") == merchant_uid
        )

    def ledger_kinds(self, user_id: str, merchant_uid: str) -> list[str]:
        """The kinds of the order's ledger entries, sorted."""
        return [kind for kind, _points in self.ledger(user_id, merchant_uid)]

    def grant_points(self, user_id: str, points: int) -> None:
        """A welcome grant through the shop's own points store (balance and ledger in one transaction)."""
        from pynamodb.connection import Connection

        from checkout.config import Settings
        from checkout.store.models import build_models
        from checkout.store.points import DynamoPoints

        env = table_env(self._stack.table_names) | {
            "DYNAMODB_ENDPOINT": self._stack.ddb_endpoint,
            "AWS_REGION": REGION,
            "PUBLIC_API_URL": self._stack.api_url,
            "SITE_URL": self._stack.web_url,
        }
        connection = Connection(
            region=REGION,
            host=self._stack.ddb_endpoint,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local accepts any credentials
        )
        granted = DynamoPoints(build_models(Settings.from_env(env)), connection).grant(
            user_id, points, f"{self._id_prefix}-welcome-{uuid.uuid4().hex[:8]}", datetime.now(UTC)
        )
        assert granted
