"""POST /orders: the buyer's cart becomes an order ready to pay; the reply carries the parameters for
I'mport's `IMP.request_pay`. An `Idempotency-Key` makes a retried click return the same order."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout import views
from checkout.api import Body, Response, build_resolver, idempotency_key, json_response, require_user_id
from checkout.inputs import CreateOrderInput
from checkout.observability import logger, metrics, tracer
from checkout.wiring import get_checkout

app = build_resolver()


@app.post("/orders")
def create_order(order: Annotated[CreateOrderInput, Body()]) -> Response[dict[str, Any]]:
    user_id = require_user_id(app.current_event)
    key = idempotency_key(app.current_event)
    created = get_checkout().create_order(user_id, order, key)
    logger.append_keys(merchant_uid=created.order.merchant_uid)
    return json_response(201, views.created_order_json(created))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
