"""Use cases of the checkout. Services depend on the ports (checkout.ports), never on pynamodb or boto3."""

from checkout.services.facade import Checkout
from checkout.services.results import Actor, CreatedOrder, OrderPage, PointsSummary, SweepReport

__all__ = ["Actor", "Checkout", "CreatedOrder", "OrderPage", "PointsSummary", "SweepReport"]
