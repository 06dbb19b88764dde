"""Apply a `Transition` as ONE TransactWriteItems, and turn a refusal into the domain error it means.

pynamodb sends a transaction's items grouped by kind (condition checks, deletes, puts, updates), not in
the order they were added, and DynamoDB reports cancellation reasons by position in what was *sent*.
So every item is registered with its identity in the same grouping, and a failed condition is traced
back to the item it belongs to (the order, a product's stock, a cart line, the points balance, a ledger
entry), never to a position.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from checkout import error_codes as codes
from checkout.domain.points import LedgerEntry
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
from checkout.store.models import BALANCE_SK, LEDGER_PREFIX, Models
from checkout.store.unavailable import store_unavailable

# pynamodb's TransactWrite._commit -> Connection.transact_write_items sends the groups in this order.
_GROUP_ORDER = ("check", "delete", "put", "update")
# A transaction can be cancelled only because another one touched the same item at the same moment
# (TransactionConflict): nothing was written, so the same fully-conditional transaction is retried.
_CONFLICT_RETRIES = 6


def transaction(connection: Connection) -> TransactWrite:
    """A TransactWriteItems that does not ask for its ConsumedCapacity: pynamodb asks for it on every call
    unless told, nothing here reads it, and the engine computes it per item (on DynamoDB Local about a
    millisecond of a completion's transaction). The benchmark asks for it where it measures capacity."""
    return TransactWrite(connection=connection, return_consumed_capacity="NONE")


@dataclass(frozen=True)
class _Item:
    kind: str  # order | stock | cart | balance | ledger
    key: str


def ledger_sk(entry: LedgerEntry) -> str:
    return f"{LEDGER_PREFIX}{entry.merchant_uid}#{entry.event}"


class TransitionWriter:
    def __init__(self, models: Models, connection: Connection) -> None:
        self._m = models
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
        sent: list[_Item] = []
        try:
            with transaction(self._connection) as tx:
                sent = self._register(tx, t)
        except TransactWriteError as exc:
            self._raise_for(exc, sent, t)

    def _register(self, tx: TransactWrite, t: Transition) -> list[_Item]:
        """Add the transition's items to `tx`; return their identities in the order they will be sent."""
        m = self._m
        groups: dict[str, list[_Item]] = {g: [] for g in _GROUP_ORDER}

        order = m.order(**order_attributes(t.order))
        if t.expected_version is None:
            tx.save(order, condition=m.order.merchant_uid.does_not_exist())
        else:
            condition = (m.order.version == t.expected_version) & m.order.status.is_in(
                *(s.value for s in t.from_statuses)
            )
            tx.save(order, condition=condition)
        groups["put"].append(_Item("order", t.order.merchant_uid))

        for move in t.stock:
            product = m.product(move.product_id)
            if move.delta < 0:
                tx.update(
                    product,
                    actions=[m.product.stock.add(move.delta)],
                    condition=m.product.stock >= -move.delta,
                )
            else:
                # No condition on a restore: stock must come back even if the product was edited since.
                tx.update(product, actions=[m.product.stock.add(move.delta)])
            groups["update"].append(_Item("stock", move.product_id))

        for line in t.cart:
            cart_line = m.cart(t.user_id, line.product_id)
            if line.restore:
                tx.update(
                    cart_line,
                    actions=[
                        m.cart.quantity.add(line.quantity),
                        m.cart.updated_at.set(dt_out(t.order.updated_at)),
                    ],
                )
                groups["update"].append(_Item("cart", line.product_id))
            else:
                tx.delete(cart_line, condition=m.cart.quantity == line.quantity)
                groups["delete"].append(_Item("cart", line.product_id))

        points_move = t.points if t.points is not None and not t.points.is_empty else None
        if points_move is not None or t.open_delta:
            # One update of the buyer's balance item: DynamoDB takes one action per item per transaction.
            balance = m.points(t.user_id, BALANCE_SK)
            actions = []
            conditions = []
            if points_move is not None:
                actions += [
                    m.points.available.add(points_move.available_delta),
                    m.points.held.add(points_move.held_delta),
                ]
                if points_move.require_available is not None:
                    conditions.append(m.points.available >= points_move.require_available)
            if t.open_delta:
                actions.append(m.points.open_orders.add(t.open_delta))
                if t.open_delta > 0 and t.max_open is not None:
                    conditions.append(
                        m.points.open_orders.does_not_exist() | (m.points.open_orders < t.max_open)
                    )
            if conditions:
                condition = conditions[0]
                for extra in conditions[1:]:
                    condition = condition & extra
                tx.update(balance, actions=actions, condition=condition)
            else:
                tx.update(balance, actions=actions)
            groups["update"].append(_Item("balance", t.user_id))

        for entry in t.ledger:
            sk = ledger_sk(entry)
            tx.save(
                m.points(
                    entry.user_id,
                    sk,
                    kind=entry.kind.value,
                    points=entry.points,
                    merchant_uid=entry.merchant_uid,
                    at=dt_out(entry.at),
                ),
                condition=m.points.sk.does_not_exist(),
            )
            groups["put"].append(_Item("ledger", sk))

        return [item for g in _GROUP_ORDER for item in groups[g]]

    def _raise_for(self, exc: TransactWriteError, sent: list[_Item], t: Transition) -> None:
        if exc.cause_response_code != "TransactionCanceledException":
            raise store_unavailable(exc) from exc
        reasons = exc.cancellation_reasons
        failed = [(item, reason.code) for item, reason in zip(sent, reasons, strict=False) if reason]
        if any(code == "TransactionConflict" for _, code in failed) and not any(
            code == "ConditionalCheckFailed" for _, code in failed
        ):
            raise _Contended()
        names = {line.product_id: line.name for line in t.order.lines}
        for item, code in failed:
            if code != "ConditionalCheckFailed":
                continue
            if item.kind == "stock":
                raise OutOfStock(f"{names.get(item.key, item.key)} is out of stock", code=codes.OUT_OF_STOCK)
            if item.kind == "balance":
                raise self._balance_refusal(t)
            if item.kind == "cart":
                raise CartChanged("the cart changed while the order was being placed; review it and retry")
        for item, code in failed:
            if code == "ConditionalCheckFailed" and item.kind == "order" and t.expected_version is None:
                raise OrderStateConflict(f"order {t.order.merchant_uid} already exists")
        if failed:
            # The order's version/status moved on, or a ledger event of this transition already exists:
            # either way another request got there first. Callers re-read and re-decide.
            logger.info(
                "transition lost a race",
                extra={"merchant_uid": t.order.merchant_uid, "failed": [f"{i.kind}:{c}" for i, c in failed]},
            )
            raise StaleOrder(f"order {t.order.merchant_uid} changed meanwhile")
        raise store_unavailable(exc) from exc

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
