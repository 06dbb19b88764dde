"""create_order on DynamoDB Local + the sandbox: one transaction, all or nothing."""

from __future__ import annotations

import pytest

from checkout.domain.status import OrderStatus
from checkout.errors import BadRequest, InsufficientPoints, OutOfStock, ProductNotFound
from tests.support.shop import Shop, order_input

pytestmark = pytest.mark.integration


def test_order_reserves_stock_holds_points_takes_cart_and_prepares_amount(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5, name="Mug")
    shop.add_product("tee", 25_000, 3, name="Tee")
    shop.grant("u1", 5_000)

    created = shop.order_for("u1", {"mug": 2, "tee": 1}, points=3_000)

    order = created.order
    assert order.status is OrderStatus.READY
    assert (order.total, order.points_used, order.amount) == (49_000, 3_000, 46_000)
    assert len(order.merchant_uid) <= 40
    assert (shop.stock("mug"), shop.stock("tee")) == (3, 2)
    assert shop.balance("u1") == (2_000, 3_000)
    assert shop.cart("u1") == {}
    assert shop.ledger_kinds("u1") == ["grant", "hold"]
    assert shop.gateway.get_prepared(order.merchant_uid).amount == 46_000
    assert created.payment["amount"] == 46_000
    assert created.payment["merchant_uid"] == order.merchant_uid
    assert created.payment["m_redirect_url"] == "https://api.shop.test/payments/complete"
    assert created.payment["notice_url"] == "https://api.shop.test/iamport/webhook"
    assert shop.metrics.count("OrdersCreated") == 1


def test_out_of_stock_names_the_product_and_changes_nothing(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 1, name="Mug")
    shop.add_product("tee", 25_000, 3, name="Tee")
    shop.grant("u1", 1_000)
    shop.checkout.put_cart_item("u1", "mug", 2)
    shop.checkout.put_cart_item("u1", "tee", 1)

    with pytest.raises(OutOfStock, match="Mug"):
        shop.checkout.create_order("u1", order_input(points=1_000), None)

    assert (shop.stock("mug"), shop.stock("tee")) == (1, 3)
    assert shop.balance("u1") == (1_000, 0)
    assert shop.cart("u1") == {"mug": 2, "tee": 1}


