"""`Idempotency-Key` handling: the same key (per user) gives the same result, once.

The hot path is one conditional PutItem that claims the key; only a duplicate ever reads. A duplicate
arriving while the first request still runs waits briefly for its result and otherwise gets
RequestInProgress (409 + Retry-After), never a 500. The same key with a different body is a client bug:
422.

Work that creates something is given a plan decided before it starts (for an order: its merchant_uid),
and the plan is stored in the claim itself. So an attempt that dies between its writes and its
COMPLETED record (a Lambda killed or timed out) leaves behind what it was doing: once the record is in
progress past its expiry, the next request with the key takes the record over, plan included, and runs
the work as a resumption (`Attempt.resumed`): it looks for what the plan names and finishes it rather
than doing it a second time. `in_progress_s` is longer than the function may run, so a live attempt
is not taken over; should one be, its work and the resumption share the plan and only one of them can
create what it names.

A request that fails cleanly (nothing was created) releases its key, so the client may retry at once.
One whose outcome is unknown (the database failed mid-way, or the attempt was interrupted) keeps its
record and plan but hands them to the next request at once, which then resumes it.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from checkout import error_codes as codes
from checkout.errors import RequestInProgress, StoreUnavailable, ValidationFailed
from checkout.observability import logger
from checkout.ports import IdempotencyRecord, IdempotencyRepository

R = TypeVar("R")

COMPLETED = "COMPLETED"
MAX_KEY_LENGTH = 128
# Clients send a UUID; allow any short opaque token of visible ASCII, never whitespace, and never a comma:
# that is how a proxy joins repeated headers, so "k1,k2" is two keys, not one.
_KEY = re.compile(rf"[\x21-\x2b\x2d-\x7e]{{1,{MAX_KEY_LENGTH}}}")


@dataclass(frozen=True)
class Attempt:
    """What one run of the work is given."""

    plan: dict[str, Any]  # decided before the work, kept with the claim
    resumed: bool  # an earlier attempt with this plan died: some of the work may be done already


def body_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    """The one rule for an `Idempotency-Key`, whether it arrives as a header or straight at a service."""
    if not _KEY.fullmatch(key):
        raise ValidationFailed(
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} visible ASCII characters (e.g. a UUID).",
            code=codes.INVALID_IDEMPOTENCY_KEY,
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
        work: Callable[[Attempt], R],
        save: Callable[[R], dict[str, Any]],
        load: Callable[[dict[str, Any]], R],
        plan: Callable[[], dict[str, Any]] = dict,
    ) -> R:
        check_key(key)
        # The key is the client's; scoping it by user means one buyer can never replay another's order.
        record_key = f"{scope}#{user_id}#{hashlib.sha256(key.encode()).hexdigest()}"
        digest = body_hash(body)
        fresh = plan()
        held = self._claim(record_key, digest, fresh)
        waited = False
        while True:
            if held is None:
                return self._run_claimed(record_key, digest, Attempt(fresh, resumed=False), work, save)
            if held.body_hash != digest:
                raise ValidationFailed(
                    "this Idempotency-Key was used with a different request",
                    code=codes.IDEMPOTENCY_KEY_REUSED,
                )
            if held.status == COMPLETED and held.result is not None:
                return load(held.result)
            if self._abandoned(held):
                taken = self._records.take_over(
                    held, fresh, now=self._now(), in_progress_s=self._in_progress_s
                )
                if taken is not None:
                    logger.info("resuming an abandoned attempt", extra={"record": record_key[:32]})
                    resumed = Attempt(taken.result if taken.result is not None else fresh, resumed=True)
                    return self._run_claimed(record_key, digest, resumed, work, save)
                # Another retry took it over first: wait for it like any duplicate.
            if waited:
                raise RequestInProgress(retry_after_s=1)
            held = self._await(record_key)
            waited = True
            if held is None:
                # The first attempt failed and released the key: this request may run it now.
                held = self._claim(record_key, digest, fresh)

    def _claim(self, record_key: str, digest: str, plan: dict[str, Any]) -> IdempotencyRecord | None:
        return self._records.claim(
            record_key,
            digest,
            plan=plan,
            now=self._now(),
            in_progress_s=self._in_progress_s,
            ttl_s=self._ttl_s,
        )

    def _abandoned(self, record: IdempotencyRecord) -> bool:
        """In progress past its expiry: the attempt died (or handed over an unknown outcome)."""
        expiry = record.in_progress_expiry_ms
        return record.status != COMPLETED and expiry is not None and expiry < int(self._now() * 1000)

    def _run_claimed(
        self,
        record_key: str,
        digest: str,
        attempt: Attempt,
        work: Callable[[Attempt], R],
        save: Callable[[R], dict[str, Any]],
    ) -> R:
        try:
            result = work(attempt)
        except StoreUnavailable:
            # The database may have applied a write whose answer was lost: the retry must resume the plan.
            self._records.abandon(record_key)
            raise
        except Exception:
            self._records.release(record_key)
            raise
        except BaseException:
            # Interrupted part-way: whatever was done stays findable through the plan.
            self._records.abandon(record_key)
            raise
        try:
            self._records.complete(record_key, digest, save(result), now=self._now(), ttl_s=self._ttl_s)
        except Exception:  # noqa: BLE001 - the work is done; a retry after in_progress_s resumes the plan
            logger.exception("idempotency record not completed", extra={"record": record_key[:32]})
        return result

    def _await(self, record_key: str) -> IdempotencyRecord | None:
        """Poll the record while its attempt runs. None: released; else the last record seen (completed,
        abandoned, or still in progress when the wait is over)."""
        deadline = self._now() + self._wait_s
        delay = 0.05
        while True:
            self._sleep(delay)
            delay = min(delay * 2, 0.4)
            record = self._records.get(record_key)
            if record is None or record.status == COMPLETED or self._abandoned(record):
                return record
            if self._now() >= deadline:
                return record
