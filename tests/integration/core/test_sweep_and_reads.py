"""The sweeper, the buyer's reads, and the catalog/cart on DynamoDB Local (+ sandbox)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from checkout.domain.status import OrderStatus
from checkout.errors import BadRequest, OrderNotFound, ProductNotFound
from tests.support.shop import Shop

pytestmark = pytest.mark.integration


def test_sweeper_expires_unpaid_orders_with_rollback_and_leaves_fresh_ones(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    shop.grant("u1", 3_000)
    stale = shop.order_for("u1", {"mug": 2}, points=3_000).order
    shop.clock.advance(timedelta(minutes=31))
    fresh = shop.order_for("u2", {"mug": 1}).order

    report = shop.checkout.sweep()

    assert (report.examined, report.expired, report.errors) == (1, 1, 0)
    expired = shop.store.orders.get(stale.merchant_uid)
    assert expired.status is OrderStatus.EXPIRED and expired.sweep_at() is None
    assert shop.store.orders.get(fresh.merchant_uid).status is OrderStatus.READY
    assert shop.stock("mug") == 4
    assert shop.balance("u1") == (3_000, 0)
    assert shop.cart("u1") == {"mug": 2}
    assert shop.metrics.count("OrdersExpired") == 1
    assert shop.checkout.sweep().examined == 0  # no longer in the sparse index


def test_sweeper_lets_a_paid_payment_win_over_expiry(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    order = shop.order_for("u1", {"mug": 1}).order
    shop.sandbox.control.pay(order.merchant_uid, order.amount)  # nobody reported it
    shop.clock.advance(timedelta(minutes=31))

    report = shop.checkout.sweep()

    assert report.paid == 1 and report.expired == 0
    assert shop.store.orders.get(order.merchant_uid).status is OrderStatus.PAID


def test_sweeper_voids_an_unpaid_virtual_account_before_expiring(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    created = shop.order_for("u1", {"mug": 1}, pay_method="vbank")
    m = created.order.merchant_uid
    issued = shop.sandbox.control.issue_vbank(m, created.order.amount, vbank_due=created.payment["vbank_due"])
    shop.checkout.complete_payment(issued["imp_uid"], m)
    shop.clock.advance(timedelta(hours=73))

    report = shop.checkout.sweep()

    assert report.expired == 1
    assert shop.store.orders.get(m).status is OrderStatus.EXPIRED
    assert shop.gateway.get_payment(issued["imp_uid"]).status != "ready"
    assert shop.stock("mug") == 5


def test_orders_are_listed_newest_first_in_pages_with_an_opaque_cursor(shop: Shop) -> None:
    shop.add_product("mug", 1_000, 50)
    made = []
    for _ in range(5):
        order = shop.order_for("u1", {"mug": 1}).order
        made.append(order.merchant_uid)
        # Paid, so the buyer stays under the open-order limit.
        paid = shop.sandbox.control.pay(order.merchant_uid, order.amount)
        shop.checkout.complete_payment(paid["imp_uid"], order.merchant_uid)
        shop.clock.advance(timedelta(seconds=1))
    shop.order_for("u2", {"mug": 1})

    first = shop.checkout.list_orders("u1", 2, None)
    second = shop.checkout.list_orders("u1", 2, first.next_cursor)
    third = shop.checkout.list_orders("u1", 2, second.next_cursor)

    seen = [o.merchant_uid for page in (first, second, third) for o in page.orders]
    assert seen == list(reversed(made))
    with pytest.raises(BadRequest):
        shop.checkout.list_orders("u2", 2, first.next_cursor)  # another buyer's cursor
    with pytest.raises(BadRequest):
        shop.checkout.list_orders("u1", 2, "not-a-cursor")
    for bad_limit in (0, 51):
        with pytest.raises(BadRequest):
            shop.checkout.list_orders("u1", bad_limit, None)


def test_an_order_is_visible_to_its_buyer_only(shop: Shop) -> None:
    shop.add_product("mug", 1_000, 5)
    order = shop.order_for("u1", {"mug": 1}).order
    assert shop.checkout.get_order("u1", order.merchant_uid).merchant_uid == order.merchant_uid
    with pytest.raises(OrderNotFound):
        shop.checkout.get_order("u2", order.merchant_uid)
    with pytest.raises(OrderNotFound):
        shop.checkout.get_order("u1", "ord_unknown")


def test_points_show_balance_hold_and_ledger_newest_first(shop: Shop) -> None:
    shop.add_product("mug", 10_000, 5)
    shop.grant("u1", 1_000)
    shop.clock.advance(timedelta(seconds=1))
    order = shop.order_for("u1", {"mug": 1}, points=600).order

    summary = shop.checkout.get_points("u1", 20, None)

    assert (summary.available, summary.held) == (400, 600)
    assert summary.next_cursor is None  # the whole ledger fits the page
    assert [(e.kind.value, e.points, e.merchant_uid) for e in summary.ledger] == [
        ("hold", 600, order.merchant_uid),
        ("grant", 1_000, "welcome-u1-1000"),
    ]


def test_cart_items_are_put_replaced_listed_and_deleted(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5, name="Mug")
    shop.add_product("tee", 5_000, 5, name="Tee")

    shop.checkout.put_cart_item("u1", "mug", 1)
    cart = shop.checkout.put_cart_item("u1", "mug", 3)
    cart = shop.checkout.put_cart_item("u1", "tee", 2)

    assert [(i.product_id, i.quantity, i.line_total) for i in cart.items] == [
        ("mug", 3, 36_000),
        ("tee", 2, 10_000),
    ]
    assert cart.total == 46_000
    cart = shop.checkout.delete_cart_item("u1", "mug")
    assert [i.product_id for i in cart.items] == ["tee"]
    assert shop.checkout.get_cart("u2").items == ()


def test_cart_refuses_unknown_products_and_bad_quantities(shop: Shop) -> None:
    shop.add_product("mug", 12_000, 5)
    with pytest.raises(ProductNotFound):
        shop.checkout.put_cart_item("u1", "ghost", 1)
    with pytest.raises(ProductNotFound):
        shop.checkout.delete_cart_item("u1", "ghost")
    for quantity in (0, 100, -1):
        with pytest.raises(BadRequest):
            shop.checkout.put_cart_item("u1", "mug", quantity)
    assert shop.cart("u1") == {}


def test_products_are_listed_with_price_and_stock(shop: Shop) -> None:
    shop.add_product("tee", 5_000, 2, name="Tee")
    shop.add_product("mug", 12_000, 5, name="Mug")
    assert [(p.product_id, p.price, p.stock) for p in shop.checkout.list_products()] == [
        ("mug", 12_000, 5),
        ("tee", 5_000, 2),
    ]
