"""The DynamoDB adapters on DynamoDB Local: conditions become domain errors, and nothing half-happens."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from checkout.domain.order import Buyer, Order, OrderLine
from checkout.domain.points import LedgerEntry, LedgerKind
from checkout.domain.status import OrderStatus
from checkout.domain.transitions import mark_paid, open_order
from checkout.errors import CartChanged, InsufficientPoints, OutOfStock, StaleOrder
from tests.integration.core.conftest import Shop

pytestmark = pytest.mark.integration

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def new_order(lines: list[OrderLine], points: int = 0, merchant_uid: str = "ord_test_1") -> Order:
    total = sum(x.price * x.quantity for x in lines)
    return Order(
        merchant_uid=merchant_uid,
        user_id="u1",
        status=OrderStatus.READY,
        version=1,
        name="test",
        lines=tuple(lines),
        total=total,
        points_used=points,
        amount=total - points,
        pay_method="card",
        buyer=Buyer("Kim", "k@example.com", "010-1111-2222"),
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=30),
        updated_at=NOW,
    )


@pytest.fixture
def stocked(shop: Shop) -> Shop:
    shop.add_product("a-mug", 1_000, 5, name="Mug")
    shop.add_product("b-tee", 2_000, 1, name="Tee")
    shop.store.carts.put_item("u1", "a-mug", 1, NOW)
    shop.store.carts.put_item("u1", "b-tee", 2, NOW)
    shop.grant("u1", 500)
    return shop


def test_a_failed_stock_condition_names_its_product_although_items_are_reordered(stocked: Shop) -> None:
    # Cart deletes are sent before stock updates, and the order put before both: positions lie.
    order = new_order([OrderLine("a-mug", "Mug", 1_000, 1), OrderLine("b-tee", "Tee", 2_000, 2)], points=100)

    with pytest.raises(OutOfStock, match="Tee"):
        stocked.store.orders.apply(open_order(order))

    assert stocked.store.orders.get(order.merchant_uid) is None
    assert (stocked.stock("a-mug"), stocked.stock("b-tee")) == (5, 1)
    assert stocked.balance("u1") == (500, 0)
    assert stocked.cart("u1") == {"a-mug": 1, "b-tee": 2}


def test_a_failed_balance_condition_is_insufficient_points(stocked: Shop) -> None:
    order = new_order([OrderLine("a-mug", "Mug", 1_000, 1)], points=600)
    with pytest.raises(InsufficientPoints):
        stocked.store.orders.apply(open_order(order))
    assert stocked.stock("a-mug") == 5


def test_a_cart_line_changed_meanwhile_aborts_the_order(stocked: Shop) -> None:
    order = new_order([OrderLine("a-mug", "Mug", 1_000, 3)])  # the cart holds 1, not 3
    with pytest.raises(CartChanged):
        stocked.store.orders.apply(open_order(order))
    assert stocked.stock("a-mug") == 5


def test_a_transition_from_a_stale_version_writes_nothing(stocked: Shop) -> None:
    order = new_order([OrderLine("a-mug", "Mug", 1_000, 1)], points=100)
    stocked.store.orders.apply(open_order(order))
    stocked.store.orders.apply(
        mark_paid(order, imp_uid="imp_1", payment={}, paid_at=NOW, now=NOW, earn_bp=100)
    )

    with pytest.raises(StaleOrder):
        stocked.store.orders.apply(
            mark_paid(order, imp_uid="imp_2", payment={}, paid_at=NOW, now=NOW, earn_bp=100)
        )

    assert stocked.store.orders.get(order.merchant_uid).imp_uid == "imp_1"
    assert stocked.balance("u1") == (400 + 9, 0)  # 1 % of 900 once


def test_a_ledger_event_that_already_happened_aborts_the_transition(stocked: Shop) -> None:
    order = new_order([OrderLine("a-mug", "Mug", 1_000, 1)], points=100)
    stocked.store.orders.apply(open_order(order))
    paid = mark_paid(order, imp_uid="imp_1", payment={}, paid_at=NOW, now=NOW, earn_bp=100)
    # Pretend the `earn` was written by an earlier, partially replayed attempt (it cannot be, but the
    # deterministic key is the last line of defence).
    earn = LedgerEntry("u1", LedgerKind.EARN, 9, order.merchant_uid, NOW)
    from checkout.store.transact import ledger_sk

    stocked.store.models.points(
        "u1",
        ledger_sk(earn),
        kind="earn",
        points=9,
        merchant_uid=order.merchant_uid,
        at="2025-03-01T12:00:00.000000Z",
    ).save()

    with pytest.raises(StaleOrder):
        stocked.store.orders.apply(paid)
    assert stocked.store.orders.get(order.merchant_uid).status is OrderStatus.READY
    assert stocked.balance("u1") == (400, 100)


def test_claiming_a_held_idempotency_key_returns_the_holder_in_the_same_write(stocked: Shop) -> None:
    records = stocked.store.idempotency
    now = time.time()
    assert records.claim("k1", "hash-a", now=now, in_progress_s=60, ttl_s=3600) is None

    held = records.claim("k1", "hash-b", now=now, in_progress_s=60, ttl_s=3600)

    assert held is not None and held.status == "INPROGRESS" and held.body_hash == "hash-a"
    records.complete("k1", "hash-a", {"merchant_uid": "ord_x"}, now=now, ttl_s=3600)
    done = records.claim("k1", "hash-a", now=now, in_progress_s=60, ttl_s=3600)
    assert done is not None and done.status == "COMPLETED" and done.result == {"merchant_uid": "ord_x"}


def test_an_idempotency_key_of_a_crashed_attempt_can_be_claimed_after_it_expires(stocked: Shop) -> None:
    records = stocked.store.idempotency
    now = time.time()
    records.claim("k2", "hash-a", now=now, in_progress_s=5, ttl_s=3600)
    assert records.claim("k2", "hash-a", now=now + 1, in_progress_s=5, ttl_s=3600) is not None
    assert records.claim("k2", "hash-a", now=now + 6, in_progress_s=5, ttl_s=3600) is None


def test_all_tables_share_one_dynamodb_client_built_once_per_container(settings, monkeypatch) -> None:
    import botocore.session

    from checkout.store import build_store

    built: list[str] = []
    create_client = botocore.session.Session.create_client

    def counting(self, service_name, *args, **kwargs):
        built.append(service_name)
        return create_client(self, service_name, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", counting)
    store = build_store(settings)

    # What a cold create_order touches: catalogue, cart, an order transaction, points, idempotency.
    store.catalog.get_products(["a-mug"])
    store.carts.list_items("u1")
    store.orders.apply(open_order(new_order([])))
    store.orders.get("ord_test_1")
    store.points.balance("u1")
    store.idempotency.get("key")

    assert built == ["dynamodb"]
