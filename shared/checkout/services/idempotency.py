"""`Idempotency-Key` handling: the same key (per user) gives the same result, once.

The hot path is one conditional PutItem that claims the key; only a duplicate ever reads. A duplicate
arriving while the first request still runs waits briefly for its result and otherwise gets
RequestInProgress (409 + Retry-After), never a 500. The same key with a different body is a client bug:
422. A request that fails releases its key (nothing was created), so the client may retry it; one that
crashed is retried after `in_progress_s`.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from checkout.errors import RequestInProgress, ValidationFailed
from checkout.observability import logger
from checkout.ports import IdempotencyRepository

R = TypeVar("R")

COMPLETED = "COMPLETED"
MAX_KEY_LENGTH = 128
# Clients send a UUID; allow any short opaque token of visible ASCII, never whitespace, and never a comma:
# that is how a proxy joins repeated headers, so "k1,k2" is two keys, not one.
_KEY = re.compile(rf"[\x21-\x2b\x2d-\x7e]{{1,{MAX_KEY_LENGTH}}}")


def body_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    """The one rule for an `Idempotency-Key`, whether it arrives as a header or straight at a service."""
    if not _KEY.fullmatch(key):
        raise ValidationFailed(
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} visible ASCII characters (e.g. a UUID).",
            code="invalid_idempotency_key",
        )
    return key


class IdempotentRequests:
    def __init__(
        self,
        records: IdempotencyRepository,
        *,
        in_progress_s: int = 60,
        ttl_s: int = 24 * 3600,
        wait_s: float = 2.0,
        now: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._records = records
        self._in_progress_s = in_progress_s
        self._ttl_s = ttl_s
        self._wait_s = wait_s
        self._now = now
        self._sleep = sleep

    def run(
        self,
        *,
        scope: str,
        user_id: str,
        key: str,
        body: Any,
        work: Callable[[], R],
        save: Callable[[R], dict[str, Any]],
        load: Callable[[dict[str, Any]], R],
    ) -> R:
        check_key(key)
        # The key is the client's; scoping it by user means one buyer can never replay another's order.
        record_key = f"{scope}#{user_id}#{hashlib.sha256(key.encode()).hexdigest()}"
        digest = body_hash(body)
        for _ in range(2):
            held = self._records.claim(
                record_key, digest, now=self._now(), in_progress_s=self._in_progress_s, ttl_s=self._ttl_s
            )
            if held is None:
                return self._run_claimed(record_key, digest, work, save)
            if held.body_hash != digest:
                raise ValidationFailed(
                    "this Idempotency-Key was used with a different request", code="idempotency_key_reused"
                )
            if held.status == COMPLETED and held.result is not None:
                return load(held.result)
            result = self._await(record_key)
            if result is not None:
                return load(result)
            if self._records.get(record_key) is not None:
                break
            # The first attempt failed and released the key: this request may run it now.
        raise RequestInProgress(retry_after_s=1)

    def _run_claimed(
        self, record_key: str, digest: str, work: Callable[[], R], save: Callable[[R], dict[str, Any]]
    ) -> R:
        try:
            result = work()
        except BaseException:
            self._records.release(record_key)
            raise
        try:
            self._records.complete(record_key, digest, save(result), now=self._now(), ttl_s=self._ttl_s)
        except Exception:  # noqa: BLE001 - the work is done; a retry after in_progress_s may redo it
            logger.exception("idempotency record not completed", extra={"record": record_key[:32]})
        return result

    def _await(self, record_key: str) -> dict[str, Any] | None:
        deadline = self._now() + self._wait_s
        delay = 0.05
        while self._now() < deadline:
            self._sleep(delay)
            delay = min(delay * 2, 0.4)
            record = self._records.get(record_key)
            if record is None:
                return None
            if record.status == COMPLETED and record.result is not None:
                return record.result
        return None
