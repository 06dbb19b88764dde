"""The scheduled settlement audit (EventBridge, daily): the cash I'mport holds against the books.

Every payment I'mport lists for the window is brought into the books where the rules can (a lost
webhook, a cancel made in I'mport's console, a duplicate payment), then each merchant_uid's cash is
compared; what still differs is reported for a person (metric and alarm `AuditDiscrepancies`).

The window is the two days up to the scheduled time, so each moment is audited by two daily runs. An
event may name it instead: `{"since": "2026-01-01T00:00:00Z", "until": "2026-01-03T00:00:00Z"}`
(ISO-8601; a time without an offset is UTC; either one alone is fine).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout.deadline import deadline_in
from checkout.observability import logger, metrics, tracer
from checkout.wiring import get_checkout

WINDOW = timedelta(days=2)


def _moment(event: dict[str, Any], name: str) -> datetime | None:
    raw = event.get(name)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise ValueError(f"{name} must be an ISO-8601 time such as 2026-01-01T00:00:00Z")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{name} must be an ISO-8601 time such as 2026-01-01T00:00:00Z") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def audit_window(event: dict[str, Any], now: datetime) -> tuple[datetime, datetime]:
    """(since, until): the event's own, or the two days up to the scheduled time (or now)."""
    until = _moment(event, "until") or _moment(event, "time") or now
    since = _moment(event, "since") or until - WINDOW
    if since >= until:
        raise ValueError("since must be before until")
    return since, until


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    event = event if isinstance(event, dict) else {}
    since, until = audit_window(event, datetime.now(UTC))
    logger.info(
        "settlement audit started",
        extra={"scheduled_at": event.get("time"), "since": since.isoformat(), "until": until.isoformat()},
    )
    # The audit logs its own summary and emits AuditDiscrepancies (0 included) for the alarm; one order's
    # failure never stops it. Work is bounded by the time this invocation has left.
    with deadline_in(context.get_remaining_time_in_millis() / 1000):
        report = get_checkout().audit(
            since, until, time_left_s=lambda: context.get_remaining_time_in_millis() / 1000
        )
    if report.out_of_time:
        logger.warning("settlement audit ran out of time", extra={"checked": report.checked})
    return report.as_dict()
