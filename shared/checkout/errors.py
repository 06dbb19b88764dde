"""The named errors of the checkout. The API layer maps each to an HTTP status; nothing else does.

Every error carries a stable machine `code` and a human `message` (safe to show the buyer: never a
secret, a card number or an upstream stack trace).
"""

from __future__ import annotations


class CheckoutError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BadRequest(CheckoutError):
    status = 400
    code = "bad_request"


class PayloadTooLarge(CheckoutError):
    """The request body is larger than any request of the API can be."""

    status = 413
    code = "body_too_large"


class ValidationFailed(CheckoutError):
    status = 422
    code = "validation_failed"


class Unauthorized(CheckoutError):
    status = 401
    code = "unauthorized"


class Forbidden(CheckoutError):
    status = 403
    code = "forbidden"


class NotFound(CheckoutError):
    status = 404
    code = "not_found"


class OrderNotFound(NotFound):
    code = "order_not_found"


class ProductNotFound(NotFound):
    code = "product_not_found"


class Conflict(CheckoutError):
    status = 409
    code = "conflict"


class OrderStateConflict(Conflict):
    code = "order_state_conflict"


class OutOfStock(Conflict):
    code = "out_of_stock"


class InsufficientPoints(Conflict):
    code = "insufficient_points"


class TooManyOpenOrders(Conflict):
    """The buyer already has as many unpaid orders as one account may hold (stock held for each)."""

    code = "too_many_open_orders"


class RefundExceedsRemaining(Conflict):
    code = "refund_exceeds_remaining"


class RequestInProgress(Conflict):
    """A request with the same Idempotency-Key (or the same payment) is being processed right now."""

    code = "request_in_progress"

    def __init__(
        self,
        message: str = "the same request is still being processed; retry shortly",
        *,
        retry_after_s: int = 1,
    ) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class GatewayUnavailable(CheckoutError):
    """I'mport could not be reached or answered with a transient failure (timeout, 5xx)."""

    status = 502
    code = "payment_gateway_unavailable"


class StaleOrder(OrderStateConflict):
    """The order changed between reading and writing it (version or status moved on): re-read, re-decide."""

    code = "order_changed"


class CartChanged(Conflict):
    """The cart changed while the order was being created from it."""

    code = "cart_changed"


class StoreUnavailable(CheckoutError):
    """The database refused or failed transiently (throttling, timeouts): nothing was written, retry later."""

    status = 503
    code = "store_unavailable"


class RefundRejected(Conflict):
    """I'mport refused the refund (e.g. the PG forbids a partial cancel for this payment method)."""

    code = "refund_rejected"
