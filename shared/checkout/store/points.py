"""The points balance and ledger on DynamoDB (one partition per user: `BALANCE` + `LEDGER#...` items)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from checkout.domain.points import LedgerEntry, LedgerKind, PointsBalance
from checkout.store.codec import dt_in, dt_out
from checkout.store.models import BALANCE_SK, LEDGER_PREFIX, Models
from checkout.store.transact import ledger_sk
from checkout.store.unavailable import store_unavailable

# The ledger keys are deterministic (merchant_uid + event), not time-ordered; a buyer's ledger is small
# (a few entries per order), so it is read whole and sorted, up to this many entries.
MAX_LEDGER_READ = 1000


class DynamoPoints:
    def __init__(self, models: Models, connection: Connection) -> None:
        self._m = models
        self._connection = connection

    def balance(self, user_id: str) -> PointsBalance:
        try:
            item = self._m.points.get(user_id, BALANCE_SK, consistent_read=True)
        except DoesNotExist:
            return PointsBalance()
        except PynamoDBException as exc:
            raise store_unavailable(exc) from exc
        return PointsBalance(int(item.available or 0), int(item.held or 0))

    def ledger(self, user_id: str, limit: int = MAX_LEDGER_READ) -> list[LedgerEntry]:
        """Newest first."""
        try:
            items = list(
                self._m.points.query(
                    user_id, self._m.points.sk.startswith(LEDGER_PREFIX), limit=MAX_LEDGER_READ
                )
            )
        except PynamoDBException as exc:
            raise store_unavailable(exc) from exc
        entries = [
            (
                item.at,
                item.sk,
                LedgerEntry(
                    user_id, LedgerKind(item.kind), int(item.points), item.merchant_uid, dt_in(item.at)
                ),
            )
            for item in items
        ]
        entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
        return [e[2] for e in entries[:limit]]

    def grant(self, user_id: str, points: int, grant_id: str, now: datetime) -> bool:
        """Give `points` once per `grant_id` (a replay is a no-op). True if this call granted them."""
        if points <= 0:
            raise ValueError("a grant is a positive number of points")
        entry = LedgerEntry(user_id, LedgerKind.GRANT, points, grant_id, now)
        m = self._m
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.update(
                    m.points(user_id, BALANCE_SK),
                    actions=[m.points.available.add(points), m.points.held.add(0)],
                )
                tx.save(
                    m.points(
                        user_id,
                        ledger_sk(entry),
                        kind=entry.kind.value,
                        points=points,
                        merchant_uid=grant_id,
                        at=dt_out(now),
                    ),
                    condition=m.points.sk.does_not_exist(),
                )
        except TransactWriteError as exc:
            if exc.cause_response_code == "TransactionCanceledException" and any(
                r and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons
            ):
                return False
            raise store_unavailable(exc) from exc
        return True
