"""Business metrics from the services.

A metric must never undo or fail a payment transition that is already committed, so a failure to record
one (e.g. no namespace configured outside Lambda) is logged and swallowed here.
"""

from __future__ import annotations

from checkout import observability
from checkout.observability import logger


def metric(name: str, value: int = 1) -> None:
    try:
        observability.count(name, value)
    except Exception as exc:  # noqa: BLE001 - see module docstring
        logger.warning("metric not recorded", extra={"metric": name, "error": type(exc).__name__})
