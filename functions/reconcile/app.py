"""The scheduled sweeper (EventBridge, every 5 minutes): settles open orders whose payment news never
arrived (lost webhook, closed browser), expires unpaid ones, and finishes interrupted refunds."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout import views
from checkout.deadline import deadline_in
from checkout.observability import count, logger, metrics, tracer
from checkout.wiring import get_checkout


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.info("sweep started", extra={"scheduled_at": event.get("time")})
    # The sweep logs its own summary and counts SweepErrors; one order's failure never stops it, so
    # the orders that failed are named here for whoever answers the alarm.
    # Work is bounded by the time this invocation has left; what is not reached waits for the next run.
    # No I'mport call outlives the invocation either (checkout.deadline).
    with deadline_in(context.get_remaining_time_in_millis() / 1000):
        report = get_checkout().sweep(time_left_s=lambda: context.get_remaining_time_in_millis() / 1000)
    count("OrdersSwept", report.examined)
    if report.errors:
        logger.warning(
            "sweep could not settle some orders",
            extra={"error_merchant_uids": report.error_merchant_uids[:50]},
        )
    return views.sweep_report_json(report)
