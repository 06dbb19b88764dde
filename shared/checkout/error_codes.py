"""Every error code the API answers, in one place: `{"error": {"code", "message"}}`.

A code is a stable string a client may branch on; the message is for people and may change. Each code
has one HTTP status, says whether the same request may succeed if sent again (and when), and what the
client should do. docs/errors.md is generated from this module (`make errors-doc`; a contract test
fails when it drifts), and a test checks that every code the code base raises is listed here.

Standard library only: this module is imported on every cold start.
"""

from __future__ import annotations

from dataclasses import dataclass

# Requests
BAD_REQUEST = "bad_request"
MALFORMED_BODY = "malformed_body"
EMPTY_BODY = "empty_body"
NUMBER_OUT_OF_RANGE = "number_out_of_range"
BODY_TOO_LARGE = "body_too_large"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
VALIDATION_FAILED = "validation_failed"
INVALID_LIMIT = "invalid_limit"
INVALID_CURSOR = "invalid_cursor"
INVALID_QUANTITY = "invalid_quantity"
INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
ROUTE_NOT_FOUND = "route_not_found"
HTTP_ERROR = "http_error"
# Who may ask
UNAUTHORIZED = "unauthorized"
FORBIDDEN = "forbidden"
SOURCE_NOT_ALLOWED = "source_not_allowed"
# Orders and carts
NOT_FOUND = "not_found"
ORDER_NOT_FOUND = "order_not_found"
PRODUCT_NOT_FOUND = "product_not_found"
EMPTY_CART = "empty_cart"
TOO_MANY_LINES = "too_many_lines"
POINTS_EXCEED_TOTAL = "points_exceed_total"
CASH_AMOUNT_TOO_SMALL = "cash_amount_too_small"
CONFLICT = "conflict"
ORDER_STATE_CONFLICT = "order_state_conflict"
ORDER_CHANGED = "order_changed"
OUT_OF_STOCK = "out_of_stock"
INSUFFICIENT_POINTS = "insufficient_points"
TOO_MANY_OPEN_ORDERS = "too_many_open_orders"
CART_CHANGED = "cart_changed"
REQUEST_IN_PROGRESS = "request_in_progress"
# Payments and refunds
MISSING_MERCHANT_UID = "missing_merchant_uid"
MALFORMED_PAYMENT_REFERENCE = "malformed_payment_reference"
UNKNOWN_PAYMENT = "unknown_payment"
PAYMENT_ORDER_MISMATCH = "payment_order_mismatch"
UNKNOWN_ORDER_LINE = "unknown_order_line"
REFUND_ACCOUNT_REQUIRED = "refund_account_required"
REFUND_EXCEEDS_REMAINING = "refund_exceeds_remaining"
REFUND_REJECTED = "refund_rejected"
# Upstream and us
PAYMENT_GATEWAY_UNAVAILABLE = "payment_gateway_unavailable"
PAYMENT_GATEWAY_ERROR = "payment_gateway_error"
STORE_UNAVAILABLE = "store_unavailable"
INTERNAL_ERROR = "internal_error"

# How a client may repeat a request that got the code.
NEVER = "no"  # the same request gets the same answer: change it first
NOW = "yes, at once"  # a race was lost: the same request, again
AFTER = "yes, after Retry-After"  # the same request (same Idempotency-Key) once the header's seconds pass
LATER = "yes, later"  # upstream trouble: the same request (same Idempotency-Key) after a pause


@dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int  # 0: the status varies (see `action`)
    retry: str
    action: str


