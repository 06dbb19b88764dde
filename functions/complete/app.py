"""Payment completion, reported by the page (POST, the IMP.request_pay callback, with the buyer's token)
or by I'mport's m_redirect_url (GET, no token). Neither is trusted about the payment: both only point at
one that reconcile re-reads from I'mport before anything changes. Only the owner's report may have a
failed attempt end the order; the redirect only moves it forward, and answers nothing private (the
result page reads the order with the buyer's token)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from checkout import error_codes as codes
from checkout import views
from checkout.api import (
    Body,
    Query,
    Response,
    build_resolver,
    redirect,
    replies,
    require_actor,
    route_responses,
)
from checkout.api.described import GATEWAY_ERRORS, IN_PROGRESS
from checkout.config import load_settings
from checkout.errors import BadRequest, CheckoutError
from checkout.inputs import CompletePaymentInput
from checkout.observability import logger, metrics, tracer
from checkout.wiring import get_checkout

app = build_resolver()


# The redirect's query, read by hand below (a malformed one is answered 400, never 422): described here.
PaymentReference = Annotated[
    str | None, Query(description="the payment (imp_uid) and the order (merchant_uid, required) it is for")
]
LoggedOnly = Annotated[str | None, Query(description="what the window saw: logged only, never trusted")]


@app.post(
    "/payments/complete",
    summary="Report the payment window's result (the IMP.request_pay callback), as the signed-in buyer",
    description="Only a pointer: the payment is re-read from I'mport before the order changes. The "
    "order's owner (or an admin) only: theirs is the only report on which a failed attempt ends it.",
    responses=route_responses(
        200,
        "The order after reconciling it with I'mport",
        json_body=True,
        errors={
            400: "unknown_payment or payment_order_mismatch",
            404: "order_not_found",
            409: IN_PROGRESS,
            **GATEWAY_ERRORS,
        },
        retry_after=(409,),
    ),
)
def complete_payment(report: Annotated[CompletePaymentInput, Body()]) -> replies.OrderReply:
    actor = require_actor(app.current_event)
    logger.append_keys(merchant_uid=report.merchant_uid, imp_uid=report.imp_uid)
    order = get_checkout().complete_payment(report.imp_uid, report.merchant_uid, actor)
    return {"order": views.order_json(order)}


@app.get(
    "/payments/complete",
    summary="The payment window's m_redirect_url (mobile)",
    description="No token: only moves the order forward on what I'mport's record proves about money "
    "(a failed attempt leaves it open), then sends the browser to the site's result page.",
    responses=route_responses(
        302,
        "To SITE_URL/result?merchant_uid=..&status=.. (status=error when reconciling failed)",
        errors={400: "missing_merchant_uid or malformed_payment_reference"},
        location=True,
    ),
)
def complete_payment_redirect(
    merchant_uid: PaymentReference = None,
    imp_uid: PaymentReference = None,
    imp_success: LoggedOnly = None,
    error_code: LoggedOnly = None,
    error_msg: LoggedOnly = None,
) -> Response[str]:
    if not (merchant_uid or "").strip():
        raise BadRequest("merchant_uid is missing from the query string.", code=codes.MISSING_MERCHANT_UID)
    try:
        report = CompletePaymentInput.model_validate({"imp_uid": imp_uid, "merchant_uid": merchant_uid})
    except ValidationError:
        raise BadRequest(
            "merchant_uid or imp_uid is malformed.", code=codes.MALFORMED_PAYMENT_REFERENCE
        ) from None
    logger.append_keys(merchant_uid=report.merchant_uid, imp_uid=report.imp_uid)
    # imp_success and error_* describe what the payment window saw; they are deprecated and can be
    # wrong (docs/iamport-v1.md#redirect), so they are logged for support and never decide anything.
    logger.info(
        "payment window returned",
        extra={
            "imp_success": imp_success,
            "window_error_code": error_code,
            "window_error_msg": error_msg,
        },
    )
    try:
        order = get_checkout().complete_payment(report.imp_uid, report.merchant_uid)
    except CheckoutError as exc:
        # The buyer's browser is on the other end: send them to the result page, which re-reads the
        # order, rather than showing raw JSON.
        logger.warning("reconcile failed on the redirect", extra={"error_code": exc.code})
        return redirect(result_url(report.merchant_uid, status="error"))
    except Exception:
        logger.exception("reconcile failed unexpectedly on the redirect")
        return redirect(result_url(report.merchant_uid, status="error"))
    return redirect(result_url(order.merchant_uid, status=order.status.value))


def result_url(merchant_uid: str, *, status: str) -> str:
    """The result page: only what the caller sent and the order's status (the page reads the rest)."""
    return f"{load_settings().site_url}/result?{urlencode({'merchant_uid': merchant_uid, 'status': status})}"


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
