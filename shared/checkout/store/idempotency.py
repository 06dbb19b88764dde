"""Idempotency records on DynamoDB: one conditional PutItem claims a key, and on refusal returns the
record that holds it (`ReturnValuesOnConditionCheckFailure=ALL_OLD`), so the hot path never reads first.

pynamodb's `Model.save` cannot ask for ALL_OLD, so the PutItem is sent through pynamodb's connection
with the same serialized item and condition, plus that one parameter.
"""

from __future__ import annotations

import contextlib
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PynamoDBException

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
        self, key: str, body_hash: str, *, now: float, in_progress_s: int, ttl_s: int
    ) -> IdempotencyRecord | None:
        """Claim `key` for this request. None: claimed. Otherwise the record that holds it."""
        m = self._m
        item = m.idempotency(
            key,
            status=IN_PROGRESS,
            body_hash=body_hash,
            expiration=int(now) + ttl_s,
            in_progress_expiry=int((now + in_progress_s) * 1000),
        )
        # Free if never used, if the TTL passed but DynamoDB has not deleted it yet, or if the attempt
        # holding it crashed (in progress past its expiry).
        condition = (
            m.idempotency.id.does_not_exist()
            | (m.idempotency.expiration < int(now))
            | ((m.idempotency.status == IN_PROGRESS) & (m.idempotency.in_progress_expiry < int(now * 1000)))
        )
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
