"""The ports the services depend on. Adapters (checkout.store, checkout.gateway) implement them;
services import only these Protocols and the value types they name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

# The payment port's value types and the failures it may raise: the services import them from here.
from checkout.gateway.models import Payment, PaymentStatus
from checkout.payment_errors import (
    CancelRejected,
    IamportError,
    IamportRejected,
    IamportUnavailable,
    PaymentNotFound,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

__all__ = [
    "CancelRejected",
    "IamportError",
    "IamportRejected",
    "IamportUnavailable",
    "Payment",
    "PaymentNotFound",
    "PaymentStatus",
]


# -- payment gateway -------------------------------------------------------------------------------


@runtime_checkable
class PaymentGateway(Protocol):
    """What the checkout asks of a payment provider (implemented by `checkout.gateway.IamportV1Gateway`).

    Deliberately narrow: no tokens, no envelopes, no provider routes, so another provider (PortOne V2)
    can be added as another adapter without touching the services. Failures are typed:
    `PaymentNotFound`, `CancelRejected` (`.code`, `.message`, `.ambiguous`) and
    `checkout.errors.GatewayUnavailable` (transient: nothing was decided, retry later).
    """

    def get_payment(self, imp_uid: str) -> Payment:
        """The payment as the provider reports it. Raises PaymentNotFound."""
        ...

    def find_payment(self, merchant_uid: str, status: str | None = None) -> Payment | None:
        """The latest payment attempt for an order (optionally only in `status`), or None."""
        ...

    def get_payments(self, imp_uids: Sequence[str], merchant_uids: Sequence[str] = ()) -> list[Payment]:
        """The payments among `imp_uids` the provider knows, and the latest attempt of each order among
        `merchant_uids` (unknown ids are simply absent), asked in as few calls as the provider allows."""
        ...

    def list_payments(
        self, status: str, since: datetime, until: datetime, page: int = 1, limit: int = 100
    ) -> tuple[list[Payment], int | None]:
        """One page of the payments in `status` ("all", or a `PaymentStatus`) whose current status was
        reached within [since, until] (aware datetimes, at most 90 days apart); returns the payments and
        the next page number, None after the last page."""
        ...

    def prepare(self, merchant_uid: str, amount: int) -> None:
        """Register the only amount the payment window may charge for this order. Idempotent."""
        ...

    def cancel(
        self,
        *,
        imp_uid: str,
        amount: int,
        checksum: int | None,
        reason: str,
        refund_holder: str | None = None,
        refund_bank: str | None = None,
        refund_account: str | None = None,
    ) -> Payment:
        """Refund `amount` (> 0); `checksum` = the cancellable amount before it. Raises CancelRejected."""
        ...

    def void_vbank(self, imp_uid: str) -> Payment:
        """Close an unpaid virtual account so that no deposit can arrive."""
        ...


# -- repositories (implemented on DynamoDB by checkout.store) ----------------------------------------

from dataclasses import dataclass  # noqa: E402 - the repository ports follow the gateway's

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime
    from typing import Any

    from checkout.domain.order import Order, Product
    from checkout.domain.points import LedgerEntry, PointsBalance
    from checkout.domain.transitions import Transition


class CatalogRepository(Protocol):
    def list_products(self) -> list[Product]: ...

    def get_product(self, product_id: str) -> Product | None: ...

    def get_products(self, product_ids: Iterable[str]) -> dict[str, Product]:
        """The known ones among `product_ids` (unknown ids are simply absent)."""
        ...

    def put_product(self, product: Product) -> None: ...


class CartRepository(Protocol):
    def list_items(self, user_id: str) -> list[tuple[str, int]]:
        """(product_id, quantity) of the buyer's cart lines (consistent read)."""
        ...

    def put_item(self, user_id: str, product_id: str, quantity: int, now: datetime) -> None: ...

    def delete_item(self, user_id: str, product_id: str) -> None: ...


class OrderRepository(Protocol):
    def get(self, merchant_uid: str, *, consistent: bool = True) -> Order | None: ...

    def apply(self, transition: Transition) -> Order:
        """Write one transition atomically (order + side effects), conditioned on the expected version and
        from-states. Raises StaleOrder (lost race: re-read), OutOfStock, InsufficientPoints, CartChanged."""
        ...

    def list_by_user(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        """Newest first; the cursor is opaque (BadRequest when it is not this buyer's)."""
        ...

    def due_for_sweep(self, now: datetime, limit: int) -> list[str]:
        """merchant_uids of open orders past expiry and of refund intents due for resumption."""
        ...


class PointsRepository(Protocol):
    def balance(self, user_id: str) -> PointsBalance: ...

    def ledger(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[LedgerEntry], str | None]:
        """Newest first (entries of the same moment in a fixed order); the cursor is opaque (BadRequest
        when it is not this buyer's), the next one None at the end."""
        ...

    def grant(self, user_id: str, points: int, grant_id: str, now: datetime) -> bool:
        """Credit points once per grant_id; False when that grant was already given."""
        ...


@dataclass(frozen=True)
class IdempotencyRecord:
    key: str
    status: str  # INPROGRESS | COMPLETED
    body_hash: str
    result: dict[str, Any] | None  # COMPLETED: what to answer again; INPROGRESS: the attempt's plan
    expiration: int  # epoch seconds (table TTL)
    in_progress_expiry_ms: int | None


class IdempotencyRepository(Protocol):
    def claim(
        self, key: str, body_hash: str, *, plan: dict[str, Any], now: float, in_progress_s: int, ttl_s: int
    ) -> IdempotencyRecord | None:
        """One conditional write. None: this request now holds the key, its record keeping `plan`; else
        the record holding it (a dead attempt's record included: see `take_over`)."""
        ...

    def take_over(
        self, held: IdempotencyRecord, plan: dict[str, Any], *, now: float, in_progress_s: int
    ) -> IdempotencyRecord | None:
        """Hold the key of an attempt in progress past its expiry, keeping its plan (`plan` only when it
        had none). The record now held, or None when another request took it over first."""
        ...

    def complete(
        self, key: str, body_hash: str, result: dict[str, Any], *, now: float, ttl_s: int
    ) -> None: ...

    def release(self, key: str) -> None:
        """Forget a failed attempt: the key is free again."""
        ...

    def abandon(self, key: str) -> None:
        """Keep the record and its plan but let the next request take it over at once (the attempt's
        outcome is unknown)."""
        ...

    def get(self, key: str) -> IdempotencyRecord | None: ...
