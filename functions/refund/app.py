"""POST /orders/{merchant_uid}/refund: a full or partial refund by the order's owner or an admin.
An `Idempotency-Key` makes a retried request finish the first one instead of refunding twice.

POST /orders/{merchant_uid}/cancel: the owner gives up an unpaid order (stock, points and cart come back,
an issued virtual account is voided); a payment that already went through wins."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout import views
from checkout.api import (
    Body,
    IdempotencyKeyHeader,
    Path,
    build_resolver,
    checked_idempotency_key,
    replies,
    require_actor,
    route_responses,
)
from checkout.api.described import GATEWAY_ERRORS, IN_PROGRESS
from checkout.inputs import MerchantUid, RefundInput
from checkout.observability import logger, metrics, tracer
from checkout.wiring import get_checkout

app = build_resolver()


@app.post(
    "/orders/<merchant_uid>/refund",
    summary="Refund an order, fully or some of its lines",
    description="By the order's owner or an admin; a paid virtual account needs refund_account.",
    responses=route_responses(
        200,
        "The order after the refund",
        json_body=True,
        parameters=True,
        errors={
            400: "refund_account_required or unknown_order_line",
            404: "order_not_found",
            409: f"order_state_conflict, refund_exceeds_remaining, refund_rejected or {IN_PROGRESS}",
            422: "invalid_idempotency_key, or idempotency_key_reused with another body",
            **GATEWAY_ERRORS,
        },
        retry_after=(409,),
    ),
)
def refund_order(
    merchant_uid: Annotated[MerchantUid, Path()],
    refund: Annotated[RefundInput, Body()],
    idempotency_key: IdempotencyKeyHeader = None,
) -> replies.OrderReply:
    actor = require_actor(app.current_event)
    key = checked_idempotency_key(idempotency_key)
    logger.append_keys(merchant_uid=merchant_uid, admin=actor.is_admin)
    order = get_checkout().refund(actor, merchant_uid, refund, key)
    return {"order": views.order_json(order)}


@app.post(
    "/orders/<merchant_uid>/cancel",
    summary="Give up an unpaid order",
    description="By the order's owner or an admin. I'mport is asked first: a payment that went through "
    "wins and the answer is 409 (refund it instead). Cancelling a failed or expired order answers it.",
    responses=route_responses(
        200,
        "The order, failed, with its stock, points and cart back (an issued virtual account voided)",
        parameters=True,
        errors={
            404: "order_not_found",
            409: f"order_state_conflict (already paid) or {IN_PROGRESS}",
            **GATEWAY_ERRORS,
        },
        retry_after=(409,),
    ),
)
def cancel_order(merchant_uid: Annotated[MerchantUid, Path()]) -> replies.OrderReply:
    actor = require_actor(app.current_event)
    logger.append_keys(merchant_uid=merchant_uid, admin=actor.is_admin)
    order = get_checkout().cancel_order(actor, merchant_uid)
    return {"order": views.order_json(order)}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
