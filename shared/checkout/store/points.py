"""The points balance and ledger on DynamoDB (one partition per user: `BALANCE` + `LEDGER#...` items).

The ledger keys are deterministic (merchant_uid + event) so a replay can never move points twice; they
say nothing about time. The history is read through the sparse `ledger` index instead (`user_id` +
`at`), newest first, a page at a time.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PynamoDBException

from checkout import error_codes as codes
from checkout.domain.points import LedgerEntry, LedgerKind, PointsBalance, PointsMove
from checkout.errors import BadRequest
from checkout.store.codec import dt_in, dt_out
from checkout.store.models import BALANCE_SK, LEDGER_PREFIX, Models
from checkout.store.transact import Cancelled, Codecs, Writes, commit
from checkout.store.unavailable import store_unavailable

MAX_CURSOR_LENGTH = 1024


class DynamoPoints:
    def __init__(self, models: Models, connection: Connection) -> None:
        self._m = models
        self._connection = connection
        self._codecs = Codecs.of(models)

    def balance(self, user_id: str) -> PointsBalance:
        try:
            item = self._m.points.get(user_id, BALANCE_SK, consistent_read=True)
        except DoesNotExist:
            return PointsBalance()
        except PynamoDBException as exc:
            raise store_unavailable(exc) from exc
        return PointsBalance(int(item.available or 0), int(item.held or 0))

    def ledger(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[LedgerEntry], str | None]:
        """Newest first; entries of the same moment by key, highest first. The cursor is opaque (BadRequest
        when it is not this buyer's) and marks the last entry already shown."""
        after = _decode_cursor(cursor, user_id) if cursor else None
        m = self._m.points
        rows: list[Any] = []
        more = False
        try:
            items = m.ledger.query(
                user_id,
                m.at <= after[0] if after else None,
                scan_index_forward=False,
                page_size=limit + 1,
            )
            for item in items:
                if after and (item.at, item.sk) >= after:
                    continue  # the cursor's moment, at or above the last entry shown
                # The index orders by time only: to order a page's last moment by key, read all of it.
                if len(rows) >= limit and item.at != rows[limit - 1].at:
                    more = True
                    break
                rows.append(item)
        except PynamoDBException as exc:
            raise store_unavailable(exc) from exc
        rows.sort(key=lambda item: (item.at, item.sk), reverse=True)
        more = more or len(rows) > limit
        page = rows[:limit]
        entries = [
            LedgerEntry(user_id, LedgerKind(item.kind), int(item.points), item.merchant_uid, dt_in(item.at))
            for item in page
        ]
        next_cursor = _encode_cursor(user_id, page[-1].at, page[-1].sk) if more and page else None
        return entries, next_cursor

    def grant(self, user_id: str, points: int, grant_id: str, now: datetime) -> bool:
        """Give `points` once per `grant_id` (a replay is a no-op). True if this call granted them."""
        if points <= 0:
            raise ValueError("a grant is a positive number of points")
        entry = LedgerEntry(user_id, LedgerKind.GRANT, points, grant_id, now)
        writes = Writes(self._codecs)
        writes.balance(user_id, PointsMove(user_id, available_delta=points))
        writes.ledger(entry)
        try:
            commit(self._connection, writes)
        except Cancelled as cancelled:
            if "ConditionalCheckFailed" in cancelled.reasons:
                return False  # this grant's ledger entry exists: it was given before
            raise store_unavailable(cancelled) from cancelled
        return True


def _encode_cursor(user_id: str, at: str, sk: str) -> str:
    """The key of the last entry shown, as the index stores it."""
    key = {"user_id": {"S": user_id}, "sk": {"S": sk}, "at": {"S": at}}
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, user_id: str) -> tuple[str, str]:
    """(at, sk) of the last entry shown. The cursor is opaque to buyers; decoding it checks it is well
    formed and is this buyer's."""
    bad = BadRequest("invalid cursor", code=codes.INVALID_CURSOR)
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise bad
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if (
        not isinstance(key, dict)
        or set(key) != {"user_id", "sk", "at"}
        or not all(
            isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) and v["S"]
            for v in key.values()
        )
    ):
        raise bad
    if key["user_id"]["S"] != user_id:
        raise bad
    at, sk = key["at"]["S"], key["sk"]["S"]
    if not sk.startswith(LEDGER_PREFIX) or not _is_stored_moment(at):
        raise bad
    return at, sk


def _is_stored_moment(text: str) -> bool:
    """A time written exactly as the ledger writes `at` (so it compares with the stored ones)."""
    try:
        return dt_out(dt_in(text)) == text
    except (ValueError, OverflowError):
        return False
