"""A recording stand-in for the `Checkout` facade, for tests about the HTTP mapping only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from checkout.domain.order import Cart, CartItem, Order, Product
from checkout.domain.points import LedgerEntry, LedgerKind
from checkout.domain.status import OrderStatus
from checkout.services.results import CreatedOrder, OrderPage, PointsSummary, SweepReport
from tests.support.samples import MERCHANT_UID, NOW, sample_order

IMP_UID = "imp_284617395021"


@dataclass
class FakeCheckout:
    """Answers with canned results, or raises `errors[method]`; records every call."""

    user_id: str
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    errors: dict[str, Exception] = field(default_factory=dict)
    webhook_result: str = "order"  # "order" or "unknown"

    def _call(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        if name in self.errors:
            raise self.errors[name]

    def called(self, name: str) -> tuple[Any, ...]:
        matching = [args for called, args in self.calls if called == name]
        assert len(matching) == 1, f"{name} called {len(matching)} times: {self.calls}"
        return matching[0]

    def list_products(self) -> list[Product]:
        self._call("list_products")
        return [Product("tee-white-m", "화이트 티셔츠 M", 19000, 12)]

    def get_cart(self, user_id: str) -> Cart:
        self._call("get_cart", user_id)
        return Cart(user_id, (CartItem("tee-white-m", "화이트 티셔츠 M", 19000, 1),))

    def put_cart_item(self, user_id: str, product_id: str, quantity: int) -> Cart:
        self._call("put_cart_item", user_id, product_id, quantity)
        return Cart(user_id, (CartItem(product_id, "화이트 티셔츠 M", 19000, quantity),))

    def delete_cart_item(self, user_id: str, product_id: str) -> Cart:
        self._call("delete_cart_item", user_id, product_id)
        return Cart(user_id)

    def create_order(self, user_id: str, req: Any, idempotency_key: str | None) -> CreatedOrder:
        self._call("create_order", user_id, req, idempotency_key)
        order = sample_order(user_id)
        return CreatedOrder(
            order,
            {  # every IMP.request_pay parameter the real service sends (checkout.api.replies.PaymentRequest)
                "pg": "html5_inicis",
                "pay_method": order.pay_method,
                "merchant_uid": order.merchant_uid,
                "name": order.name,
                "amount": order.amount,
                "buyer_email": "minji.kim@example.com",
                "buyer_name": "김민지",
                "buyer_tel": "010-1234-5678",
                "buyer_addr": "",
                "buyer_postcode": "",
                "m_redirect_url": "https://api.example.test/payments/complete",
                "notice_url": "https://api.example.test/iamport/webhook",
            },
        )

    def complete_payment(self, imp_uid: str | None, merchant_uid: str, actor: Any = None) -> Order:
        if actor is None:
            self._call("complete_payment", imp_uid, merchant_uid)
        else:
            self._call("complete_payment", imp_uid, merchant_uid, actor)
        return sample_order(self.user_id, OrderStatus.PAID, imp_uid=imp_uid, paid_at=NOW)

    def cancel_order(self, actor: Any, merchant_uid: str) -> Order:
        self._call("cancel_order", actor, merchant_uid)
        return sample_order(actor.user_id, OrderStatus.FAILED)

    def handle_webhook(self, note: Any) -> Order | None:
        self._call("handle_webhook", note)
        if self.webhook_result == "unknown":
            return None
        return sample_order(self.user_id, OrderStatus.PAID, imp_uid=note.imp_uid)

    def refund(self, actor: Any, merchant_uid: str, req: Any, idempotency_key: str | None) -> Order:
        self._call("refund", actor, merchant_uid, req, idempotency_key)
        return sample_order(actor.user_id, OrderStatus.PARTIALLY_CANCELLED)

    def list_orders(self, user_id: str, limit: int, cursor: str | None) -> OrderPage:
        self._call("list_orders", user_id, limit, cursor)
        return OrderPage((sample_order(user_id, OrderStatus.PAID),), next_cursor="eyJrIjoxfQ")

    def get_order(self, user_id: str, merchant_uid: str, *, as_admin: bool = False) -> Order:
        self._call("get_order", user_id, merchant_uid, as_admin)
        return sample_order(user_id, OrderStatus.PAID)

    def get_points(self, user_id: str, limit: int, cursor: str | None) -> PointsSummary:
        self._call("get_points", user_id, limit, cursor)
        entry = LedgerEntry(user_id, LedgerKind(next(iter(LedgerKind)).value), 370, MERCHANT_UID, NOW)
        return PointsSummary(available=4370, held=1000, ledger=(entry,), next_cursor="eyJrIjoyfQ")

    def sweep(self, now: datetime | None = None, *, time_left_s: Any = None) -> SweepReport:
        # The handler bounds the run by the invocation's remaining time.
        assert time_left_s is not None and time_left_s() > 0
        self._call("sweep", now)
        return SweepReport(examined=3, paid=1, expired=1, errors=1, error_merchant_uids=["ord_x"])
