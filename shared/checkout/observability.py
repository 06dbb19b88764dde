"""The only Logger, Tracer and Metrics instances of the checkout (Powertools).

Service name, namespace and log level come from the POWERTOOLS_* environment the template sets.
Log records never carry secrets or card data: payments are logged by `merchant_uid`/`imp_uid` only.
"""

from __future__ import annotations

import os
import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

# The template sets POWERTOOLS_*; the fallbacks keep a function that runs without them (a test, a
# script) from failing when it flushes its metrics.
_SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "checkout"
logger = Logger(service=_SERVICE)
tracer = Tracer(service=_SERVICE)
metrics = Metrics(service=_SERVICE, namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Checkout")

# Most reads record no business metric; Powertools would warn on every such request.
warnings.filterwarnings("ignore", message="No application metrics to publish")

__all__ = ["MetricUnit", "count", "logger", "metrics", "tracer"]


def count(name: str, value: int = 1) -> None:
    """Add to a business counter (OrdersCreated, PaymentsVerified, AmountMismatch, DuplicateDelivery,
    LateSuccessRefunded, OrdersExpired, RefundsIssued, ...)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
