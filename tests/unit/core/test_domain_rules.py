"""The state machine, the money rules and the transitions they produce (pure domain, no AWS)."""

from __future__ import annotations

import pytest

from checkout.domain.order import LineQuantity
from checkout.domain.points import LedgerKind, clawback_after, earned_points
from checkout.domain.refunds import plan_refund
from checkout.domain.status import OPEN, OrderStatus, allowed_from, can_move
from checkout.domain.transitions import (
    MAX_ORDER_LINES,
    MAX_TRANSACTION_ITEMS,
    complete_refund,
    mark_paid,
    open_order,
    roll_back,
)
from checkout.errors import BadRequest, OrderStateConflict, RefundExceedsRemaining
from tests.support.factories import NOW, an_order

S = OrderStatus


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (S.READY, S.PAID, True),
        (S.AWAITING_DEPOSIT, S.PAID, True),
        (S.READY, S.AWAITING_DEPOSIT, True),
        (S.READY, S.FAILED, True),
        (S.AWAITING_DEPOSIT, S.EXPIRED, True),
        (S.PAID, S.CANCELLED, True),
        (S.PAID, S.PARTIALLY_CANCELLED, True),
        (S.PARTIALLY_CANCELLED, S.CANCELLED, True),
        (S.PAID, S.FAILED, False),
        (S.EXPIRED, S.PAID, False),
        (S.FAILED, S.PAID, False),
        (S.CANCELLED, S.PAID, False),
        (S.PAID, S.PAID, False),
        (S.AWAITING_DEPOSIT, S.READY, False),
        (S.READY, S.CANCELLED, False),
    ],
)
def test_state_machine_allows_only_the_designed_transitions(current: S, target: S, allowed: bool) -> None:
    assert can_move(current, target) is allowed


def test_only_ready_and_awaiting_deposit_are_open() -> None:
    assert {S.READY, S.AWAITING_DEPOSIT} == OPEN
    assert allowed_from(S.READY) == frozenset()


def test_the_line_limit_keeps_every_transition_within_one_transaction() -> None:
    lines = tuple(an_order().lines[0].__class__(f"p{i}", "P", 1_000, 1) for i in range(MAX_ORDER_LINES))
    order = an_order(lines=lines, points=1_000)
    biggest = max(
        open_order(order).item_count(), roll_back(order, S.FAILED, reason="x", now=NOW).item_count()
    )
    assert biggest <= MAX_TRANSACTION_ITEMS


def test_earned_points_are_basis_points_of_cash_rounded_down() -> None:
    assert earned_points(20_000, 100) == 200
    assert earned_points(199, 100) == 1
    assert earned_points(99, 100) == 0
    assert earned_points(10_000, 0) == 0


def test_cumulative_clawback_returns_exactly_the_reward_after_the_last_refund() -> None:
    earned, amount = 333, 33_333
    steps = [clawback_after(earned, amount, refunded) for refunded in (10_000, 20_000, 33_333)]
    assert steps == sorted(steps) and steps[-1] == earned


def test_open_order_holds_points_and_reserves_stock_with_conditions() -> None:
    t = open_order(an_order())
    assert t.expected_version is None
    assert [(m.product_id, m.delta) for m in t.stock] == [("mug", -2), ("tee", -1)]
    assert all(not c.restore for c in t.cart)
    assert (t.points.available_delta, t.points.held_delta, t.points.require_available) == (
        -5_000,
        5_000,
        5_000,
    )
    assert [e.kind for e in t.ledger] == [LedgerKind.HOLD]


def test_an_all_points_order_spends_points_without_a_hold() -> None:
    order = an_order(points=25_000, status=S.PAID)
    t = open_order(order)
    assert (t.points.available_delta, t.points.held_delta) == (-25_000, 0)
    assert [e.kind for e in t.ledger] == [LedgerKind.USE]


def test_paid_commits_the_hold_and_credits_the_reward_once_conditioned_on_version() -> None:
    order = an_order()
    t = mark_paid(order, imp_uid="imp_1", payment={}, paid_at=NOW, now=NOW, earn_bp=100)
    assert t.order.status is S.PAID and t.order.version == order.version + 1
    assert t.expected_version == order.version and t.from_statuses == {S.READY, S.AWAITING_DEPOSIT}
    assert (t.points.available_delta, t.points.held_delta) == (200, -5_000)
    assert [(e.kind, e.points, e.event) for e in t.ledger] == [
        (LedgerKind.USE, 5_000, "use"),
        (LedgerKind.EARN, 200, "earn"),
    ]
    assert t.order.sweep_at() is None


def test_rollback_returns_stock_cart_and_held_points() -> None:
    t = roll_back(an_order(), S.EXPIRED, reason="late", now=NOW)
    assert [(m.product_id, m.delta) for m in t.stock] == [("mug", 2), ("tee", 1)]
    assert all(c.restore for c in t.cart)
    assert (t.points.available_delta, t.points.held_delta) == (5_000, -5_000)
    assert [e.kind for e in t.ledger] == [LedgerKind.RELEASE]
    with pytest.raises(ValueError):
        roll_back(an_order(), S.PAID, reason="x", now=NOW)


