"""The only Logger, Tracer and Metrics instances of the checkout (Powertools).

Service name, namespace and log level come from the POWERTOOLS_* environment the template sets.
Log records never carry secrets or card data: payments are logged by `merchant_uid`/`imp_uid` only.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

_F = TypeVar("_F", bound=Callable[..., Any])

# The template sets POWERTOOLS_*; the fallbacks keep a function that runs without them (a test, a
# script) from failing when it flushes its metrics.
_SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "checkout"
logger = Logger(service=_SERVICE)


class _LambdaTracing:
    """Tracing without the X-Ray SDK: Lambda's active tracing (the template turns it on) records every
    invocation in X-Ray by itself (init, invocation, overhead), so nothing needs loading. The SDK
    (Powertools Tracer: a subsegment per handler, the cold-start annotation, every boto3 and requests
    call as a subsegment) costs about 0.25 s of import in every new execution environment, on the
    buyer's first request: it is loaded only when CHECKOUT_XRAY_SDK=true (template parameter XraySdk)."""

    def capture_lambda_handler(self, handler: _F) -> _F:
        return handler

    def capture_method(self, method: _F) -> _F:
        return method


def _tracer() -> Any:
    if os.environ.get("CHECKOUT_XRAY_SDK", "").strip().lower() in ("1", "true", "yes"):
        from aws_lambda_powertools import Tracer

        return Tracer(service=_SERVICE)
    return _LambdaTracing()


tracer = _tracer()
metrics = Metrics(service=_SERVICE, namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Checkout")

# Most reads record no business metric; Powertools would warn on every such request.
warnings.filterwarnings("ignore", message="No application metrics to publish")

__all__ = ["MetricUnit", "count", "logger", "metrics", "tracer"]


def count(name: str, value: int = 1) -> None:
    """Add to a business counter (OrdersCreated, PaymentsVerified, AmountMismatch, DuplicateDelivery,
    LateSuccessRefunded, OrdersExpired, RefundsIssued, ...; docs/deploy.md lists them).

    A metric must never undo or fail a payment transition that is already committed, so a failure to
    record one (e.g. no namespace configured outside Lambda) is logged and swallowed here."""
    try:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        logger.warning("metric not recorded", extra={"metric": name, "error": type(exc).__name__})
