"""Apply a `Transition` as ONE TransactWriteItems, and turn a refusal into the domain error it means.

The items are built as DynamoDB attribute values (store/items.py) and sent in the order they are added,
each with its identity (the order, a product's stock, a cart line, the points balance, a ledger entry),
so a failed condition, which DynamoDB reports by position, is traced back to the item it belongs to.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.connection import Connection

from checkout import error_codes as codes
from checkout.domain.points import LedgerEntry, PointsMove
from checkout.domain.transitions import Transition
from checkout.errors import (
    CartChanged,
    InsufficientPoints,
    OrderStateConflict,
    OutOfStock,
    StaleOrder,
    TooManyOpenOrders,
)
from checkout.observability import logger
from checkout.store.codec import dt_out, order_attributes
from checkout.store.items import Expression, ItemCodec, number, string
from checkout.store.models import BALANCE_SK, LEDGER_PREFIX, Models
from checkout.store.unavailable import store_unavailable

# A transaction can be cancelled only because another one touched the same item at the same moment
# (TransactionConflict): nothing was written, so the same fully-conditional transaction is retried.
_CONFLICT_RETRIES = 6


@dataclass(frozen=True)
class _Item:
    kind: str  # order | stock | cart | balance | ledger
    key: str


def ledger_sk(entry: LedgerEntry) -> str:
    return f"{LEDGER_PREFIX}{entry.merchant_uid}#{entry.event}"


@dataclass(frozen=True)
class Codecs:
    """The tables a transition writes (made once per container, with the models)."""

    orders: ItemCodec
    products: ItemCodec
    carts: ItemCodec
    points: ItemCodec

    @classmethod
    def of(cls, models: Models) -> Codecs:
        tables = (models.order, models.product, models.cart, models.points)
        return cls(*(ItemCodec(model) for model in tables))


class Writes:
    """The items of one TransactWriteItems, each with its identity, in the order they are sent."""

    def __init__(self, codecs: Codecs) -> None:
        self._orders = codecs.orders
        self._products = codecs.products
        self._carts = codecs.carts
        self._points = codecs.points
        self.items: list[dict[str, Any]] = []
        self.sent: list[_Item] = []

    def _add(self, identity: _Item, action: str, request: dict[str, Any]) -> None:
        self.items.append({action: request})
        self.sent.append(identity)

    def order(self, t: Transition) -> None:
        """The order item, whole: only over the version and a status it was read in, or as a new one."""
        e = Expression()
        if t.expected_version is None:
            condition = f"attribute_not_exists({e.name(self._orders.attribute('merchant_uid'))})"
        else:
            version = e.name(self._orders.attribute("version"))
            status = e.name(self._orders.attribute("status"))
            statuses = ", ".join(e.value(string(s.value)) for s in sorted(t.from_statuses))
            condition = f"{version} = {e.value(number(t.expected_version))} AND {status} IN ({statuses})"
        request = {
            "TableName": self._orders.table_name,
            "Item": self._orders.encode(order_attributes(t.order)),
            "ConditionExpression": condition,
        }
        self._add(_Item("order", t.order.merchant_uid), "Put", e.into(request))

    def stock(self, product_id: str, delta: int) -> None:
        """Add `delta` to a product's stock; a reservation (negative) only while enough is left. A restore
        has no condition: stock must come back even if the product was edited since."""
        e = Expression()
        stock = e.name(self._products.attribute("stock"))
        request: dict[str, Any] = {
            "TableName": self._products.table_name,
            "Key": self._products.key(product_id),
            "UpdateExpression": f"ADD {stock} {e.value(number(delta))}",
        }
        if delta < 0:
            request["ConditionExpression"] = f"{stock} >= {e.value(number(-delta))}"
        self._add(_Item("stock", product_id), "Update", e.into(request))

    def take_cart_line(self, user_id: str, product_id: str, quantity: int) -> None:
        """Remove a cart line, only if it still holds exactly `quantity`."""
        e = Expression()
        in_cart = e.name(self._carts.attribute("quantity"))
        request = {
            "TableName": self._carts.table_name,
            "Key": self._carts.key(user_id, product_id),
            "ConditionExpression": f"{in_cart} = {e.value(number(quantity))}",
        }
        self._add(_Item("cart", product_id), "Delete", e.into(request))

    def restore_cart_line(self, user_id: str, product_id: str, quantity: int, at: str) -> None:
        e = Expression()
        quantity_name = e.name(self._carts.attribute("quantity"))
        updated_at = e.name(self._carts.attribute("updated_at"))
        request = {
            "TableName": self._carts.table_name,
            "Key": self._carts.key(user_id, product_id),
            "UpdateExpression": f"ADD {quantity_name} {e.value(number(quantity))} "
            f"SET {updated_at} = {e.value(string(at))}",
        }
        self._add(_Item("cart", product_id), "Update", e.into(request))

    def balance(
        self, user_id: str, move: PointsMove | None, open_delta: int = 0, max_open: int | None = None
    ) -> None:
        """One update of the buyer's balance item (DynamoDB takes one action per item per transaction):
        the points move, only while enough are available, and the count of unpaid orders, an increase
        only while it stays below `max_open`."""
        e = Expression()
        adds: list[str] = []
        conditions: list[str] = []
        if move is not None:
            available, held = (
                e.name(self._points.attribute("available")),
                e.name(self._points.attribute("held")),
            )
            adds += [f"{available} {e.value(number(move.available_delta))}"]
            adds += [f"{held} {e.value(number(move.held_delta))}"]
            if move.require_available is not None:
                conditions.append(f"{available} >= {e.value(number(move.require_available))}")
        if open_delta:
            open_orders = e.name(self._points.attribute("open_orders"))
            adds.append(f"{open_orders} {e.value(number(open_delta))}")
            if open_delta > 0 and max_open is not None:
                conditions.append(
                    f"(attribute_not_exists({open_orders}) OR {open_orders} < {e.value(number(max_open))})"
                )
        request: dict[str, Any] = {
            "TableName": self._points.table_name,
            "Key": self._points.key(user_id, BALANCE_SK),
            "UpdateExpression": "ADD " + ", ".join(adds),
        }
        if conditions:
            request["ConditionExpression"] = " AND ".join(conditions)
        self._add(_Item("balance", user_id), "Update", e.into(request))

    def ledger(self, entry: LedgerEntry) -> None:
        """A ledger entry, under its deterministic key: only if that event never happened."""
        e = Expression()
        sk = ledger_sk(entry)
        values = {
            "user_id": entry.user_id,
            "sk": sk,
            "kind": entry.kind.value,
            "points": entry.points,
            "merchant_uid": entry.merchant_uid,
            "at": dt_out(entry.at),
        }
        request = {
            "TableName": self._points.table_name,
            "Item": self._points.encode(values),
            "ConditionExpression": f"attribute_not_exists({e.name(self._points.attribute('sk'))})",
        }
        self._add(_Item("ledger", sk), "Put", e.into(request))


class Cancelled(Exception):  # noqa: N818 - DynamoDB's own word for it
    """DynamoDB cancelled the transaction: nothing was written. `reasons` has one code per item sent, in
    order ("None" for an item that was fine, "ConditionalCheckFailed", "TransactionConflict", ...)."""

    cause_response_code = "TransactionCanceledException"  # what store_unavailable logs

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = reasons


def commit(connection: Connection, writes: Writes) -> None:
    """Send the items as one TransactWriteItems (no ConsumedCapacity asked: nothing here reads it; the
    benchmark asks for it where it measures capacity). Raises Cancelled, or StoreUnavailable for
    anything else that kept it from being written (throttling, timeouts, credentials...)."""
    try:
        connection.client.transact_write_items(TransactItems=writes.items)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise store_unavailable(exc) from exc
        reasons = exc.response.get("CancellationReasons") or []
        raise Cancelled([str(reason.get("Code") or "None") for reason in reasons]) from exc
    except BotoCoreError as exc:
        raise store_unavailable(exc) from exc


class TransitionWriter:
    def __init__(self, models: Models, connection: Connection) -> None:
        self._m = models
        self._codecs = Codecs.of(models)
        self._connection = connection

    def apply(self, transition: Transition) -> None:
        for attempt in range(_CONFLICT_RETRIES + 1):
            try:
                self._write_once(transition)
                return
            except _Contended:
                if attempt == _CONFLICT_RETRIES:
                    break
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        raise StaleOrder(f"order {transition.order.merchant_uid} is being changed by another request")

    def _write_once(self, t: Transition) -> None:
        writes = self.writes(t)
        try:
            commit(self._connection, writes)
        except Cancelled as cancelled:
            self._raise_for(cancelled, writes.sent, t)

    def writes(self, t: Transition) -> Writes:
        """The transition's items: the order, cart lines, stock, the balance, ledger entries. When several
        conditions fail at once, the first in this order names the refusal: a changed cart before
        missing stock, before missing points."""
        writes = Writes(self._codecs)
        writes.order(t)
        changed_at = dt_out(t.order.updated_at)
        for line in t.cart:
            if line.restore:
                writes.restore_cart_line(t.user_id, line.product_id, line.quantity, changed_at)
            else:
                writes.take_cart_line(t.user_id, line.product_id, line.quantity)
        for move in t.stock:
            writes.stock(move.product_id, move.delta)
        points_move = t.points if t.points is not None and not t.points.is_empty else None
        if points_move is not None or t.open_delta:
            writes.balance(t.user_id, points_move, t.open_delta, t.max_open)
        for entry in t.ledger:
            writes.ledger(entry)
        return writes

    def _raise_for(self, cancelled: Cancelled, sent: list[_Item], t: Transition) -> None:
        failed = [(item, code) for item, code in zip(sent, cancelled.reasons, strict=False) if code != "None"]
        refused = [item for item, code in failed if code == "ConditionalCheckFailed"]
        if not refused:
            if failed and all(code == "TransactionConflict" for _, code in failed):
                raise _Contended()
            # Cancelled for the engine's own reasons (throttling, capacity, validation): nothing was
            # written and nothing was refused.
            raise store_unavailable(cancelled) from cancelled
        names = {line.product_id: line.name for line in t.order.lines}
        for item in refused:
            if item.kind == "cart":
                raise CartChanged("the cart changed while the order was being placed; review it and retry")
            if item.kind == "stock":
                raise OutOfStock(f"{names.get(item.key, item.key)} is out of stock", code=codes.OUT_OF_STOCK)
            if item.kind == "balance":
                raise self._balance_refusal(t)
        if t.expected_version is None and any(item.kind == "order" for item in refused):
            raise OrderStateConflict(f"order {t.order.merchant_uid} already exists")
        # The order's version/status moved on, or a ledger event of this transition already exists:
        # either way another request got there first. Callers re-read and re-decide.
        logger.info(
            "transition lost a race",
            extra={"merchant_uid": t.order.merchant_uid, "failed": [f"{i.kind}:{c}" for i, c in failed]},
        )
        raise StaleOrder(f"order {t.order.merchant_uid} changed meanwhile")

    def _balance_refusal(self, t: Transition) -> Exception:
        """Which of the balance item's conditions failed: the open-order limit or the points."""
        if t.max_open is not None:
            try:
                item = self._m.points.get(t.user_id, BALANCE_SK, consistent_read=True)
                open_now = int(item.open_orders or 0)
            except Exception:  # noqa: BLE001 - the refusal stands; only its explanation is missing
                open_now = 0
            if open_now >= t.max_open:
                return TooManyOpenOrders(
                    f"you already have {open_now} unpaid orders (at most {t.max_open}): "
                    "pay or cancel one first"
                )
        return InsufficientPoints("not enough points available")


class _Contended(Exception):
    pass
