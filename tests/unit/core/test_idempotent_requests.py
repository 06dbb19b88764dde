"""Idempotency-Key semantics with an in-memory record store (the DynamoDB one runs on DynamoDB Local)."""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any

import pytest

from checkout.errors import BadRequest, RequestInProgress, StoreUnavailable, ValidationFailed
from checkout.ports import IdempotencyRecord
from checkout.services.idempotency import Attempt, IdempotentRequests


class Records:
    """The DynamoDB record store's rules, in memory: claim, take over a dead attempt, release, abandon."""

    def __init__(self) -> None:
        self.items: dict[str, IdempotencyRecord] = {}

    def claim(
        self, key: str, body_hash: str, *, plan: dict[str, Any], now: float, in_progress_s: int, ttl_s: int
    ):
        held = self.items.get(key)
        if held is None or held.expiration < int(now):
            self.items[key] = IdempotencyRecord(
                key, "INPROGRESS", body_hash, plan, int(now) + ttl_s, int((now + in_progress_s) * 1000)
            )
            return None
        return held

    def take_over(self, held: IdempotencyRecord, plan: dict[str, Any], *, now: float, in_progress_s: int):
        current = self.items.get(held.key)
        if (
            current is None
            or current.status != "INPROGRESS"
            or current.in_progress_expiry_ms != held.in_progress_expiry_ms
            or (current.in_progress_expiry_ms or 0) >= now * 1000
            or current.body_hash != held.body_hash
        ):
            return None
        taken = replace(
            current,
            result=current.result if current.result is not None else plan,
            in_progress_expiry_ms=int((now + in_progress_s) * 1000),
        )
        self.items[held.key] = taken
        return taken

    def complete(self, key: str, body_hash: str, result: dict[str, Any], *, now: float, ttl_s: int) -> None:
        self.items[key] = IdempotencyRecord(key, "COMPLETED", body_hash, result, int(now) + ttl_s, None)

    def release(self, key: str) -> None:
        if key in self.items and self.items[key].status == "INPROGRESS":
            del self.items[key]

    def abandon(self, key: str) -> None:
        if key in self.items and self.items[key].status == "INPROGRESS":
            self.items[key] = replace(self.items[key], in_progress_expiry_ms=0)

    def get(self, key: str):
        return self.items.get(key)


def run(guard: IdempotentRequests, body: Any, work, key: str = "k", plan=None) -> str:
    """`work` takes no argument or the Attempt; `plan` defaults to a fresh order id per request."""
    plans = iter(f"ord_{n}" for n in range(1, 100))
    return guard.run(
        scope="create_order",
        user_id="u1",
        key=key,
        body=body,
        plan=plan or (lambda: {"merchant_uid": next(plans)}),
        work=lambda attempt: work(attempt) if _takes_attempt(work) else work(),
        save=lambda r: {"v": r},
        load=lambda saved: saved["v"],
    )


def _takes_attempt(work) -> bool:
    return len(inspect.signature(work).parameters) == 1


class Clock:
    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


class Crash(BaseException):
    """The Lambda dying: nothing after it runs, no handler cleans up."""


def crashing_complete(records: Records) -> Records:
    """The attempt dies after its work and before the key records the result."""

    def complete(*args: Any, **kwargs: Any) -> None:
        raise Crash()

    records.complete = complete  # type: ignore[method-assign]
    return records


def test_the_second_call_returns_the_first_result_without_working() -> None:
    guard = IdempotentRequests(Records())
    calls: list[int] = []
    assert run(guard, {"a": 1}, lambda: calls.append(1) or "ord_1") == "ord_1"
    assert run(guard, {"a": 1}, lambda: calls.append(1) or "ord_2") == "ord_1"
    assert calls == [1]


def test_another_body_under_the_same_key_is_unprocessable() -> None:
    guard = IdempotentRequests(Records())
    run(guard, {"a": 1}, lambda: "ord_1")
    with pytest.raises(ValidationFailed):
        run(guard, {"a": 2}, lambda: "ord_2")


def test_a_duplicate_during_the_first_attempt_is_told_to_retry() -> None:
    records = Records()
    clock = [1000.0]
    duplicate = IdempotentRequests(
        records, wait_s=0.3, now=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s)
    )
    first = IdempotentRequests(records, now=lambda: clock[0])
    seen: list[Exception] = []

    def first_attempt() -> str:
        # The duplicate arrives while the first attempt is still working.
        try:
            run(duplicate, {"a": 1}, lambda: "ord_2")
        except RequestInProgress as busy:
            seen.append(busy)
        return "ord_1"

    assert run(first, {"a": 1}, first_attempt) == "ord_1"
    assert len(seen) == 1 and seen[0].retry_after_s >= 1
    assert run(duplicate, {"a": 1}, lambda: "ord_3") == "ord_1"


def test_a_failed_attempt_frees_the_key() -> None:
    guard = IdempotentRequests(Records())

    def boom() -> str:
        raise BadRequest("cart is empty")

    with pytest.raises(BadRequest):
        run(guard, {"a": 1}, boom)
    assert run(guard, {"a": 1}, lambda: "ord_1") == "ord_1"


def test_keys_are_1_to_128_visible_ascii_characters_without_a_comma_as_the_header_requires() -> None:
    guard = IdempotentRequests(Records())
    for bad in ("", "x" * 129, "tab\there", "a b", "k1,k2", "키"):
        with pytest.raises(ValidationFailed) as refused:
            run(guard, {}, lambda: "x", key=bad)
        assert refused.value.code == "invalid_idempotency_key"
    assert run(guard, {}, lambda: "ord_1", key="x" * 128) == "ord_1"


