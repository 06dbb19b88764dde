"""POST /orders: the buyer's cart becomes an order ready to pay; the reply carries the parameters for
I'mport's `IMP.request_pay`. An `Idempotency-Key` makes a retried click return the same order."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout import views
from checkout.api import (
    Body,
    IdempotencyKeyHeader,
    Response,
    build_resolver,
    checked_idempotency_key,
    json_response,
    replies,
    require_user_id,
    route_responses,
)
from checkout.api.described import GATEWAY_ERRORS, IN_PROGRESS
from checkout.inputs import CreateOrderInput
from checkout.observability import logger, metrics, tracer
from checkout.wiring import get_checkout

app = build_resolver()


@app.post(
    "/orders",
    summary="Turn the cart into an order ready to pay",
    description="Holds the points and the stock, and pre-registers the amount at I'mport.",
    responses=route_responses(
        201,
        "The order, and the parameters to pass to IMP.request_pay",
        json_body=True,
        errors={
            400: "empty_cart, points_exceed_total or cash_amount_too_small",
            404: "product_not_found: a product in the cart is no longer sold",
            409: f"out_of_stock, insufficient_points, cart_changed, too_many_open_orders or {IN_PROGRESS}",
            422: "invalid_idempotency_key, or idempotency_key_reused with another body",
            **GATEWAY_ERRORS,
        },
        retry_after=(409,),
    ),
)
def create_order(
    order: Annotated[CreateOrderInput, Body()], idempotency_key: IdempotencyKeyHeader = None
) -> Response[replies.CreatedOrder]:
    user_id = require_user_id(app.current_event)
    key = checked_idempotency_key(idempotency_key)
    created = get_checkout().create_order(user_id, order, key)
    logger.append_keys(merchant_uid=created.order.merchant_uid)
    return json_response(201, views.created_order_json(created))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
