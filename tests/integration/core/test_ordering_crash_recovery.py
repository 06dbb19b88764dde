"""create_order with an Idempotency-Key when an attempt dies part-way (DynamoDB Local + the sandbox).

A Lambda can be killed (timeout, out of memory, a lost container) after the order's transaction and
before the key records the result. The retry with the same key must answer with that same order, make
sure I'mport has its amount, and move nothing a second time.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from checkout.domain.status import OrderStatus
from checkout.errors import GatewayUnavailable, RequestInProgress, StoreUnavailable
from tests.support.shop import Shop, order_input

pytestmark = pytest.mark.integration


class Crash(BaseException):
    """The Lambda dying: no handler runs, nothing after this point happens."""


def crash_on(monkeypatch: pytest.MonkeyPatch, target: Any, name: str, *, times: int = 1) -> list[int]:
    """Make `target.name` kill the attempt the first `times` calls, then behave normally."""
    real = getattr(target, name)
    calls: list[int] = []

    def dying(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) <= times:
            raise Crash()
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, dying)
    return calls


def let_in_progress_time_pass(shop: Shop) -> None:
    """What `in_progress_s` of waiting does to the key of an attempt that died: it may be taken over."""
    m = shop.store.models.idempotency
    past = int((time.time() - 1) * 1000)
    for record in m.scan():
        if record.status == "INPROGRESS":
            record.update(actions=[m.in_progress_expiry.set(past)])


def only_order(shop: Shop, user_id: str = "u1"):
    orders = shop.checkout.list_orders(user_id, 50, None).orders
    assert len(orders) == 1, orders
    return orders[0]


def test_a_retry_after_a_crash_before_the_key_completed_returns_the_same_order(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.add_product("mug", 12_000, 5)
    shop.add_product("tee", 25_000, 3)
    shop.grant("u1", 5_000)
    shop.checkout.put_cart_item("u1", "mug", 2)
    shop.checkout.put_cart_item("u1", "tee", 1)
    crash_on(monkeypatch, shop.store.idempotency, "complete")

    with pytest.raises(Crash):
        shop.checkout.create_order("u1", order_input(points=3_000), "key-1")
    ghost = only_order(shop)

    with pytest.raises(RequestInProgress):  # the attempt may still be running
        shop.checkout.create_order("u1", order_input(points=3_000), "key-1")
    let_in_progress_time_pass(shop)
    resumed = shop.checkout.create_order("u1", order_input(points=3_000), "key-1")

    assert resumed.order.merchant_uid == ghost.merchant_uid
    assert resumed.order.status is OrderStatus.READY
    assert (shop.stock("mug"), shop.stock("tee")) == (3, 2)  # reserved once
    assert shop.balance("u1") == (2_000, 3_000)  # held once
    assert shop.ledger_kinds("u1") == ["grant", "hold"]
    assert shop.cart("u1") == {}
    assert shop.gateway.get_prepared(ghost.merchant_uid).amount == 46_000
    assert shop.metrics.count("OrdersCreated") == 1
    # The key is completed now: the next retry is a plain replay, with the same body.
    replay = shop.checkout.create_order("u1", order_input(points=3_000), "key-1")
    assert replay == resumed
    assert resumed.payment["merchant_uid"] == ghost.merchant_uid and resumed.payment["amount"] == 46_000
    only_order(shop)


def test_a_crash_between_the_transaction_and_prepare_is_finished_by_the_retry(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.add_product("mug", 12_000, 5)
    shop.checkout.put_cart_item("u1", "mug", 1)
    prepares = crash_on(monkeypatch, shop.gateway, "prepare")

    with pytest.raises(Crash):
        shop.checkout.create_order("u1", order_input(), "key-1")
    ghost = only_order(shop)
    assert shop.gateway.get_prepared(ghost.merchant_uid) is None

    let_in_progress_time_pass(shop)
    resumed = shop.checkout.create_order("u1", order_input(), "key-1")

    assert resumed.order.merchant_uid == ghost.merchant_uid
    assert shop.gateway.get_prepared(ghost.merchant_uid).amount == 12_000
    assert len(prepares) == 2
    assert shop.stock("mug") == 4
    assert shop.cart("u1") == {}
    assert shop.checkout.create_order("u1", order_input(), "key-1") == resumed
    only_order(shop)


def test_an_all_points_order_is_replayed_after_a_crash_with_its_points_spent_once(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.add_product("mug", 12_000, 5)
    shop.grant("u1", 20_000)
    shop.checkout.put_cart_item("u1", "mug", 1)
    crash_on(monkeypatch, shop.store.idempotency, "complete")
    prepares = crash_on(monkeypatch, shop.gateway, "prepare", times=0)

    with pytest.raises(Crash):
        shop.checkout.create_order("u1", order_input(points=12_000), "key-1")
    let_in_progress_time_pass(shop)
    resumed = shop.checkout.create_order("u1", order_input(points=12_000), "key-1")

    assert resumed.order.status is OrderStatus.PAID
    assert resumed.order.merchant_uid == only_order(shop).merchant_uid
    assert shop.balance("u1") == (8_000, 0)
    assert shop.ledger_kinds("u1") == ["grant", "use"]
    assert shop.stock("mug") == 4
    assert prepares == []  # nothing to pay in cash: nothing registered at I'mport


def test_a_crashed_attempt_whose_order_was_rolled_back_lets_the_next_retry_order_afresh(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.add_product("mug", 12_000, 5)
    shop.checkout.put_cart_item("u1", "mug", 1)

    def refused(merchant_uid: str, amount: int) -> None:
        raise GatewayUnavailable("I'mport is down")

    monkeypatch.setattr(shop.gateway, "prepare", refused)
    # I'mport refused the amount, the order was rolled back, and the attempt died before freeing the key.
    crash_on(monkeypatch, shop.store.idempotency, "release")
    with pytest.raises(Crash):
        shop.checkout.create_order("u1", order_input(), "key-1")
    failed = only_order(shop)
    assert failed.status is OrderStatus.FAILED and shop.cart("u1") == {"mug": 1}
    monkeypatch.undo()

    let_in_progress_time_pass(shop)
    with pytest.raises(GatewayUnavailable):  # what the attempt would have answered; the key is freed
        shop.checkout.create_order("u1", order_input(), "key-1")
    created = shop.checkout.create_order("u1", order_input(), "key-1")

    assert created.order.merchant_uid != failed.merchant_uid
    assert created.order.status is OrderStatus.READY
    assert shop.stock("mug") == 4
    assert shop.gateway.get_prepared(created.order.merchant_uid).amount == 12_000


def test_a_lost_answer_to_the_orders_transaction_is_not_a_failure(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.add_product("mug", 12_000, 5)
    shop.checkout.put_cart_item("u1", "mug", 1)
    apply = shop.store.orders.apply

    def applied_but_no_answer(transition: Any) -> Any:
        apply(transition)
        raise StoreUnavailable("timed out")

    monkeypatch.setattr(shop.store.orders, "apply", applied_but_no_answer)

    created = shop.checkout.create_order("u1", order_input(), "key-1")

    assert created.order.merchant_uid == only_order(shop).merchant_uid
    assert shop.gateway.get_prepared(created.order.merchant_uid).amount == 12_000
    assert shop.stock("mug") == 4


def test_a_database_failure_leaves_the_key_retryable_at_once_under_the_same_plan(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.add_product("mug", 12_000, 5)
    shop.checkout.put_cart_item("u1", "mug", 1)
    apply = shop.store.orders.apply
    failures = [StoreUnavailable("throttled")]

    def flaky(transition: Any) -> Any:
        if failures:
            raise failures.pop()
        return apply(transition)

    monkeypatch.setattr(shop.store.orders, "apply", flaky)
    with pytest.raises(StoreUnavailable):
        shop.checkout.create_order("u1", order_input(), "key-1")
    m = shop.store.models.idempotency
    planned = next(iter(m.scan())).result["merchant_uid"]

    created = shop.checkout.create_order("u1", order_input(), "key-1")  # no 409, no waiting

    assert created.order.merchant_uid == planned
    assert shop.stock("mug") == 4
    only_order(shop)
