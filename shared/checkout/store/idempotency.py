"""Idempotency records on DynamoDB: one conditional PutItem claims a key, and on refusal returns the
record that holds it (`ReturnValuesOnConditionCheckFailure=ALL_OLD`), so the hot path never reads first.

pynamodb's `Model.save` cannot ask for ALL_OLD, so the PutItem is sent through pynamodb's connection
with the same serialized item and condition, plus that one parameter.

While a request runs, its record is INPROGRESS and `result` holds the attempt's plan (for an order: the
merchant_uid it creates). The claim never overwrites a live record's plan: an attempt that died (in
progress past its expiry) is taken over by a conditional UpdateItem that keeps its plan, so the retry
finishes the same work instead of starting another.
"""

from __future__ import annotations

import contextlib
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PynamoDBException, UpdateError

from checkout.ports import IdempotencyRecord
from checkout.store.models import Models
from checkout.store.unavailable import store_unavailable

IN_PROGRESS = "INPROGRESS"
COMPLETED = "COMPLETED"


class DynamoIdempotency:
    def __init__(self, models: Models, connection: Connection) -> None:
        self._m = models
        self._connection = connection

    def claim(
        self, key: str, body_hash: str, *, plan: dict[str, Any], now: float, in_progress_s: int, ttl_s: int
    ) -> IdempotencyRecord | None:
        """Claim `key` for this request with `plan`. None: claimed. Otherwise the record that holds it."""
        m = self._m
        item = m.idempotency(
            key,
            status=IN_PROGRESS,
            body_hash=body_hash,
            expiration=int(now) + ttl_s,
            in_progress_expiry=int((now + in_progress_s) * 1000),
            result=plan,
        )
        # Free if never used, or if the TTL passed but DynamoDB has not deleted it yet. An attempt that
        # crashed keeps its record (and plan) until a retry takes it over (`take_over`).
        condition = m.idempotency.id.does_not_exist() | (m.idempotency.expiration < int(now))
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        expression = condition.serialize(names, values)
        request = {
            "TableName": m.idempotency.Meta.table_name,
            "Item": item.serialize(),
            "ConditionExpression": expression,
            "ExpressionAttributeNames": {placeholder: name for name, placeholder in names.items()},
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        try:
            self._connection.dispatch("PutItem", request)
            return None
        except ClientError as exc:
            old = _old_item(exc)
            if old is None:
                raise store_unavailable(exc) from exc
            return _record(key, m.idempotency.from_raw_data(old))

    def take_over(
        self, held: IdempotencyRecord, plan: dict[str, Any], *, now: float, in_progress_s: int
    ) -> IdempotencyRecord | None:
        """Hold the key of an attempt that died, keeping the plan it recorded (`plan` only fills in a
        record that has none). None: another request took it over first, or it changed meanwhile."""
        m = self._m
        if held.in_progress_expiry_ms is None:
            return None
        record = m.idempotency(held.key)
        # Exactly the dead attempt that was seen: of several retries, one wins.
        condition = (
            (m.idempotency.status == IN_PROGRESS)
            & (m.idempotency.in_progress_expiry == held.in_progress_expiry_ms)
            & (m.idempotency.in_progress_expiry < int(now * 1000))
            & (m.idempotency.body_hash == held.body_hash)
        )
        try:
            record.update(
                actions=[
                    m.idempotency.in_progress_expiry.set(int((now + in_progress_s) * 1000)),
                    m.idempotency.result.set(m.idempotency.result | plan),
                ],
                condition=condition,
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise store_unavailable(exc) from exc
        except PynamoDBException as exc:
            raise store_unavailable(exc) from exc
        return _record(held.key, record)

    def complete(self, key: str, body_hash: str, result: dict[str, Any], *, now: float, ttl_s: int) -> None:
        try:
            self._m.idempotency(
                key,
                status=COMPLETED,
                body_hash=body_hash,
                expiration=int(now) + ttl_s,
                in_progress_expiry=None,
                result=result,
            ).save()
        except PynamoDBException as exc:
            raise store_unavailable(exc) from exc

    def release(self, key: str) -> None:
        """Forget a failed attempt so that the same key can be retried."""
        # Already completed by someone else, or gone: nothing to release.
        with contextlib.suppress(PynamoDBException):
            self._m.idempotency(key).delete(condition=self._m.idempotency.status == IN_PROGRESS)

    def abandon(self, key: str) -> None:
        """Leave an attempt whose outcome is unknown to the next request with the key: it may take the
        record over at once, plan included."""
        m = self._m
        # Best effort: if this fails too, the record is taken over once its in-progress time is up.
        with contextlib.suppress(PynamoDBException):
            m.idempotency(key).update(
                actions=[m.idempotency.in_progress_expiry.set(0)],
                condition=m.idempotency.status == IN_PROGRESS,
            )

    def get(self, key: str) -> IdempotencyRecord | None:
        try:
            return _record(key, self._m.idempotency.get(key, consistent_read=True))
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise store_unavailable(exc) from exc


def _old_item(exc: ClientError) -> dict[str, Any] | None:
    if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
        return None
    # pynamodb re-raises botocore's error without the returned item; the original keeps it.
    for error in (exc, exc.__cause__):
        if isinstance(error, ClientError) and error.response.get("Item"):
            return error.response["Item"]
    return None


def _record(key: str, item: Any) -> IdempotencyRecord:
    return IdempotencyRecord(
        key=key,
        status=item.status,
        body_hash=item.body_hash,
        result=item.result,
        expiration=int(item.expiration),
        in_progress_expiry_ms=int(item.in_progress_expiry) if item.in_progress_expiry is not None else None,
    )


__all__ = ["COMPLETED", "IN_PROGRESS", "DynamoIdempotency"]
