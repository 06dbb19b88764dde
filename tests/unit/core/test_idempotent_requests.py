"""Idempotency-Key semantics with an in-memory record store (the DynamoDB one runs on DynamoDB Local)."""

from __future__ import annotations

from typing import Any

import pytest

from checkout.errors import BadRequest, RequestInProgress, ValidationFailed
from checkout.ports import IdempotencyRecord
from checkout.services.idempotency import IdempotentRequests


class Records:
    def __init__(self) -> None:
        self.items: dict[str, IdempotencyRecord] = {}

    def claim(self, key: str, body_hash: str, *, now: float, in_progress_s: int, ttl_s: int):
        held = self.items.get(key)
        if held is None or (held.status == "INPROGRESS" and (held.in_progress_expiry_ms or 0) < now * 1000):
            self.items[key] = IdempotencyRecord(
                key, "INPROGRESS", body_hash, None, int(now) + ttl_s, int((now + in_progress_s) * 1000)
            )
            return None
        return held

    def complete(self, key: str, body_hash: str, result: dict[str, Any], *, now: float, ttl_s: int) -> None:
        self.items[key] = IdempotencyRecord(key, "COMPLETED", body_hash, result, int(now) + ttl_s, None)

    def release(self, key: str) -> None:
        self.items.pop(key, None)

    def get(self, key: str):
        return self.items.get(key)


def run(guard: IdempotentRequests, body: Any, work, key: str = "k") -> str:
    return guard.run(
        scope="create_order",
        user_id="u1",
        key=key,
        body=body,
        work=work,
        save=lambda r: {"v": r},
        load=lambda saved: saved["v"],
    )


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
