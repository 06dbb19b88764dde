"""The DynamoDB adapters on DynamoDB Local: conditions become domain errors, and nothing half-happens."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from checkout.domain.order import (
    Buyer,
    LineQuantity,
    Order,
    OrderLine,
    RefundAccount,
    RefundIntent,
    RefundRecord,
    StrayPayment,
    VbankAccount,
)
from checkout.domain.points import LedgerEntry, LedgerKind
from checkout.domain.status import OrderStatus
from checkout.domain.transitions import Transition, mark_paid, open_order
from checkout.errors import CartChanged, InsufficientPoints, OutOfStock, StaleOrder, StoreUnavailable
from checkout.store.codec import order_attributes, order_from_attributes
from checkout.store.items import ItemCodec
from tests.support.shop import Shop

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


def test_a_failed_stock_condition_names_its_product_among_the_transactions_items(stocked: Shop) -> None:
    # The order, two stock updates, two cart deletes and the balance in one transaction: DynamoDB says
    # which position failed, and the writer knows which product that position was.
    order = new_order([OrderLine("a-mug", "Mug", 1_000, 1), OrderLine("b-tee", "Tee", 2_000, 2)], points=100)

    with pytest.raises(OutOfStock, match="Tee"):
        stocked.store.orders.apply(open_order(order))

    assert stocked.store.orders.get(order.merchant_uid) is None
    assert (stocked.stock("a-mug"), stocked.stock("b-tee")) == (5, 1)
    assert stocked.balance("u1") == (500, 0)
    assert stocked.cart("u1") == {"a-mug": 1, "b-tee": 2}


def test_a_changed_cart_is_said_before_missing_stock_when_both_fail(stocked: Shop) -> None:
    # The cart holds 1 mug (3 ordered) and the tee has 1 in stock (2 ordered): the buyer must review the
    # cart first; its refreshed lines will show what is left.
    order = new_order([OrderLine("a-mug", "Mug", 1_000, 3), OrderLine("b-tee", "Tee", 2_000, 2)])
    with pytest.raises(CartChanged):
        stocked.store.orders.apply(open_order(order))
    assert (stocked.stock("a-mug"), stocked.stock("b-tee")) == (5, 1)


def test_a_failed_balance_condition_is_insufficient_points(stocked: Shop) -> None:
    order = new_order([OrderLine("a-mug", "Mug", 1_000, 1)], points=600)
    with pytest.raises(InsufficientPoints):
        stocked.store.orders.apply(open_order(order))
    assert stocked.stock("a-mug") == 5


@pytest.mark.parametrize(
    "line",
    [
        OrderLine("a-mug", "Mug", 1_000, 3),  # the cart holds 1: fewer than ordered
        OrderLine("b-tee", "Tee", 2_000, 1),  # the cart holds 2: more than ordered
    ],
)
def test_a_cart_line_changed_meanwhile_aborts_the_order(stocked: Shop, line: OrderLine) -> None:
    with pytest.raises(CartChanged):
        stocked.store.orders.apply(open_order(new_order([line])))
    assert (stocked.stock("a-mug"), stocked.stock("b-tee")) == (5, 1)
    assert stocked.cart("u1") == {"a-mug": 1, "b-tee": 2}


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
    plan = {"merchant_uid": "ord_x"}
    assert records.claim("k1", "hash-a", plan=plan, now=now, in_progress_s=60, ttl_s=3600) is None

    held = records.claim(
        "k1", "hash-b", plan={"merchant_uid": "ord_y"}, now=now, in_progress_s=60, ttl_s=3600
    )

    assert held is not None and held.status == "INPROGRESS" and held.body_hash == "hash-a"
    assert held.result == plan  # the plan of the attempt holding the key
    records.complete("k1", "hash-a", {"merchant_uid": "ord_x"}, now=now, ttl_s=3600)
    done = records.claim("k1", "hash-a", plan={}, now=now, in_progress_s=60, ttl_s=3600)
    assert done is not None and done.status == "COMPLETED" and done.result == {"merchant_uid": "ord_x"}


def test_a_crashed_attempts_key_is_taken_over_after_it_expires_keeping_its_plan(stocked: Shop) -> None:
    records = stocked.store.idempotency
    now = time.time()
    dead = {"merchant_uid": "ord_dead"}
    records.claim("k2", "hash-a", plan=dead, now=now, in_progress_s=5, ttl_s=3600)
    fresh = {"merchant_uid": "ord_fresh"}
    early = records.claim("k2", "hash-a", plan=fresh, now=now + 1, in_progress_s=5, ttl_s=3600)
    assert early is not None
    assert records.take_over(early, fresh, now=now + 1, in_progress_s=5) is None  # it may still be running

    held = records.claim("k2", "hash-a", plan=fresh, now=now + 6, in_progress_s=5, ttl_s=3600)
    assert held is not None and held.result == dead  # the claim does not overwrite the dead attempt's plan
    taken = records.take_over(held, fresh, now=now + 6, in_progress_s=5)
    assert taken is not None and taken.status == "INPROGRESS" and taken.result == dead
    assert taken.in_progress_expiry_ms == int((now + 11) * 1000)
    # Another retry that saw the same dead attempt loses: the record is held again.
    assert records.take_over(held, fresh, now=now + 6, in_progress_s=5) is None


def test_an_abandoned_attempt_can_be_taken_over_at_once(stocked: Shop) -> None:
    records = stocked.store.idempotency
    now = time.time()
    records.claim("k3", "hash-a", plan={"merchant_uid": "ord_a"}, now=now, in_progress_s=60, ttl_s=3600)
    records.abandon("k3")

    held = records.claim(
        "k3", "hash-a", plan={"merchant_uid": "ord_b"}, now=now, in_progress_s=60, ttl_s=3600
    )
    assert held is not None
    taken = records.take_over(held, {"merchant_uid": "ord_b"}, now=now, in_progress_s=60)
    assert taken is not None and taken.result == {"merchant_uid": "ord_a"}


def test_taking_over_a_record_without_a_plan_gives_it_the_new_one(stocked: Shop) -> None:
    records = stocked.store.idempotency
    now = time.time()
    stocked.store.models.idempotency(
        "k4", status="INPROGRESS", body_hash="hash-a", expiration=int(now) + 3600, in_progress_expiry=1
    ).save()
    held = records.claim(
        "k4", "hash-a", plan={"merchant_uid": "ord_b"}, now=now, in_progress_s=60, ttl_s=3600
    )
    assert held is not None and held.result is None

    taken = records.take_over(held, {"merchant_uid": "ord_b"}, now=now, in_progress_s=60)

    assert taken is not None and taken.result == {"merchant_uid": "ord_b"}


def test_a_released_key_is_free_and_a_completed_one_is_not_released(stocked: Shop) -> None:
    records = stocked.store.idempotency
    now = time.time()
    records.claim("k5", "hash-a", plan={"merchant_uid": "ord_a"}, now=now, in_progress_s=60, ttl_s=3600)
    records.release("k5")
    assert records.get("k5") is None
    records.complete("k5", "hash-a", {"merchant_uid": "ord_a"}, now=now, ttl_s=3600)
    records.release("k5")
    records.abandon("k5")
    done = records.get("k5")
    assert done is not None and done.status == "COMPLETED" and done.in_progress_expiry_ms is None


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


def a_rich_order(merchant_uid: str) -> Order:
    """An order carrying every optional part the item can hold."""
    lines = [OrderLine("a-mug", "머그컵", 1_000, 2, refunded_quantity=1), OrderLine("b-tee", "Tee", 2_000, 1)]
    return new_order(lines, points=100, merchant_uid=merchant_uid).evolve(
        status=OrderStatus.PAID,
        version=4,
        imp_uid="imp_rich",
        shipping_notice="문 앞에 놓아 주세요",
        payment={"imp_uid": "imp_rich", "amount": 3_900, "status": "paid", "cancel_history": []},
        vbank=VbankAccount("국민은행", "123-456", "(주)체크아웃", NOW + timedelta(days=3)),
        refunds=(RefundRecord("r1", 1_000, 0, 10, (LineQuantity("a-mug", 1),), NOW, reason="파손"),),
        pending_refund=RefundIntent(
            id="r2",
            lines=(LineQuantity("b-tee", 1),),
            amount=2_000,
            points=100,
            clawback=29,
            checksum=2_900,
            reason="변심",
            created_at=NOW,
            final=True,
            refund_account=RefundAccount("김", "04", "1234"),
        ),
        stray_payments=(StrayPayment("imp_other", 500, "duplicate", NOW, unrefunded=0),),
        points_earned=39,
        paid_at=NOW,
        checks=2,
        retry_at=NOW + timedelta(minutes=5),
        counts_open=True,
    )


def test_the_order_item_is_what_the_model_writes_and_each_reads_the_others(stocked: Shop) -> None:
    # The order's own reads and writes skip pynamodb's model instances (store/items.py); the model stays
    # the table's description and still reads every order (history by user, the sweep index).
    model = stocked.store.models.order
    ours, theirs = a_rich_order("ord_ours"), a_rich_order("ord_theirs")

    assert ItemCodec(model).encode(order_attributes(ours)) == model(**order_attributes(ours)).serialize()
    with pytest.raises(ValueError, match="status is required"):
        ItemCodec(model).encode({**order_attributes(ours), "status": None})

    stocked.store.orders.apply(Transition(ours, expected_version=None, from_statuses=frozenset()))
    model(**order_attributes(theirs)).save()

    read_by_model = model.get("ord_ours", consistent_read=True)
    assert order_from_attributes(read_by_model.attribute_values) == ours
    assert stocked.store.orders.get("ord_theirs") == theirs
    assert stocked.store.orders.get("ord_nowhere") is None


def test_a_refusal_that_is_not_a_failed_condition_is_the_store_being_unavailable(settings) -> None:
    # DynamoDB refusing the request itself (here: the table is not there) is not a lost race or a domain
    # answer: the caller is told the store is unavailable, and nothing is written.
    from checkout.store import build_store

    broken = build_store(settings.model_copy(update={"orders_table": "no-such-orders"}))

    with pytest.raises(StoreUnavailable):
        broken.orders.get("ord_test_1")
    with pytest.raises(StoreUnavailable):
        broken.orders.apply(open_order(new_order([])))


def _cancelled(stub: Any, *reasons: str) -> None:
    stub.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        service_message="Transaction cancelled",
        http_status_code=400,
        modeled_fields={"CancellationReasons": [{"Code": code} for code in reasons]},
    )


def test_a_transaction_that_only_collided_is_sent_again(stocked: Shop) -> None:
    from botocore.stub import Stubber

    order = new_order([OrderLine("a-mug", "Mug", 1_000, 1)])
    client = stocked.store.orders._connection.client
    with Stubber(client) as stub:
        _cancelled(stub, "TransactionConflict", "None", "None", "None")
        stub.add_response("transact_write_items", {})
        stocked.store.orders.apply(open_order(order))
        stub.assert_no_pending_responses()


def test_a_transaction_that_keeps_colliding_is_a_stale_order_not_a_failure(stocked: Shop) -> None:
    from botocore.stub import Stubber

    order = new_order([OrderLine("a-mug", "Mug", 1_000, 1)])
    with Stubber(stocked.store.orders._connection.client) as stub:
        for _ in range(7):  # the first attempt and its six retries
            _cancelled(stub, "None", "TransactionConflict")
        with pytest.raises(StaleOrder, match="being changed"):
            stocked.store.orders.apply(open_order(order))
        stub.assert_no_pending_responses()


@pytest.mark.parametrize("reason", ["ThrottlingError", "ValidationError", "ProvisionedThroughputExceeded"])
def test_a_transaction_cancelled_for_the_engines_own_reasons_is_the_store_being_unavailable(
    stocked: Shop, reason: str
) -> None:
    from botocore.stub import Stubber

    order = new_order([OrderLine("a-mug", "Mug", 1_000, 1)])
    with Stubber(stocked.store.orders._connection.client) as stub:
        _cancelled(stub, "None", reason, "TransactionConflict")
        with pytest.raises(StoreUnavailable):
            stocked.store.orders.apply(open_order(order))


def test_no_credentials_or_connection_is_the_store_being_unavailable(stocked: Shop) -> None:
    # Errors botocore raises itself (here: no credentials to sign with) never reach the buyer as a 500.
    from botocore.exceptions import NoCredentialsError

    def no_credentials(**_: Any) -> None:
        raise NoCredentialsError()

    client = stocked.store.orders._connection.client
    client.meta.events.register_first("before-sign.dynamodb", no_credentials)
    try:
        with pytest.raises(StoreUnavailable):
            stocked.store.orders.get("ord_test_1")
        with pytest.raises(StoreUnavailable):
            stocked.store.orders.apply(open_order(new_order([])))
        with pytest.raises(StoreUnavailable):
            stocked.store.points.grant("u1", 100, "grant-1", NOW)
    finally:
        client.meta.events.unregister("before-sign.dynamodb", no_credentials)
    assert stocked.balance("u1") == (500, 0)


def test_a_repeated_grant_gives_the_points_once(stocked: Shop) -> None:
    assert stocked.store.points.grant("u1", 100, "welcome-2", NOW) is True
    assert stocked.store.points.grant("u1", 100, "welcome-2", NOW) is False
    assert stocked.balance("u1") == (600, 0)
