"""What the browser tests check behind the page: the stored state (DynamoDB Local, read with boto3) and
the API as a buyer sees it. Products and points grants are written the way the shop itself writes them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import requests

from local.tables import table_env

REGION = "ap-northeast-2"
HTTP_TIMEOUT_S = 35


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    price: int
    stock: int


class StoredState:
    """Reads and seeds the stack's tables directly: the ground truth the page must agree with."""

    def __init__(self, stack: Any) -> None:
        self._stack = stack
        ddb = boto3.resource(
            "dynamodb",
            endpoint_url=stack.ddb_endpoint,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        names = stack.table_names
        self.products = ddb.Table(names["ProductsTable"])
        self.carts = ddb.Table(names["CartsTable"])
        self.orders = ddb.Table(names["OrdersTable"])
        self.points = ddb.Table(names["PointsTable"])

    def add_product(self, name: str, price: int, stock: int) -> Product:
        product = Product(f"e2e-{uuid.uuid4().hex[:10]}", name, price, stock)
        self.products.put_item(
            Item={"product_id": product.product_id, "name": name, "price": price, "stock": stock}
        )
        return product

    def stock(self, product_id: str) -> int:
        item = self.products.get_item(Key={"product_id": product_id}, ConsistentRead=True)["Item"]
        return int(item["stock"])

    def order(self, merchant_uid: str) -> dict[str, Any]:
        return self.orders.get_item(Key={"merchant_uid": merchant_uid}, ConsistentRead=True)["Item"]

    def cart(self, user_id: str) -> dict[str, int]:
        items = self.carts.query(
            KeyConditionExpression=boto3.dynamodb.conditions.Key("user_id").eq(user_id), ConsistentRead=True
        )["Items"]
        return {item["product_id"]: int(item["quantity"]) for item in items}

    def balance(self, user_id: str) -> tuple[int, int]:
        item = self.points.get_item(Key={"user_id": user_id, "sk": "BALANCE"}, ConsistentRead=True).get(
            "Item"
        )
        if item is None:
            return 0, 0
        return int(item.get("available", 0)), int(item.get("held", 0))

    def ledger_kinds(self, user_id: str, merchant_uid: str) -> list[str]:
        items = self.points.query(
            KeyConditionExpression=boto3.dynamodb.conditions.Key("user_id").eq(user_id)
            & boto3.dynamodb.conditions.Key("sk").begins_with(f"LEDGER#{merchant_uid}#"),
            ConsistentRead=True,
        )["Items"]
        return sorted(str(item["kind"]) for item in items)

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
        settings = Settings.from_env(env)
        connection = Connection(
            region=REGION,
            host=self._stack.ddb_endpoint,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        granted = DynamoPoints(build_models(settings), connection).grant(
            user_id, points, f"e2e-welcome-{uuid.uuid4().hex[:8]}", datetime.now(UTC)
        )
        assert granted


class BuyerApi:
    """The checkout API with one buyer's token, as the page calls it."""

    def __init__(self, api_url: str, token: str) -> None:
        self._url = api_url
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str) -> dict[str, Any]:
        response = self._session.get(f"{self._url}{path}", timeout=HTTP_TIMEOUT_S)
        assert response.status_code == 200, response.text
        return response.json()

    def order(self, merchant_uid: str) -> dict[str, Any]:
        return self.get(f"/orders/{merchant_uid}")["order"]

    def points(self) -> dict[str, Any]:
        return self.get("/points")

    def cart(self) -> dict[str, Any]:
        return self.get("/cart")


def wait_until(check: Callable[[], Any], timeout_s: float = 30.0, interval_s: float = 0.25) -> Any:
    """Polls `check` until it returns something truthy (webhooks arrive asynchronously)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout_s} s: {check}")
        time.sleep(interval_s)
