"""POST /orders/{merchant_uid}/refund: a full or partial refund by the order's owner or an admin.
An `Idempotency-Key` makes a retried request finish the first one instead of refunding twice.

POST /orders/{merchant_uid}/cancel: the owner gives up an unpaid order (stock, points and cart come back,
an issued virtual account is voided); a payment that already went through wins."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout import views
from checkout.api import Body, Path, build_resolver, idempotency_key, require_actor
from checkout.inputs import MerchantUid, RefundInput
from checkout.observability import logger, metrics, tracer
from checkout.wiring import get_checkout

app = build_resolver()


@app.post("/orders/<merchant_uid>/refund")
def refund_order(
    merchant_uid: Annotated[MerchantUid, Path()], refund: Annotated[RefundInput, Body()]
) -> dict[str, Any]:
    actor = require_actor(app.current_event)
    key = idempotency_key(app.current_event)
    logger.append_keys(merchant_uid=merchant_uid, admin=actor.is_admin)
    order = get_checkout().refund(actor, merchant_uid, refund, key)
    return {"order": views.order_json(order)}


@app.post("/orders/<merchant_uid>/cancel")
def cancel_order(merchant_uid: Annotated[MerchantUid, Path()]) -> dict[str, Any]:
    actor = require_actor(app.current_event)
    logger.append_keys(merchant_uid=merchant_uid, admin=actor.is_admin)
    order = get_checkout().cancel_order(actor, merchant_uid)
    return {"order": views.order_json(order)}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
