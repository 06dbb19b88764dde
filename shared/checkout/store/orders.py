"""Orders on DynamoDB: consistent reads, conditional transitions, history by user, the sweep index."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException

from checkout import error_codes as codes
from checkout.domain.order import Order
from checkout.domain.transitions import Transition
from checkout.errors import BadRequest
from checkout.store.codec import dt_out, order_from_attributes, sweep_partitions
from checkout.store.items import ItemCodec
from checkout.store.models import Models
from checkout.store.transact import TransitionWriter
from checkout.store.unavailable import store_unavailable


class DynamoOrders:
    def __init__(self, models: Models, connection: Connection) -> None:
        self._m = models
        self._connection = connection
        self._codec = ItemCodec(models.order)
        self._writer = TransitionWriter(models, connection)

    def get(self, merchant_uid: str, *, consistent: bool = True) -> Order | None:
        """One GetItem, decoded without a model instance (the order is read on every report of a
        payment: store/items.py says why)."""
        try:
            reply = self._connection.client.get_item(
                TableName=self._codec.table_name,
                Key=self._codec.key(merchant_uid),
                ConsistentRead=consistent,
            )
        except (ClientError, BotoCoreError) as exc:
            raise store_unavailable(exc) from exc
        item = reply.get("Item")
        return None if item is None else order_from_attributes(self._codec.decode(item))

    def apply(self, transition: Transition) -> Order:
        """Write the transition atomically. Raises StaleOrder, OutOfStock, InsufficientPoints, CartChanged."""
        self._writer.apply(transition)
        return transition.order

    def list_by_user(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        start = _decode_cursor(cursor, user_id) if cursor else None
        try:
            result = self._m.order.by_user.query(
                user_id, scan_index_forward=False, limit=limit, last_evaluated_key=start
            )
            orders = [order_from_attributes(item.attribute_values) for item in result]
            last = result.last_evaluated_key
        except PynamoDBException as exc:
            raise store_unavailable(exc) from exc
        return orders, _encode_cursor(last) if last else None

    def due_for_sweep(self, now: datetime, limit: int) -> list[str]:
        """merchant_uids of orders the sweeper must look at by `now`, oldest due first, across the shards."""
        due: list[tuple[str, str]] = []
        try:
            for partition in sweep_partitions():
                result = self._m.order.sweep.query(
                    partition, self._m.order.sweep_at <= dt_out(now), limit=limit
                )
                due.extend((item.sweep_at, item.merchant_uid) for item in result)
        except PynamoDBException as exc:
            raise store_unavailable(exc) from exc
        due.sort()
        return [merchant_uid for _, merchant_uid in due[:limit]]


def _encode_cursor(key: dict[str, dict[str, str]]) -> str:
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, user_id: str) -> dict[str, dict[str, str]]:
    """The cursor is opaque to buyers; decoding it checks it is well formed and is this buyer's."""
    bad = BadRequest("invalid cursor", code=codes.INVALID_CURSOR)
    if len(cursor) > 1024:
        raise bad
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    expected = {"merchant_uid", "user_id", "created_at"}
    if (
        not isinstance(key, dict)
        or set(key) != expected
        # DynamoDB refuses empty key values outright: such a cursor is malformed, not a store failure.
        or not all(
            isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) and v["S"]
            for v in key.values()
        )
    ):
        raise bad
    if key["user_id"]["S"] != user_id:
        raise bad
    return key
