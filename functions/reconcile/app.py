"""The scheduled sweeper (EventBridge, every 5 minutes): settles open orders whose payment news never
arrived (lost webhook, closed browser), expires unpaid ones, and finishes interrupted refunds."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from checkout import views
from checkout.observability import count, logger, metrics, tracer
from checkout.wiring import get_checkout


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.info("sweep started", extra={"scheduled_at": event.get("time")})
    report = get_checkout().sweep()
    summary = views.sweep_report_json(report)
    count("SweepRuns")
    count("OrdersSwept", report.examined)
    # Emitted every run (0 included) so the metric has data and a missing sweep is visible too.
    count("SweepErrors", report.errors)
    if report.errors:
        logger.warning("sweep finished with errors", extra={
            "report": summary, "error_merchant_uids": report.error_merchant_uids[:50]})
    else:
        logger.info("sweep finished", extra={"report": summary})
    return summary
