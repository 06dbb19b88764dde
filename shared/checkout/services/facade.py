"""`Checkout`: the one object the Lambda handlers talk to (docs/architecture.md, "The service facade").

Each method is one use case; the work lives in the service modules next to this one. The facade only
routes, so the handlers depend on these names and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from checkout.domain.order import Cart, Order, Product
from checkout.inputs import CreateOrderInput, RefundInput, WebhookInput
from checkout.services.results import (
    Actor,
    AuditReport,
    CreatedOrder,
    OrderPage,
    PointsSummary,
    SweepReport,
)

if TYPE_CHECKING:
    from checkout.services.audit import Auditor
    from checkout.services.catalog import CatalogService
    from checkout.services.ordering import OrderingService
    from checkout.services.reads import ReadService
    from checkout.services.reconcile import Reconciler
    from checkout.services.refunds import RefundService
    from checkout.services.sweep import Sweeper


class Checkout:
    def __init__(
        self,
        *,
        catalog: CatalogService,
        ordering: OrderingService,
        reconciler: Reconciler,
        refunds: RefundService,
        reads: ReadService,
        sweeper: Sweeper,
        auditor: Auditor | None = None,
    ) -> None:
        self._catalog = catalog
        self._ordering = ordering
        self._reconciler = reconciler
        self._refunds = refunds
        self._reads = reads
        self._sweeper = sweeper
        self._auditor = auditor

    # catalog and cart
    def list_products(self) -> list[Product]:
        return self._catalog.list_products()

    def get_cart(self, user_id: str) -> Cart:
        return self._catalog.get_cart(user_id)

    def put_cart_item(self, user_id: str, product_id: str, quantity: int) -> Cart:
        return self._catalog.put_cart_item(user_id, product_id, quantity)

    def delete_cart_item(self, user_id: str, product_id: str) -> Cart:
        return self._catalog.delete_cart_item(user_id, product_id)

    # ordering and payment
    def create_order(self, user_id: str, req: CreateOrderInput, idempotency_key: str | None) -> CreatedOrder:
        return self._ordering.create_order(user_id, req, idempotency_key)

    def complete_payment(self, imp_uid: str | None, merchant_uid: str, actor: Actor | None = None) -> Order:
        """A payment reported by the browser: `actor` is the signed-in buyer (the page's completion), None
        for the mobile redirect (no token; it may only move the order forward)."""
        return self._reconciler.reconcile(merchant_uid, imp_uid, owner=actor)

    def cancel_order(self, actor: Actor, merchant_uid: str) -> Order:
        return self._reconciler.cancel_open(actor, merchant_uid)

    def handle_webhook(self, note: WebhookInput) -> Order | None:
        return self._reconciler.handle_webhook(note)

    def refund(self, actor: Actor, merchant_uid: str, req: RefundInput, idempotency_key: str | None) -> Order:
        return self._refunds.refund(actor, merchant_uid, req, idempotency_key)

    # reads
    def list_orders(self, user_id: str, limit: int, cursor: str | None) -> OrderPage:
        return self._reads.list_orders(user_id, limit, cursor)

    def get_order(self, user_id: str, merchant_uid: str, *, as_admin: bool = False) -> Order:
        return self._reads.get_order(user_id, merchant_uid, as_admin=as_admin)

    def get_points(self, user_id: str, limit: int, cursor: str | None) -> PointsSummary:
        return self._reads.get_points(user_id, limit, cursor)

    # scheduled
    def sweep(
        self, now: datetime | None = None, *, time_left_s: Callable[[], float] | None = None
    ) -> SweepReport:
        return self._sweeper.sweep(now, time_left_s=time_left_s)

    def audit(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        time_left_s: Callable[[], float] | None = None,
    ) -> AuditReport:
        if self._auditor is None:
            raise RuntimeError("this checkout was built without the settlement audit")
        return self._auditor.audit(since, until, time_left_s=time_left_s)
