"""The named errors of the checkout. The API layer maps each to an HTTP status; nothing else does.

Every error carries a stable machine `code` and a human `message` (safe to show the buyer: never a
secret, a card number or an upstream stack trace).
"""

from __future__ import annotations

from checkout import error_codes as codes


class CheckoutError(Exception):
    status = 400
    code = codes.BAD_REQUEST

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BadRequest(CheckoutError):
    status = 400
    code = codes.BAD_REQUEST


class PayloadTooLarge(CheckoutError):
    """The request body is larger than any request of the API can be."""

    status = 413
    code = codes.BODY_TOO_LARGE


class ValidationFailed(CheckoutError):
    status = 422
    code = codes.VALIDATION_FAILED


class Unauthorized(CheckoutError):
    status = 401
    code = codes.UNAUTHORIZED


class Forbidden(CheckoutError):
    status = 403
    code = codes.FORBIDDEN


class NotFound(CheckoutError):
    status = 404
    code = codes.NOT_FOUND


class OrderNotFound(NotFound):
    code = codes.ORDER_NOT_FOUND


class ProductNotFound(NotFound):
    code = codes.PRODUCT_NOT_FOUND


class Conflict(CheckoutError):
    status = 409
    code = codes.CONFLICT


class OrderStateConflict(Conflict):
    code = codes.ORDER_STATE_CONFLICT


class OutOfStock(Conflict):
    code = codes.OUT_OF_STOCK


class InsufficientPoints(Conflict):
    code = codes.INSUFFICIENT_POINTS


class TooManyOpenOrders(Conflict):
    """The buyer already has as many unpaid orders as one account may hold (stock held for each)."""

    code = codes.TOO_MANY_OPEN_ORDERS


class RefundExceedsRemaining(Conflict):
    code = codes.REFUND_EXCEEDS_REMAINING


class RequestInProgress(Conflict):
    """A request with the same Idempotency-Key (or the same payment) is being processed right now."""

    code = codes.REQUEST_IN_PROGRESS

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
    code = codes.PAYMENT_GATEWAY_UNAVAILABLE


class StaleOrder(OrderStateConflict):
    """The order changed between reading and writing it (version or status moved on): re-read, re-decide."""

    code = codes.ORDER_CHANGED


class CartChanged(Conflict):
    """The cart changed while the order was being created from it."""

    code = codes.CART_CHANGED


class StoreUnavailable(CheckoutError):
    """The database refused or failed transiently (throttling, timeouts): nothing was written, retry later."""

    status = 503
    code = codes.STORE_UNAVAILABLE


class RefundRejected(Conflict):
    """I'mport refused the refund (e.g. the PG forbids a partial cancel for this payment method)."""

    code = codes.REFUND_REJECTED
