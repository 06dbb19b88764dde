"""First-start data for the offline shop: the sample catalogue and the demo buyer's welcome points.

Both go through the checkout's own store code (the layer), so a product and a points grant look exactly
like the ones the functions write: the grant moves the `BALANCE` item and writes its ledger entry in
one transaction, keyed by the grant id, so starting the stack again never grants twice.
"""

from __future__ import annotations

import json
import pathlib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypedDict

CATALOG = pathlib.Path(__file__).resolve().parent / "catalog.json"
DEMO_USER = "dev-user"
DEMO_POINTS = 5000
WELCOME_GRANT_ID = "welcome-local"


@dataclass(frozen=True)
class SeedReport:
    products_loaded: int
    points_granted: int


class CatalogEntry(TypedDict):
    product_id: str
    name: str
    price: int  # KRW
    stock: int


def read_catalog(path: pathlib.Path = CATALOG) -> list[CatalogEntry]:
    products = json.loads(path.read_text(encoding="utf-8"))["products"]
    for p in products:
        if not isinstance(p.get("price"), int) or not isinstance(p.get("stock"), int) or p["price"] <= 0:
            raise ValueError(f"{path}: {p.get('product_id')} needs an integer KRW price and stock")
    return products


def seed(
    function_env: Mapping[str, str],
    layer_dirs: Sequence[pathlib.Path],
    *,
    catalog: pathlib.Path = CATALOG,
    demo_user: str | None = DEMO_USER,
    demo_points: int = DEMO_POINTS,
) -> SeedReport:
    """Load the catalogue if the products table is empty; grant the demo user's points once."""
    for layer in layer_dirs:
        if str(layer) not in sys.path:
            sys.path.append(str(layer))
    from pynamodb.connection import Connection

    from checkout.config import Settings
    from checkout.domain.order import Product
    from checkout.store.catalog import DynamoCatalog
    from checkout.store.models import build_models
    from checkout.store.points import DynamoPoints

    settings = Settings.from_env(function_env)
    models = build_models(settings)
    catalog_store = DynamoCatalog(models)
    loaded = 0
    if not catalog_store.list_products():
        for p in read_catalog(catalog):
            catalog_store.put_product(
                Product(
                    str(p["product_id"]),
                    str(p["name"]),
                    int(p["price"]),
                    int(p["stock"]),
                )
            )
            loaded += 1
    granted = 0
    if demo_user and demo_points > 0:
        connection = Connection(
            region=settings.region,
            host=settings.dynamodb_endpoint,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local accepts any credentials
        )
        if DynamoPoints(models, connection).grant(
            demo_user, demo_points, WELCOME_GRANT_ID, datetime.now(UTC)
        ):
            granted = demo_points
    return SeedReport(products_loaded=loaded, points_granted=granted)