def test_the_plan_is_kept_with_the_claim_and_given_to_the_work() -> None:
    records = Records()
    guard = IdempotentRequests(records)
    seen: list[Attempt] = []

    def work(attempt: Attempt) -> str:
        seen.append(attempt)
        assert records.items[next(iter(records.items))].result == {"merchant_uid": "ord_a"}
        return attempt.plan["merchant_uid"]

    assert run(guard, {"a": 1}, work, plan=lambda: {"merchant_uid": "ord_a"}) == "ord_a"
    assert seen == [Attempt({"merchant_uid": "ord_a"}, resumed=False)]


def test_an_attempt_that_died_before_completing_is_resumed_with_its_plan_once_its_time_is_up() -> None:
    clock = Clock()
    records = Records()
    dying = IdempotentRequests(crashing_complete(records), in_progress_s=60, now=clock)
    with pytest.raises(Crash):
        run(dying, {"a": 1}, lambda attempt: "created " + attempt.plan["merchant_uid"])
    guard = IdempotentRequests(
        _same_table(records), in_progress_s=60, wait_s=0.3, now=clock, sleep=clock.sleep
    )
    fresh = {"merchant_uid": "ord_fresh"}

    with pytest.raises(RequestInProgress):  # still within its time: it may be running
        run(guard, {"a": 1}, lambda attempt: "created again", plan=lambda: fresh)
    clock.t += 61
    seen: list[Attempt] = []

    def resume(attempt: Attempt) -> str:
        seen.append(attempt)
        return "found " + attempt.plan["merchant_uid"]

    assert run(guard, {"a": 1}, resume, plan=lambda: fresh) == "found ord_1"
    assert seen == [Attempt({"merchant_uid": "ord_1"}, resumed=True)]
    assert run(guard, {"a": 1}, lambda attempt: "never") == "found ord_1"  # completed now: a plain replay


def test_of_two_retries_of_a_dead_attempt_one_takes_it_over() -> None:
    clock = Clock()
    records = Records()
    held = IdempotencyRecord("k", "INPROGRESS", "h", {"merchant_uid": "ord_x"}, 999_999, 5_000)
    records.items["k"] = held
    first = records.take_over(held, {"merchant_uid": "ord_y"}, now=clock(), in_progress_s=60)
    second = records.take_over(held, {"merchant_uid": "ord_z"}, now=clock(), in_progress_s=60)
    assert first is not None and first.result == {"merchant_uid": "ord_x"}
    assert second is None


def test_a_retry_arriving_while_a_resumption_runs_waits_for_it() -> None:
    clock = Clock()
    records = Records()
    with pytest.raises(Crash):
        run(IdempotentRequests(crashing_complete(records), now=clock), {"a": 1}, lambda: "x")
    records = _same_table(records)
    guard = IdempotentRequests(records, wait_s=0.3, now=clock, sleep=clock.sleep)
    clock.t += 61
    seen: list[Exception] = []

    def resume(attempt: Attempt) -> str:
        try:
            run(guard, {"a": 1}, lambda attempt: "a second resumption")
        except RequestInProgress as busy:
            seen.append(busy)
        return attempt.plan["merchant_uid"]

    assert run(guard, {"a": 1}, resume) == "ord_1"
    assert len(seen) == 1


def test_a_dead_attempts_key_with_another_body_is_unprocessable() -> None:
    clock = Clock()
    records = Records()
    with pytest.raises(Crash):
        run(IdempotentRequests(crashing_complete(records), now=clock), {"a": 1}, lambda: "x")
    clock.t += 61
    with pytest.raises(ValidationFailed):
        run(IdempotentRequests(_same_table(records), now=clock), {"a": 2}, lambda: "y")


def test_a_clean_failure_releases_the_key_and_the_retry_gets_a_fresh_plan() -> None:
    guard = IdempotentRequests(Records())
    plans = iter([{"merchant_uid": "ord_a"}, {"merchant_uid": "ord_b"}])
    seen: list[Attempt] = []

    def boom(attempt: Attempt) -> str:
        seen.append(attempt)
        raise BadRequest("cart is empty")

    with pytest.raises(BadRequest):
        run(guard, {"a": 1}, boom, plan=lambda: next(plans))
    assert run(guard, {"a": 1}, lambda a: seen.append(a) or "ok", plan=lambda: next(plans)) == "ok"
    assert seen == [Attempt({"merchant_uid": "ord_a"}, False), Attempt({"merchant_uid": "ord_b"}, False)]


@pytest.mark.parametrize("failure", [StoreUnavailable("timed out"), KeyboardInterrupt()])
def test_an_attempt_with_an_unknown_outcome_is_resumed_by_the_next_request_at_once(
    failure: BaseException,
) -> None:
    clock = Clock()
    guard = IdempotentRequests(Records(), now=clock, sleep=clock.sleep)

    def fail(attempt: Attempt) -> str:
        raise failure

    with pytest.raises(type(failure)):
        run(guard, {"a": 1}, fail, plan=lambda: {"merchant_uid": "ord_a"})
    seen: list[Attempt] = []
    result = run(guard, {"a": 1}, lambda a: seen.append(a) or "ok", plan=lambda: {"merchant_uid": "ord_b"})
    assert result == "ok"
    assert seen == [Attempt({"merchant_uid": "ord_a"}, resumed=True)]


def _same_table(records: Records) -> Records:
    """Another container's view of the same records (without the crashing `complete`)."""
    fresh = Records()
    fresh.items = records.items
    return fresh
