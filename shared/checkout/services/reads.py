"""What a buyer reads: their orders and their points. Only their own."""

from __future__ import annotations

from checkout import error_codes as codes
from checkout.domain.order import Order
from checkout.errors import BadRequest, OrderNotFound
from checkout.inputs import MAX_PAGE
from checkout.ports import OrderRepository, PointsRepository
from checkout.services.results import OrderPage, PointsSummary


class ReadService:
    def __init__(self, *, orders: OrderRepository, points: PointsRepository) -> None:
        self._orders = orders
        self._points = points

    def list_orders(self, user_id: str, limit: int, cursor: str | None) -> OrderPage:
        _check_limit(limit)
        orders, next_cursor = self._orders.list_by_user(user_id, limit, cursor or None)
        return OrderPage(tuple(orders), next_cursor)

    def get_order(self, user_id: str, merchant_uid: str, *, as_admin: bool = False) -> Order:
        order = self._orders.get(merchant_uid, consistent=True)
        # Someone else's order is answered exactly like a missing one: no probing of order ids. An admin
        # (who may refund any order) sees every order, e.g. one whose stray payment needs a hand refund.
        if order is None or (order.user_id != user_id and not as_admin):
            raise OrderNotFound(f"no order {merchant_uid}")
        return order

    def get_points(self, user_id: str, limit: int, cursor: str | None) -> PointsSummary:
        """The balance, and one page of the ledger (newest first)."""
        _check_limit(limit)
        balance = self._points.balance(user_id)
        entries, next_cursor = self._points.ledger(user_id, limit, cursor or None)
        return PointsSummary(balance.available, balance.held, tuple(entries), next_cursor)


def _check_limit(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise BadRequest(f"limit must be an integer from 1 to {MAX_PAGE}", code=codes.INVALID_LIMIT)
