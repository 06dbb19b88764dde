"""The buyer's own data: GET /orders (history, newest first), GET /orders/{merchant_uid}, GET /points
(balance, and the ledger newest first, paged like the orders).
An admin (the configured group claim) may also read any single order."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout import views
from checkout.api import Path, Query, build_resolver, replies, require_actor, require_user_id, route_responses
from checkout.inputs import MAX_PAGE, MerchantUid
from checkout.observability import logger, metrics, tracer
from checkout.wiring import get_checkout

app = build_resolver()


@app.get(
    "/orders",
    summary="The buyer's orders, newest first",
    responses=route_responses(200, "One page", parameters=True, errors={400: "invalid_cursor"}),
)
def list_orders(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
) -> replies.OrderPage:
    user_id = require_user_id(app.current_event)
    return views.orders_page_json(get_checkout().list_orders(user_id, limit, cursor))


@app.get(
    "/orders/<merchant_uid>",
    summary="One of the buyer's orders (an admin may read any)",
    responses=route_responses(
        200, "The order", parameters=True, errors={404: "order_not_found (also for someone else's order)"}
    ),
)
def get_order(merchant_uid: Annotated[MerchantUid, Path()]) -> replies.OrderReply:
    actor = require_actor(app.current_event)
    logger.append_keys(merchant_uid=merchant_uid)
    order = get_checkout().get_order(actor.user_id, merchant_uid, as_admin=actor.is_admin)
    return {"order": views.order_json(order)}


@app.get(
    "/points",
    summary="The buyer's points, and their ledger newest first",
    responses=route_responses(
        200, "The balance and one page of the ledger", parameters=True, errors={400: "invalid_cursor"}
    ),
)
def get_points(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
) -> replies.Points:
    user_id = require_user_id(app.current_event)
    return views.points_json(get_checkout().get_points(user_id, limit, cursor))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