CATALOGUE: dict[str, ErrorCode] = {
    entry.code: entry
    for entry in (
        ErrorCode(BAD_REQUEST, 400, NEVER, "The request is not one the API understands; fix it."),
        ErrorCode(
            MALFORMED_BODY,
            400,
            NEVER,
            "The body is not a JSON object (or a webhook form) the API can read: not JSON, not UTF-8, "
            "nested more than 16 levels, NaN/Infinity, or a webhook form of more than 100 fields.",
        ),
        ErrorCode(EMPTY_BODY, 400, NEVER, "Send the JSON body the route needs."),
        ErrorCode(
            NUMBER_OUT_OF_RANGE,
            400,
            NEVER,
            "A number has more than 18 digits or is not finite: no amount, quantity or count is that large.",
        ),
        ErrorCode(BODY_TOO_LARGE, 413, NEVER, "The body is over 64 KiB: no request of the API is."),
        ErrorCode(UNSUPPORTED_MEDIA_TYPE, 415, NEVER, "Send the body as application/json."),
        ErrorCode(
            VALIDATION_FAILED,
            422,
            NEVER,
            "A field is missing or invalid: `error.details` names each field and what is wrong.",
        ),
        ErrorCode(INVALID_LIMIT, 400, NEVER, "`limit` must be a whole number within the route's page size."),
        ErrorCode(INVALID_CURSOR, 400, NEVER, "Pass back the `next_cursor` of the previous page unchanged."),
        ErrorCode(INVALID_QUANTITY, 400, NEVER, "A cart quantity is a whole number from 1 to 99."),
        ErrorCode(
            INVALID_IDEMPOTENCY_KEY,
            422,
            NEVER,
            "`Idempotency-Key`: 1 to 128 visible ASCII characters (a UUID).",
        ),
        ErrorCode(
            IDEMPOTENCY_KEY_REUSED,
            422,
            NEVER,
            "This Idempotency-Key was used for a different request: use a new key for a new request.",
        ),
        ErrorCode(ROUTE_NOT_FOUND, 404, NEVER, "No such endpoint (on AWS, API Gateway answers this itself)."),
        ErrorCode(HTTP_ERROR, 0, NEVER, "An HTTP error raised by the web framework; the status says which."),
        ErrorCode(UNAUTHORIZED, 401, NEVER, "Sign in again and send `Authorization: Bearer <token>`."),
        ErrorCode(FORBIDDEN, 403, NEVER, "The signed-in user may not do this (e.g. only admins may)."),
        ErrorCode(
            SOURCE_NOT_ALLOWED, 403, NEVER, "Webhook from an address not on WebhookAllowedIps: not I'mport's."
        ),
        ErrorCode(NOT_FOUND, 404, NEVER, "Nothing there."),
        ErrorCode(
            ORDER_NOT_FOUND,
            404,
            NEVER,
            "No such order for this user (someone else's order answers the same, on purpose).",
        ),
        ErrorCode(PRODUCT_NOT_FOUND, 404, NEVER, "The product is not sold: remove it from the cart."),
        ErrorCode(EMPTY_CART, 400, NEVER, "Put something in the cart before ordering."),
        ErrorCode(TOO_MANY_LINES, 400, NEVER, "An order holds at most 48 different products: split it."),
        ErrorCode(POINTS_EXCEED_TOTAL, 400, NEVER, "Use at most the order's total in points."),
        ErrorCode(
            CASH_AMOUNT_TOO_SMALL,
            400,
            NEVER,
            "The cash part is 0 or at least MIN_CASH_AMOUNT: the message says how many points to change.",
        ),
        ErrorCode(CONFLICT, 409, NEVER, "The request conflicts with the current state: reload it."),
        ErrorCode(
            ORDER_STATE_CONFLICT,
            409,
            NEVER,
            "The order's status does not allow this (e.g. cancelling a paid order): reload the order.",
        ),
        ErrorCode(ORDER_CHANGED, 409, NOW, "The order changed while this request ran: send it again."),
        ErrorCode(OUT_OF_STOCK, 409, NEVER, "Not enough stock: lower the quantity or remove the product."),
        ErrorCode(INSUFFICIENT_POINTS, 409, NEVER, "Not enough points available: use fewer."),
        ErrorCode(
            TOO_MANY_OPEN_ORDERS,
            409,
            NEVER,
            "The buyer already holds MAX_OPEN_ORDERS unpaid orders: pay or cancel one first.",
        ),
        ErrorCode(CART_CHANGED, 409, NOW, "The cart changed while ordering: review it, order again."),
        ErrorCode(
            REQUEST_IN_PROGRESS,
            409,
            AFTER,
            "The same request (same Idempotency-Key, or the same order) is still running: wait, then repeat.",
        ),
        ErrorCode(
            MISSING_MERCHANT_UID, 400, NEVER, "The payment redirect needs `merchant_uid` in its query."
        ),
        ErrorCode(
            MALFORMED_PAYMENT_REFERENCE,
            400,
            NEVER,
            "The payment redirect's `imp_uid` or `merchant_uid` is not one I'mport issues.",
        ),
        ErrorCode(UNKNOWN_PAYMENT, 400, NEVER, "I'mport has no payment with this `imp_uid`."),
        ErrorCode(PAYMENT_ORDER_MISMATCH, 400, NEVER, "The payment belongs to another order."),
        ErrorCode(UNKNOWN_ORDER_LINE, 400, NEVER, "A refund line names a product the order does not have."),
        ErrorCode(
            REFUND_ACCOUNT_REQUIRED,
            400,
            NEVER,
            "A paid virtual-account order is refunded to a bank account: send `refund_account`.",
        ),
        ErrorCode(
            REFUND_EXCEEDS_REMAINING, 409, NEVER, "More than what is left to refund: reload the order."
        ),
        ErrorCode(
            REFUND_REJECTED,
            409,
            NEVER,
            "I'mport refused the cancel (its balance differs, or the PG forbids it): reload the order, "
            "which now shows I'mport's record, before asking again.",
        ),
        ErrorCode(
            PAYMENT_GATEWAY_UNAVAILABLE,
            502,
            LATER,
            "I'mport could not be reached: nothing was charged or refunded by this request; repeat it later.",
        ),
        ErrorCode(
            PAYMENT_GATEWAY_ERROR,
            502,
            LATER,
            "I'mport refused a call the request needed (e.g. the API key): repeat later; tell the shop.",
        ),
        ErrorCode(
            STORE_UNAVAILABLE, 503, LATER, "The database was busy: nothing was written; repeat the request."
        ),
        ErrorCode(
            INTERNAL_ERROR,
            500,
            LATER,
            "A bug: repeat with the same Idempotency-Key (nothing applies twice); tell the shop if it stays.",
        ),
    )
}


def describe(code: str) -> ErrorCode:
    """The catalogue's entry of `code` (KeyError for a code that is not in it)."""
    return CATALOGUE[code]
