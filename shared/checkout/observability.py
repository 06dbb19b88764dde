"""The only Logger, Tracer and Metrics instances of the checkout (Powertools).

Service name, namespace and log level come from the POWERTOOLS_* environment the template sets.
Log records never carry secrets or card data: payments are logged by `merchant_uid`/`imp_uid` only.
"""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
tracer = Tracer()
metrics = Metrics()

# Most reads record no business metric; Powertools would warn on every such request.
warnings.filterwarnings("ignore", message="No application metrics to publish")

__all__ = ["MetricUnit", "count", "logger", "metrics", "tracer"]


def count(name: str, value: int = 1) -> None:
    """Add to a business counter (OrdersCreated, PaymentsVerified, AmountMismatch, DuplicateDelivery,
    LateSuccessRefunded, OrdersExpired, RefundsIssued, ...)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
