"""The ports the services depend on. Adapters (checkout.store, checkout.gateway) implement them;
services import only these Protocols and the value types they name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from checkout.gateway.models import Payment


# -- payment gateway -------------------------------------------------------------------------------


@runtime_checkable
class PaymentGateway(Protocol):
    """What the checkout asks of a payment provider (implemented by `checkout.gateway.IamportV1Gateway`).

    Deliberately narrow: no tokens, no envelopes, no provider routes, so another provider (PortOne V2)
    can be added as another adapter without touching the services. Failures are typed:
    `checkout.gateway.errors.PaymentNotFound`, `CancelRejected` (`.code`, `.message`, `.ambiguous`) and
    `checkout.errors.GatewayUnavailable` (transient: nothing was decided, retry later).
    """

    def get_payment(self, imp_uid: str) -> Payment:
        """The payment as the provider reports it. Raises PaymentNotFound."""
        ...

    def find_payment(self, merchant_uid: str, status: str | None = None) -> Payment | None:
        """The latest payment attempt for an order (optionally only in `status`), or None."""
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
