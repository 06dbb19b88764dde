"""The payment gateway: typed payments and errors, and the I'mport V1 adapter of the `PaymentGateway` port.

The services import the typed errors from here, and the catalog, cart and read routes build those
services without ever calling I'mport: so the adapter, and `requests` behind it (over 100 ms of a cold
start), is imported only when first named. boto3 is imported only when credentials are first read
from SSM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from checkout.gateway.credentials import (
    Credentials,
    CredentialsProvider,
    MissingCredentials,
    SsmCredentials,
    credentials_provider,
)
from checkout.gateway.models import CancelHistoryEntry, Payment, PaymentStatus, PreparedAmount
from checkout.gateway.retry import RetryPolicy, Timeouts
from checkout.payment_errors import (
    CancelRejected,
    IamportAuthError,
    IamportError,
    IamportMalformedResponse,
    IamportNotFound,
    IamportRejected,
    IamportUnavailable,
    PaymentNotFound,
)

if TYPE_CHECKING:
    from checkout.gateway.iamport_v1 import DEFAULT_BASE_URL, IamportV1Gateway

_ADAPTER_NAMES = frozenset({"DEFAULT_BASE_URL", "IamportV1Gateway"})


def __getattr__(name: str) -> Any:
    if name in _ADAPTER_NAMES:
        from checkout.gateway import iamport_v1

        return getattr(iamport_v1, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_BASE_URL",
    "CancelHistoryEntry",
    "CancelRejected",
    "Credentials",
    "CredentialsProvider",
    "IamportAuthError",
    "IamportError",
    "IamportMalformedResponse",
    "IamportNotFound",
    "IamportRejected",
    "IamportUnavailable",
    "IamportV1Gateway",
    "MissingCredentials",
    "Payment",
    "PaymentNotFound",
    "PaymentStatus",
    "PreparedAmount",
    "RetryPolicy",
    "SsmCredentials",
    "Timeouts",
    "credentials_provider",
]
