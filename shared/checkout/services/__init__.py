"""Use cases of the checkout. Services depend on the ports (checkout.ports), never on pynamodb or boto3.

Names are loaded when first used (PEP 562): the HTTP layer takes `Actor` from checkout.services.results
at every cold start, and must not load the facade and every service with it (docs/architecture.md#cold-start).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checkout.services.facade import Checkout
    from checkout.services.results import Actor, CreatedOrder, OrderPage, PointsSummary, SweepReport

_WHERE = {
    "Checkout": "checkout.services.facade",
    **{
        name: "checkout.services.results"
        for name in ("Actor", "CreatedOrder", "OrderPage", "PointsSummary", "SweepReport")
    },
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'checkout.services' has no attribute {name!r}")


__all__ = ["Actor", "Checkout", "CreatedOrder", "OrderPage", "PointsSummary", "SweepReport"]