def test_partial_refund_is_cash_first_with_proportional_clawback() -> None:
    order = an_order(status=S.PAID, imp_uid="imp_1", earned=200)  # 25000 total, 20000 cash, 5000 points
    intent = plan_refund(order, [LineQuantity("mug", 1)], refund_id="r1", reason="x", now=NOW)
    assert (intent.amount, intent.points, intent.clawback, intent.checksum, intent.final) == (
        10_000,
        0,
        100,
        20_000,
        False,
    )


def test_refund_beyond_the_remaining_cash_takes_the_rest_from_points() -> None:
    order = an_order(status=S.PAID, imp_uid="imp_1", earned=200)
    first = plan_refund(order, [LineQuantity("mug", 2)], refund_id="r1", reason="x", now=NOW)
    assert (first.amount, first.points) == (20_000, 0)
    after = complete_refund(order.evolve(pending_refund=first), first, NOW).order
    rest = plan_refund(after, None, refund_id="r2", reason="x", now=NOW)
    assert (rest.amount, rest.points, rest.clawback, rest.checksum, rest.final) == (0, 5_000, 0, 0, True)
    done = complete_refund(after.evolve(pending_refund=rest), rest, NOW)
    assert done.order.status is S.CANCELLED and done.order.pending_refund is None
    assert sum(r.amount for r in done.order.refunds) == order.amount
    assert sum(r.clawback for r in done.order.refunds) == 200


def test_refund_rules_refuse_what_cannot_be_refunded() -> None:
    paid = an_order(status=S.PAID, imp_uid="imp_1")
    with pytest.raises(OrderStateConflict):
        plan_refund(an_order(), None, refund_id="r", reason="x", now=NOW)
    with pytest.raises(BadRequest):
        plan_refund(paid, [LineQuantity("cap", 1)], refund_id="r", reason="x", now=NOW)
    with pytest.raises(RefundExceedsRemaining):
        plan_refund(paid, [LineQuantity("mug", 3)], refund_id="r", reason="x", now=NOW)


def test_sweep_time_follows_the_check_schedule_while_open_and_a_minute_after_a_refund_intent() -> None:
    from datetime import timedelta

    from checkout.domain.transitions import record_sweep

    order = an_order()  # expires 30 minutes after creation
    minutes = []
    for _ in range(6):
        minutes.append((order.sweep_at() - order.created_at) / timedelta(minutes=1))
        order = record_sweep(order, NOW, failed=False).order
    # 2, 5, 15 minutes after creation, then the expiry (30) caps every later check.
    assert minutes == [2, 5, 15, 30, 30, 30]
    long_lived = an_order().evolve(expires_at=NOW + timedelta(hours=72), checks=4)
    assert long_lived.sweep_at() == NOW + timedelta(minutes=90)  # hourly after the 30-minute check
    # A failing order backs off 2, 4, 8 ... minutes from the failure, at most an hour, then resets.
    failing = an_order()
    waits = []
    for _ in range(8):
        failing = record_sweep(failing, NOW, failed=True).order
        waits.append((failing.sweep_at() - NOW) / timedelta(minutes=1))
    assert waits == [2, 4, 8, 16, 32, 60, 60, 60]
    recovered = record_sweep(failing, NOW, failed=False).order
    assert (recovered.sweep_failures, recovered.retry_at, recovered.checks) == (0, None, 1)
    paid = an_order(status=S.PAID, imp_uid="imp_1")
    assert paid.sweep_at() is None
    intent = plan_refund(paid, None, refund_id="r", reason="x", now=NOW)
    pending = paid.evolve(pending_refund=intent)
    assert pending.sweep_at() is not None and pending.sweep_at() > NOW


def test_the_sweep_backoff_never_overflows_and_a_late_sweeper_checks_once_not_once_per_missed_slot() -> None:
    from datetime import timedelta

    from checkout.domain.order import retry_delay
    from checkout.domain.transitions import record_sweep

    assert retry_delay(41) == retry_delay(10_000) == timedelta(hours=1)
    order = an_order().evolve(expires_at=NOW + timedelta(hours=72))
    late = NOW + timedelta(hours=5, minutes=10)  # the sweeper was down for five hours
    checked = record_sweep(order, late, failed=False).order
    assert checked.next_check_at() > late
    assert checked.next_check_at() == NOW + timedelta(hours=5, minutes=30)


def test_only_an_order_counted_when_it_opened_gives_its_place_back() -> None:
    """The open-order counter moves by +1 when a counted order opens and -1 when it closes; an order from
    before the limit (never counted) closes without touching it, so the counter cannot drift below zero."""
    opened = open_order(an_order())
    assert opened.order.counts_open and opened.open_delta == 1
    counted = opened.order
    assert roll_back(counted, S.FAILED, reason="x", now=NOW).open_delta == -1
    assert mark_paid(counted, imp_uid="imp_1", payment={}, paid_at=NOW, now=NOW, earn_bp=100).open_delta == -1

    legacy = an_order()  # as read back from an item written before the limit existed
    assert not legacy.counts_open
    assert roll_back(legacy, S.EXPIRED, reason="x", now=NOW).open_delta == 0
    assert mark_paid(legacy, imp_uid="imp_1", payment={}, paid_at=NOW, now=NOW, earn_bp=100).open_delta == 0

    by_points = open_order(an_order(points=25_000, status=S.PAID))
    assert not by_points.order.counts_open and by_points.open_delta == 0
