"""Request models, settings and the public JSON."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from checkout.config import ConfigError, Settings
from checkout.domain.order import (
    Cart,
    CartItem,
    LineQuantity,
    Product,
    RefundRecord,
    StrayPayment,
    VbankAccount,
)
from checkout.domain.points import LedgerEntry, LedgerKind
from checkout.domain.status import OrderStatus
from checkout.inputs import CartItemInput, CompletePaymentInput, CreateOrderInput, RefundInput, WebhookInput
from checkout.services import CreatedOrder, OrderPage, PointsSummary
from checkout.views import (
    cart_json,
    created_order_json,
    order_json,
    orders_page_json,
    points_json,
    products_json,
)
from tests.support.factories import NOW, an_order

BUYER = {"name": "홍길동", "email": "a@example.com", "tel": "010-1234-5678"}

ENV = {
    "PRODUCTS_TABLE": "products",
    "CARTS_TABLE": "carts",
    "ORDERS_TABLE": "orders",
    "POINTS_TABLE": "points",
    "IDEMPOTENCY_TABLE": "idem",
    "PUBLIC_API_URL": "https://api.shop.test/",
    "SITE_URL": "https://shop.test",
}


def test_order_input_defaults_and_strict_integers() -> None:
    req = CreateOrderInput.model_validate({"buyer": BUYER})
    assert (req.points_to_use, req.pay_method) == (0, "card")
    for bad in (
        {"points_to_use": 10.0},
        {"points_to_use": "10"},
        {"points_to_use": -1},
        {"pay_method": "cash"},
        {"surprise": 1},
    ):
        with pytest.raises(ValidationError):
            CreateOrderInput.model_validate({"buyer": BUYER, **bad})


def test_buyer_fields_follow_iamports_limits() -> None:
    for bad in ({"name": "x" * 17}, {"email": "not-an-email"}, {"tel": "call me"}, {"postcode": "123456789"}):
        with pytest.raises(ValidationError):
            CreateOrderInput.model_validate({"buyer": {**BUYER, **bad}})


def test_cart_quantity_is_1_to_99() -> None:
    assert CartItemInput.model_validate({"quantity": 99}).quantity == 99
    for bad in (0, 100, 1.5, "2", True):
        with pytest.raises(ValidationError):
            CartItemInput.model_validate({"quantity": bad})


def test_completion_and_webhook_bodies_are_pointers_only() -> None:
    assert CompletePaymentInput.model_validate({"merchant_uid": "ord_1", "imp_uid": ""}).imp_uid is None
    note = WebhookInput.model_validate(
        {"imp_uid": "imp_1", "merchant_uid": "ord_1", "status": "paid", "x": 1}
    )
    assert note.cancellation_id is None
    with pytest.raises(ValidationError):
        CompletePaymentInput.model_validate({"merchant_uid": "x" * 41})


def test_refund_input_bounds() -> None:
    RefundInput.model_validate({"reason": "broken", "lines": [{"product_id": "mug", "quantity": 1}]})
    for bad in (
        {"reason": ""},
        {"reason": "x" * 257},
        {"reason": "x", "lines": []},
        {"reason": "x", "lines": [{"product_id": "mug", "quantity": 0}]},
        {"reason": "x", "lines": [{"product_id": "m", "quantity": 1}, {"product_id": "m", "quantity": 1}]},
        {"reason": "x", "refund_account": {"holder": "Kim", "bank": "88", "number": "12"}},
    ):
        with pytest.raises(ValidationError):
            RefundInput.model_validate(bad)


def test_settings_read_and_validate_the_environment() -> None:
    s = Settings.from_env(
        {
            **ENV,
            "AWS_DEFAULT_REGION": "us-east-1",
            "WEBHOOK_ALLOWED_IPS": "1.1.1.1, 2.2.2.2",
            "IAMPORT_API_KEY": "k",
            "IAMPORT_API_SECRET": "s",
            "MIN_CASH_AMOUNT": "500",
        }
    )
    assert s.region == "us-east-1" and s.min_cash_amount == 500
    assert s.webhook_allowed_ips == ("1.1.1.1", "2.2.2.2")
    assert s.complete_url == "https://api.shop.test/payments/complete"
    assert s.notice_url == "https://api.shop.test/iamport/webhook"
    assert s.iamport_api_secret is not None and s.iamport_api_secret.get_secret_value() == "s"
    assert "'s'" not in repr(s) and "'k'" not in repr(s)


@pytest.mark.parametrize(
    "bad",
    [
        {"ORDERS_TABLE": ""},
        {"MIN_CASH_AMOUNT": "0"},
        {"POINTS_EARN_BP": "abc"},
        {"PUBLIC_API_URL": "not a url"},
        {"IAMPORT_API_KEY": "only-the-key"},
    ],
)
def test_bad_configuration_fails_loudly(bad: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env({**ENV, **bad})


def test_order_json_is_the_public_shape() -> None:
    order = an_order(status=OrderStatus.PAID, imp_uid="imp_1", earned=200).evolve(
        paid_at=NOW,
        refunds=(RefundRecord("r1", 10_000, 0, 100, (LineQuantity("mug", 1),), NOW),),
        vbank=VbankAccount("KB", "123-456", "(주)상점", NOW),
        stray_payments=(StrayPayment("imp_2", 0, "late_success", NOW, unrefunded=20_000),),
    )
    body = order_json(order)
    assert body["stray_payments"] == [
        {
            "imp_uid": "imp_2",
            "reason": "late_success",
            "refunded": 0,
            "unrefunded": 20_000,
            "at": "2025-03-01T12:00:00Z",
        }
    ]
    assert body["status"] == "paid" and body["created_at"] == "2025-03-01T12:00:00Z"
    assert body["lines"][0] == {
        "product_id": "mug",
        "name": "Mug",
        "price": 10_000,
        "quantity": 2,
        "refunded_quantity": 0,
    }
    assert body["refunds"] == [
        {
            "id": "r1",
            "amount": 10_000,
            "points": 0,
            "lines": [{"product_id": "mug", "quantity": 1}],
            "at": "2025-03-01T12:00:00Z",
        }
    ]
    assert body["vbank"] == {
        "bank": "KB",
        "number": "123-456",
        "holder": "(주)상점",
        "due": "2025-03-01T12:00:00Z",
    }
    assert body["paid_at"] == "2025-03-01T12:00:00Z" and "failure_reason" not in body
    assert set(body) >= {
        "merchant_uid",
        "total",
        "points_used",
        "amount",
        "imp_uid",
        "pay_method",
        "points_earned",
        "expires_at",
    }


def test_collection_views() -> None:
    assert products_json([Product("mug", "Mug", 100, 3)]) == {
        "products": [{"product_id": "mug", "name": "Mug", "price": 100, "stock": 3}]
    }
    cart = Cart("u1", (CartItem("mug", "Mug", 100, 3),))
    assert cart_json(cart) == {
        "items": [{"product_id": "mug", "name": "Mug", "price": 100, "quantity": 3, "line_total": 300}],
        "total": 300,
    }
    at = datetime(2025, 1, 1, tzinfo=UTC)
    summary = PointsSummary(10, 5, (LedgerEntry("u1", LedgerKind.HOLD, 5, "ord_1", at),), "next-page")
    assert points_json(summary) == {
        "available": 10,
        "held": 5,
        "ledger": [{"kind": "hold", "points": 5, "merchant_uid": "ord_1", "at": "2025-01-01T00:00:00Z"}],
        "next_cursor": "next-page",
    }
    assert points_json(PointsSummary(0, 0, (), None))["next_cursor"] is None
    assert orders_page_json(OrderPage((), None)) == {"orders": [], "next_cursor": None}
    created = created_order_json(CreatedOrder(an_order(), {"amount": 20_000}))
    assert created["payment"] == {"amount": 20_000} and created["order"]["status"] == "ready"
