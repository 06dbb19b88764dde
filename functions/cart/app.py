"""Catalog and cart: GET /products (public), GET /cart, PUT and DELETE /cart/items/{product_id}."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout import views
from checkout.api import Body, Path, build_resolver, require_user_id
from checkout.inputs import CartItemInput, ProductId
from checkout.observability import logger, metrics, tracer
from checkout.wiring import get_checkout

app = build_resolver()


@app.get("/products")
def list_products() -> dict[str, Any]:
    return views.products_json(get_checkout().list_products())


@app.get("/cart")
def get_cart() -> dict[str, Any]:
    user_id = require_user_id(app.current_event)
    return views.cart_json(get_checkout().get_cart(user_id))


@app.put("/cart/items/<product_id>")
def put_cart_item(
    product_id: Annotated[ProductId, Path()], item: Annotated[CartItemInput, Body()]
) -> dict[str, Any]:
    user_id = require_user_id(app.current_event)
    return views.cart_json(get_checkout().put_cart_item(user_id, product_id, item.quantity))


@app.delete("/cart/items/<product_id>")
def delete_cart_item(product_id: Annotated[ProductId, Path()]) -> dict[str, Any]:
    user_id = require_user_id(app.current_event)
    return views.cart_json(get_checkout().delete_cart_item(user_id, product_id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
