"""POST /iamport/webhook: I'mport's payment notification (JSON or form, as set in the PortOne console).

The body is only a pointer: reconcile re-reads the payment from I'mport, so a forged notification can
change nothing. The answer tells I'mport whether to resend (it retries on 5xx only,
docs/iamport-v1.md#webhooks):
200 for every notification understood, including one for an order we don't know; 4xx for garbage and
for a sender outside the allowlist; 5xx only when trying again later can succeed.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout import error_codes as codes
from checkout.api import (
    Refusal,
    Response,
    build_resolver,
    error_response,
    form_or_json_fields,
    json_response,
    replies,
    route_responses,
    webhook_source_allowed,
)
from checkout.api.auth import source_ip
from checkout.api.described import BODY_TOO_LARGE, FORM, JSON
from checkout.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    GatewayUnavailable,
    NotFound,
    RequestInProgress,
    StaleOrder,
    StoreUnavailable,
)
from checkout.inputs import WebhookInput
from checkout.observability import count, logger, metrics, tracer
from checkout.wiring import get_checkout

app = build_resolver()

# I'mport resends a failed delivery after about a minute (docs/iamport-v1.md#webhooks).
RESEND_AFTER_S = "60"


@app.post(
    "/iamport/webhook",
    summary="I'mport's payment notification (webhook)",
    description="JSON or a form, as set in the PortOne console; heard only from WEBHOOK_ALLOWED_IPS. "
    "I'mport resends on 5xx only.",
    responses=route_responses(
        200,
        "Understood, whether or not it changed an order",
        errors={
            400: "empty_body, malformed_body or number_out_of_range",
            403: "source_not_allowed",
            413: BODY_TOO_LARGE,
            422: "validation_failed: imp_uid, merchant_uid or status is missing or malformed",
            502: "payment_gateway_unavailable: resend later",
            503: "store_unavailable, or the order is busy: resend later",
        },
        retry_after=(502, 503),
    ),
    # The body is read by hand (JSON or a form, checkout.api.payloads): described here.
    openapi_extensions={
        "requestBody": {
            "required": True,
            "content": {
                JSON: {"schema": WebhookInput.model_json_schema()},
                FORM: {"schema": WebhookInput.model_json_schema()},
            },
        }
    },
)
def iamport_webhook() -> Response[replies.WebhookAck]:
    if not webhook_source_allowed(app.current_event):
        logger.warning(
            "webhook refused: sender not on the allowlist", extra={"source_ip": source_ip(app.current_event)}
        )
        raise Forbidden("This sender may not deliver payment notifications.", code=codes.SOURCE_NOT_ALLOWED)
    note = WebhookInput.model_validate(form_or_json_fields(app.current_event))
    logger.append_keys(merchant_uid=note.merchant_uid, imp_uid=note.imp_uid)
    logger.info(
        "webhook received", extra={"notified_status": note.status, "cancellation_id": note.cancellation_id}
    )
    try:
        order = get_checkout().handle_webhook(note)
    except (GatewayUnavailable, StoreUnavailable) as exc:
        logger.warning("webhook not settled: dependency unavailable", extra={"error_code": exc.code})
        raise Refusal(
            error_response(exc.status, exc.code, exc.message, headers={"Retry-After": RESEND_AFTER_S})
        ) from None
    except (StaleOrder, RequestInProgress) as exc:
        # Another path (browser, redirect, sweeper) is moving the same order right now; a resend
        # will find it settled and answer 200.
        logger.info("webhook not settled: order busy", extra={"error_code": exc.code})
        raise Refusal(
            error_response(503, exc.code, exc.message, headers={"Retry-After": RESEND_AFTER_S})
        ) from None
    except BadRequest as exc:
        # A pair I'mport would never send (a payment of another order, an imp_uid it does not know): a
        # forgery or a probe. Acknowledged like any report that changes nothing, with one reason for
        # both, so the answer does not tell a prober which imp_uids exist or whose they are.
        logger.warning(
            "webhook acknowledged without effect: not a pair I'mport sends", extra={"error_code": exc.code}
        )
        count("WebhookNotApplicable")
        return json_response(200, {"status": "ignored", "reason": "not_applicable"})
    except (NotFound, Conflict) as exc:
        # Understood, and a resend could not change the outcome: acknowledge it.
        logger.warning("webhook acknowledged without effect", extra={"error_code": exc.code})
        return json_response(200, {"status": "ignored", "reason": exc.code})
    if order is None:
        # Logged by the reconcile service; counted here, since only the webhook answers for it.
        count("WebhookUnknownOrder")
        return json_response(200, {"status": "ignored", "reason": "unknown_order"})
    return json_response(
        200, {"status": "ok", "merchant_uid": order.merchant_uid, "order_status": order.status.value}
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
