"""Database failures that are not a domain answer (throttling, timeouts, unreachable endpoint)."""

from __future__ import annotations

from checkout.errors import StoreUnavailable
from checkout.observability import logger


def store_unavailable(exc: Exception) -> StoreUnavailable:
    # pynamodb's errors carry DynamoDB's error code as `cause_response_code`, botocore's in `response`.
    cause = getattr(exc, "cause_response_code", None) or (getattr(exc, "response", None) or {}).get(
        "Error", {}
    ).get("Code")
    logger.warning("database request failed", extra={"cause": cause or type(exc).__name__})
    return StoreUnavailable("the order database is temporarily unavailable; retry shortly")
