"""Catalog and cart: GET /products (public), GET /cart, PUT and DELETE /cart/items/{product_id}."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout import views
from checkout.api import Body, Path, build_resolver, replies, require_user_id, route_responses
from checkout.inputs import CartItemInput, ProductId
from checkout.observability import logger, metrics, tracer
from checkout.wiring import get_checkout

app = build_resolver()


@app.get("/products", summary="List the catalog", responses=route_responses(200, "The products"))
def list_products() -> replies.ProductList:
    return views.products_json(get_checkout().list_products())


@app.get("/cart", summary="Read the buyer's cart", responses=route_responses(200, "The cart"))
def get_cart() -> replies.Cart:
    user_id = require_user_id(app.current_event)
    return views.cart_json(get_checkout().get_cart(user_id))


@app.put(
    "/cart/items/<product_id>",
    summary="Set how many of a product the cart holds",
    responses=route_responses(
        200, "The cart", json_body=True, parameters=True, errors={404: "product_not_found"}
    ),
)
def put_cart_item(
    product_id: Annotated[ProductId, Path()], item: Annotated[CartItemInput, Body()]
) -> replies.Cart:
    user_id = require_user_id(app.current_event)
    return views.cart_json(get_checkout().put_cart_item(user_id, product_id, item.quantity))


@app.delete(
    "/cart/items/<product_id>",
    summary="Remove a product from the cart",
    responses=route_responses(200, "The cart", parameters=True),
)
def delete_cart_item(product_id: Annotated[ProductId, Path()]) -> replies.Cart:
    user_id = require_user_id(app.current_event)
    return views.cart_json(get_checkout().delete_cart_item(user_id, product_id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
