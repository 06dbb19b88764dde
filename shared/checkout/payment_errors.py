"""Typed failures of the payment gateway: part of the `PaymentGateway` port (checkout.ports re-exports
them for the services), raised by the adapter (checkout.gateway).

I'mport V1 fails on two layers (docs/iamport-v1.md#failures): the HTTP status (401 token, 404 lookup
miss, 5xx) and, inside an HTTP 200, the envelope's `code != 0` (a business refusal such as a stale
cancel checksum). Every error keeps both: `http_status`, the envelope `code` and `message` (the
official client drops the body of non-200 answers; we never do).

`IamportUnavailable` is also the checkout's `GatewayUnavailable` (HTTP 502 at our API): a transient
failure the caller may retry later. Its public `code`/`message` are therefore the checkout's own (safe to
show a buyer); the upstream envelope stays available as `iamport_code`/`iamport_message` for logs.
"""

from __future__ import annotations

from typing import Any

from checkout.errors import GatewayUnavailable


class IamportError(Exception):
    """Base of every failure reported by (or on the way to) the I'mport REST API."""

    # The envelope code (an int) here; the checkout's public code (a str) on IamportUnavailable.
    code: Any

    def __init__(
        self, message: str | None, *, http_status: int | None = None, code: int | None = None
    ) -> None:
        # In IamportUnavailable the next class in the MRO is CheckoutError: it gets the log text too.
        super().__init__(f"{message or type(self).__name__} (http_status={http_status}, code={code})")
        self.http_status = http_status
        self.iamport_code = code
        self.iamport_message = message
        self.code = code
        self.message: str = message or ""


class IamportAuthError(IamportError):
    """HTTP 401: bad API credentials, or a token refused even after one refresh."""


class IamportNotFound(IamportError):
    """HTTP 404 on a lookup."""


class PaymentNotFound(IamportNotFound):
    """No payment with that imp_uid (or merchant_uid) exists at I'mport."""


class IamportRejected(IamportError):
    """I'mport understood the request and refused it: HTTP 200 with `code != 0`, or another 4xx."""


class CancelRejected(IamportRejected):
    """A cancel (refund) was refused: stale checksum, amount above the balance, already cancelled...

    `ambiguous` is True when an earlier attempt of the same call may have reached I'mport before it was
    retried (timeout or 5xx). A checksum-guarded retry of a cancel that did go through is refused as stale,
    so the refund may in fact have happened: re-read the payment's `cancel_history` before concluding.
    """

    def __init__(
        self,
        message: str | None,
        *,
        http_status: int | None = None,
        code: int | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message, http_status=http_status, code=code)
        self.ambiguous = ambiguous


class IamportUnavailable(IamportError, GatewayUnavailable):
    """I'mport could not be reached or failed transiently: connection error, timeout, 5xx, unreadable body."""

    def __init__(
        self, message: str | None, *, http_status: int | None = None, code: int | None = None
    ) -> None:
        IamportError.__init__(self, message, http_status=http_status, code=code)
        # The public face is the checkout's 502: the upstream text is for logs, not for buyers.
        self.code = GatewayUnavailable.code
        self.message = "the payment gateway is unavailable; retry shortly"


class IamportMalformedResponse(IamportUnavailable):
    """The answer was not the documented envelope, or its payload broke the model (a fractional KRW amount).

    Treated as unavailable rather than guessed at: the checkout never moves money on data it cannot read.
    Never retried automatically (the same request gets the same answer).
    """
