"""`get_checkout()`: the facade, built once per Lambda container.

Imports are lazy: a function that never touches I'mport (catalog, cart, reads) does not import or
configure the gateway, and nothing here runs at import time, so a handler module stays cheap to load.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checkout.config import Settings
    from checkout.ports import PaymentGateway
    from checkout.services import Checkout
    from checkout.store import Store


def utc_now() -> datetime:
    return datetime.now(UTC)


class LazyGateway:
    """The I'mport adapter, created on first use (credentials may come from SSM: a network call)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._gateway: PaymentGateway | None = None
        self._lock = threading.Lock()

    def _get(self) -> PaymentGateway:
        if self._gateway is None:
            with self._lock:
                if self._gateway is None:
                    self._gateway = build_gateway(self._settings)
        return self._gateway

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._get(), name)


def build_gateway(settings: Settings) -> PaymentGateway:
    from checkout.gateway import IamportV1Gateway, credentials_provider

    key, secret = settings.iamport_api_key, settings.iamport_api_secret
    credentials = credentials_provider(
        api_key=key.get_secret_value() if key else None,
        api_secret=secret.get_secret_value() if secret else None,
        key_param=settings.iamport_api_key_param,
        secret_param=settings.iamport_api_secret_param,
    )
    return IamportV1Gateway(
        credentials, base_url=settings.iamport_base_url, on_unavailable=_count_unavailable
    )


def _count_unavailable(call: str) -> None:
    """I'mport could not be reached (or answered garbage) after the call's retries: the alarm's metric."""
    from checkout.observability import count

    count("IamportUnavailable")


def build_checkout(
    settings: Settings,
    *,
    store: Store | None = None,
    gateway: PaymentGateway | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Checkout:
    from checkout.observability import count
    from checkout.services import Checkout
    from checkout.services.audit import Auditor
    from checkout.services.catalog import CatalogService
    from checkout.services.idempotency import IdempotentRequests
    from checkout.services.ordering import OrderingPolicy, OrderingService
    from checkout.services.reads import ReadService
    from checkout.services.reconcile import Reconciler
    from checkout.services.refunds import RefundService
    from checkout.services.sweep import Sweeper

    if store is None:
        from checkout.store import build_store

        store = build_store(settings)
    pay: PaymentGateway = gateway if gateway is not None else LazyGateway(settings)
    policy = OrderingPolicy(
        pg=settings.iamport_pg,
        complete_url=settings.complete_url,
        notice_url=settings.notice_url,
        min_cash_amount=settings.min_cash_amount,
        max_open_orders=settings.max_open_orders,
        order_ttl=timedelta(minutes=settings.order_ttl_minutes),
        vbank_ttl=timedelta(hours=settings.vbank_ttl_hours),
    )
    reconciler = Reconciler(
        orders=store.orders,
        gateway=pay,
        earn_bp=settings.points_earn_bp,
        clock=clock,
        vbank_ttl=timedelta(hours=settings.vbank_ttl_hours),
    )
    refunds = RefundService(orders=store.orders, gateway=pay, reconciler=reconciler, clock=clock)
    return Checkout(
        catalog=CatalogService(store.catalog, store.carts, clock),
        ordering=OrderingService(
            policy=policy,
            catalog=store.catalog,
            carts=store.carts,
            orders=store.orders,
            gateway=pay,
            idempotency=IdempotentRequests(store.idempotency),
            clock=clock,
        ),
        reconciler=reconciler,
        refunds=refunds,
        reads=ReadService(orders=store.orders, points=store.points),
        sweeper=Sweeper(
            orders=store.orders, gateway=pay, reconciler=reconciler, refunds=refunds, clock=clock
        ),
        auditor=Auditor(orders=store.orders, gateway=pay, reconciler=reconciler, clock=clock, metric=count),
    )


@functools.lru_cache(maxsize=1)
def get_checkout() -> Checkout:
    """The container's facade (settings validated, store and gateway configured once)."""
    from checkout.config import load_settings

    return build_checkout(load_settings())
