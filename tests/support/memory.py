"""In-memory implementations of the store's ports, for fast unit tests of the services' rules.

Each repository keeps plain dicts behind one lock, and `MemoryOrders.apply` checks every condition of a
`Transition` before it changes anything, so a refused transition changes nothing, as DynamoDB's
TransactWriteItems does. They are not a model of DynamoDB's concurrency: anything about races,
conditions under contention or idempotency across processes is tested on DynamoDB Local.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from checkout import error_codes as codes
from checkout.domain.order import Order, Product
from checkout.domain.points import LedgerEntry, PointsBalance
from checkout.domain.transitions import Transition
from checkout.errors import (
    BadRequest,
    CartChanged,
    InsufficientPoints,
    OrderStateConflict,
    OutOfStock,
    StaleOrder,
    TooManyOpenOrders,
)
from checkout.ports import IdempotencyRecord

IN_PROGRESS = "INPROGRESS"
COMPLETED = "COMPLETED"


@dataclass
class MemoryState:
    lock: threading.RLock = field(default_factory=threading.RLock)
    products: dict[str, Product] = field(default_factory=dict)
    carts: dict[tuple[str, str], int] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    balances: dict[str, PointsBalance] = field(default_factory=dict)
    open_orders: dict[str, int] = field(default_factory=dict)
    ledger: dict[tuple[str, str, str], LedgerEntry] = field(default_factory=dict)  # (user, key, event)
    grants: set[tuple[str, str]] = field(default_factory=set)
    idempotency: dict[str, IdempotencyRecord] = field(default_factory=dict)


class MemoryCatalog:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def list_products(self) -> list[Product]:
        with self._s.lock:
            return sorted(self._s.products.values(), key=lambda p: p.product_id)

    def get_product(self, product_id: str) -> Product | None:
        return self._s.products.get(product_id)

    def get_products(self, product_ids: Any) -> dict[str, Product]:
        with self._s.lock:
            return {pid: self._s.products[pid] for pid in product_ids if pid in self._s.products}

    def put_product(self, product: Product) -> None:
        with self._s.lock:
            self._s.products[product.product_id] = product


class MemoryCarts:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def list_items(self, user_id: str) -> list[tuple[str, int]]:
        with self._s.lock:
            return sorted((pid, q) for (uid, pid), q in self._s.carts.items() if uid == user_id)

    def put_item(self, user_id: str, product_id: str, quantity: int, now: datetime) -> None:
        with self._s.lock:
            self._s.carts[(user_id, product_id)] = quantity

    def delete_item(self, user_id: str, product_id: str) -> None:
        with self._s.lock:
            self._s.carts.pop((user_id, product_id), None)


class MemoryOrders:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def get(self, merchant_uid: str, *, consistent: bool = True) -> Order | None:
        return self._s.orders.get(merchant_uid)

    def apply(self, t: Transition) -> Order:
        s = self._s
        with s.lock:
            current = s.orders.get(t.order.merchant_uid)
            if t.expected_version is None:
                if current is not None:
                    raise OrderStateConflict(f"order {t.order.merchant_uid} already exists")
            elif (
                current is None
                or current.version != t.expected_version
                or current.status not in t.from_statuses
            ):
                raise StaleOrder(f"order {t.order.merchant_uid} changed meanwhile")
            for move in t.stock:
                product = s.products.get(move.product_id)
                if product is None or (move.delta < 0 and product.stock < -move.delta):
                    raise OutOfStock(f"{move.product_id} is out of stock")
            for line in t.cart:
                if not line.restore and s.carts.get((t.user_id, line.product_id)) != line.quantity:
                    raise CartChanged("the cart changed while the order was being placed")
            balance = s.balances.get(t.user_id, PointsBalance())
            move = t.points
            if (
                move is not None
                and move.require_available is not None
                and balance.available < move.require_available
            ):
                raise InsufficientPoints("not enough points available")
            opened = s.open_orders.get(t.user_id, 0)
            if t.open_delta > 0 and t.max_open is not None and opened >= t.max_open:
                raise TooManyOpenOrders(f"you already have {opened} unpaid orders (at most {t.max_open})")
            keys = [(e.user_id, e.merchant_uid, e.event) for e in t.ledger]
            if any(k in s.ledger for k in keys):
                raise StaleOrder(f"order {t.order.merchant_uid} changed meanwhile")
            # Every condition holds: write it all.
            s.orders[t.order.merchant_uid] = t.order
            for move_ in t.stock:
                product = s.products[move_.product_id]
                s.products[move_.product_id] = replace(product, stock=product.stock + move_.delta)
            for line in t.cart:
                key = (t.user_id, line.product_id)
                if line.restore:
                    s.carts[key] = s.carts.get(key, 0) + line.quantity
                else:
                    del s.carts[key]
            if move is not None:
                s.balances[t.user_id] = PointsBalance(
                    balance.available + move.available_delta, balance.held + move.held_delta
                )
            if t.open_delta:
                s.open_orders[t.user_id] = opened + t.open_delta
            for key, entry in zip(keys, t.ledger, strict=True):
                s.ledger[key] = entry
            return t.order

    def list_by_user(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        with self._s.lock:
            mine = sorted(
                (o for o in self._s.orders.values() if o.user_id == user_id),
                key=lambda o: (o.created_at, o.merchant_uid),
                reverse=True,
            )
        start = _offset(cursor)
        page = mine[start : start + limit]
        return page, str(start + limit) if start + limit < len(mine) else None

    def due_for_sweep(self, now: datetime, limit: int) -> list[str]:
        with self._s.lock:
            due = [(o.sweep_at(), o.merchant_uid) for o in self._s.orders.values()]
        return [m for at, m in sorted((at, m) for at, m in due if at is not None and at <= now)][:limit]


class MemoryPoints:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def balance(self, user_id: str) -> PointsBalance:
        return self._s.balances.get(user_id, PointsBalance())

    def ledger(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[LedgerEntry], str | None]:
        with self._s.lock:
            mine = sorted(
                (e for (uid, _, _), e in self._s.ledger.items() if uid == user_id),
                key=lambda e: (e.at, e.merchant_uid, e.event),
                reverse=True,
            )
        start = _offset(cursor)
        return mine[start : start + limit], str(start + limit) if start + limit < len(mine) else None

    def grant(self, user_id: str, points: int, grant_id: str, now: datetime) -> bool:
        from checkout.domain.points import LedgerKind

        with self._s.lock:
            if (user_id, grant_id) in self._s.grants:
                return False
            self._s.grants.add((user_id, grant_id))
            balance = self.balance(user_id)
            self._s.balances[user_id] = PointsBalance(balance.available + points, balance.held)
            entry = LedgerEntry(user_id, LedgerKind.GRANT, points, grant_id, now)
            self._s.ledger[(user_id, grant_id, entry.event)] = entry
            return True


class MemoryIdempotency:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def claim(
        self, key: str, body_hash: str, *, plan: dict[str, Any], now: float, in_progress_s: int, ttl_s: int
    ) -> IdempotencyRecord | None:
        with self._s.lock:
            held = self._s.idempotency.get(key)
            if held is not None and held.expiration >= int(now):
                return held
            self._s.idempotency[key] = IdempotencyRecord(
                key, IN_PROGRESS, body_hash, dict(plan), int(now) + ttl_s, int((now + in_progress_s) * 1000)
            )
            return None

    def take_over(
        self, held: IdempotencyRecord, plan: dict[str, Any], *, now: float, in_progress_s: int
    ) -> IdempotencyRecord | None:
        with self._s.lock:
            current = self._s.idempotency.get(held.key)
            if (
                current is None
                or current.status != IN_PROGRESS
                or current.in_progress_expiry_ms != held.in_progress_expiry_ms
                or current.in_progress_expiry_ms is None
                or current.in_progress_expiry_ms >= int(now * 1000)
                or current.body_hash != held.body_hash
            ):
                return None
            record = replace(
                current,
                result={**plan, **(current.result or {})},
                in_progress_expiry_ms=int((now + in_progress_s) * 1000),
            )
            self._s.idempotency[held.key] = record
            return record

    def complete(self, key: str, body_hash: str, result: dict[str, Any], *, now: float, ttl_s: int) -> None:
        with self._s.lock:
            self._s.idempotency[key] = IdempotencyRecord(
                key, COMPLETED, body_hash, result, int(now) + ttl_s, None
            )

    def release(self, key: str) -> None:
        with self._s.lock:
            held = self._s.idempotency.get(key)
            if held is not None and held.status == IN_PROGRESS:
                del self._s.idempotency[key]

    def abandon(self, key: str) -> None:
        with self._s.lock:
            held = self._s.idempotency.get(key)
            if held is not None and held.status == IN_PROGRESS:
                self._s.idempotency[key] = replace(held, in_progress_expiry_ms=0)

    def get(self, key: str) -> IdempotencyRecord | None:
        return self._s.idempotency.get(key)


@dataclass
class MemoryStore:
    """The same shape as `checkout.store.Store` (what `build_checkout(store=...)` takes)."""

    state: MemoryState = field(default_factory=MemoryState)

    def __post_init__(self) -> None:
        self.catalog = MemoryCatalog(self.state)
        self.carts = MemoryCarts(self.state)
        self.orders = MemoryOrders(self.state)
        self.points = MemoryPoints(self.state)
        self.idempotency = MemoryIdempotency(self.state)


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit():
        raise BadRequest("invalid cursor", code=codes.INVALID_CURSOR)
    return int(cursor)