def test_more_points_than_available_is_refused_and_changes_nothing(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    shop.grant("u1", 500)
    shop.checkout.put_cart_item("u1", "mug", 1)

    with pytest.raises(InsufficientPoints):
        shop.checkout.create_order("u1", order_input(points=1_000), None)

    assert shop.stock("mug") == 5
    assert shop.balance("u1") == (500, 0)
    assert shop.cart("u1") == {"mug": 1}
    assert shop.ledger_kinds("u1") == ["grant"]


@pytest.mark.parametrize(
    ("points", "code"),
    [(12_001, "points_exceed_total"), (11_950, "cash_amount_too_small"), (11_901, "cash_amount_too_small")],
)
def test_points_beyond_total_or_a_tiny_cash_amount_is_a_bad_request(
    shop: Shop, points: int, code: str
) -> None:
    shop.add_product("mug", 12_000, 5)
    shop.grant("u1", 20_000)
    shop.checkout.put_cart_item("u1", "mug", 1)

    with pytest.raises(BadRequest) as refused:
        shop.checkout.create_order("u1", order_input(points=points), None)

    assert refused.value.code == code
    assert (shop.stock("mug"), shop.balance("u1"), shop.cart("u1")) == (5, (20_000, 0), {"mug": 1})


def test_empty_cart_is_a_bad_request(shop: Shop) -> None:
    with pytest.raises(BadRequest) as refused:
        shop.checkout.create_order("u1", order_input(), None)
    assert refused.value.code == "empty_cart"


def test_a_cart_line_for_a_product_no_longer_sold_is_not_found(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    shop.checkout.put_cart_item("u1", "mug", 1)
    shop.store.carts.put_item("u1", "ghost", 1, shop.clock())

    with pytest.raises(ProductNotFound, match="ghost"):
        shop.checkout.create_order("u1", order_input(), None)
    assert shop.stock("mug") == 5


def test_more_distinct_lines_than_one_transaction_holds_is_a_bad_request(shop: Shop) -> None:
    from checkout.domain.transitions import MAX_ORDER_LINES, MAX_TRANSACTION_ITEMS

    assert MAX_ORDER_LINES == 48  # 2 items per line + order, balance and two ledger entries <= 100
    assert MAX_ORDER_LINES * 2 + 4 <= MAX_TRANSACTION_ITEMS
    for i in range(MAX_ORDER_LINES + 1):
        shop.store.carts.put_item("u1", f"p{i:03d}", 1, shop.clock())

    with pytest.raises(BadRequest) as refused:
        shop.checkout.create_order("u1", order_input(), None)
    assert refused.value.code == "too_many_lines"


def test_an_order_with_the_maximum_number_of_lines_commits_in_one_transaction(shop: Shop) -> None:
    from checkout.domain.transitions import MAX_ORDER_LINES

    for i in range(MAX_ORDER_LINES):
        shop.add_product(f"p{i:03d}", 1_000, 2)
        shop.store.carts.put_item("u1", f"p{i:03d}", 1, shop.clock())
    shop.grant("u1", 1_000)

    created = shop.checkout.create_order("u1", order_input(points=1_000), None)

    assert len(created.order.lines) == MAX_ORDER_LINES
    assert shop.stock("p000") == 1 and shop.stock(f"p{MAX_ORDER_LINES - 1:03d}") == 1
    assert shop.cart("u1") == {}


def test_an_all_points_order_is_paid_at_once_without_iamport(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    shop.grant("u1", 20_000)

    created = shop.order_for("u1", {"mug": 1}, points=12_000)

    order = created.order
    assert order.status is OrderStatus.PAID and order.amount == 0 and order.paid_at is not None
    assert order.points_earned == 0
    assert shop.balance("u1") == (8_000, 0)
    assert shop.ledger_kinds("u1") == ["grant", "use"]
    assert shop.gateway.get_prepared(order.merchant_uid) is None
    assert shop.store.orders.get(order.merchant_uid).sweep_at() is None


def test_a_failed_amount_registration_fails_the_order_with_full_rollback(shop: Shop) -> None:
    from checkout.errors import GatewayUnavailable

    shop.add_product("mug", 12_000, 5)
    shop.grant("u1", 1_000)
    shop.checkout.put_cart_item("u1", "mug", 2)
    shop.sandbox.control.add_fault("/payments/prepare", "http_500", count=10)

    with pytest.raises(GatewayUnavailable):
        shop.checkout.create_order("u1", order_input(points=1_000), None)

    (order,) = shop.checkout.list_orders("u1", 10, None).orders
    assert order.status is OrderStatus.FAILED
    assert shop.stock("mug") == 5
    assert shop.balance("u1") == (1_000, 0)
    assert shop.cart("u1") == {"mug": 2}
    assert shop.ledger_kinds("u1") == ["grant", "hold", "release"]


def test_vbank_order_asks_for_an_account_due_in_72_hours_but_holds_stock_for_30_minutes(shop: Shop) -> None:
    from datetime import timedelta, timezone

    shop.add_product("mug", 12_000, 5)

    created = shop.order_for("u1", {"mug": 1}, pay_method="vbank")

    order = created.order
    # Until the account is issued the order holds stock for the card TTL (reconcile extends it then).
    assert order.expires_at - order.created_at == timedelta(minutes=30)
    kst = (order.created_at + timedelta(hours=72)).astimezone(timezone(timedelta(hours=9)))
    assert created.payment["vbank_due"] == kst.strftime("%Y%m%d%H%M%S")
    assert created.payment["pay_method"] == "vbank"


def test_same_idempotency_key_returns_the_same_order_and_payment(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    shop.checkout.put_cart_item("u1", "mug", 1)

    first = shop.checkout.create_order("u1", order_input(), "key-1")
    again = shop.checkout.create_order("u1", order_input(), "key-1")

    assert again.order.merchant_uid == first.order.merchant_uid
    assert again.payment == first.payment
    assert shop.stock("mug") == 4
    assert len(shop.checkout.list_orders("u1", 10, None).orders) == 1


def test_same_idempotency_key_with_another_body_is_unprocessable(shop: Shop) -> None:
    from checkout.errors import ValidationFailed

    shop.add_product("mug", 12_000, 5)
    shop.checkout.put_cart_item("u1", "mug", 1)
    shop.checkout.create_order("u1", order_input(), "key-1")

    with pytest.raises(ValidationFailed):
        shop.checkout.create_order("u1", order_input(pay_method="trans"), "key-1")


def test_idempotency_keys_are_per_user(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    a = shop.order_for("u1", {"mug": 1}, key="same")
    b = shop.order_for("u2", {"mug": 1}, key="same")
    assert a.order.merchant_uid != b.order.merchant_uid


def test_a_failed_attempt_releases_its_idempotency_key(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 1)
    shop.checkout.put_cart_item("u1", "mug", 2)
    with pytest.raises(OutOfStock):
        shop.checkout.create_order("u1", order_input(), "key-1")

    shop.checkout.put_cart_item("u1", "mug", 1)
    created = shop.checkout.create_order("u1", order_input(), "key-1")
    assert created.order.status is OrderStatus.READY
