"""The payment gateway: typed payments and errors, and the I'mport V1 adapter of the `PaymentGateway` port.

Importing this package is cheap (pydantic, requests): boto3 is imported only when credentials are first
read from SSM.
"""

from checkout.gateway.credentials import (
    Credentials,
    CredentialsProvider,
    MissingCredentials,
    SsmCredentials,
    credentials_from_env,
    credentials_provider,
)
from checkout.gateway.errors import (
    CancelRejected,
    IamportAuthError,
    IamportError,
    IamportMalformedResponse,
    IamportNotFound,
    IamportRejected,
    IamportUnavailable,
    PaymentNotFound,
)
from checkout.gateway.iamport_v1 import DEFAULT_BASE_URL, IamportV1Gateway
from checkout.gateway.models import CancelHistoryEntry, Payment, PaymentStatus, PreparedAmount
from checkout.gateway.retry import RetryPolicy, Timeouts

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
    "credentials_from_env",
    "credentials_provider",
]
