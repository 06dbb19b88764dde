"""What the checkout reads from the payment gateway: a payment, its cancels, a pre-registered amount.

Field names and meanings follow I'mport V1's `PaymentAnnotation` (docs/iamport-v1.md#payment-model). Parsing
rules:

- Unknown fields are ignored: I'mport adds fields and enum values without notice
(docs/iamport-v1.md#transport, backward compatibility).
- Money is `int` KRW. The API sends JSON numbers (`number` in the spec, because USD can be fractional);
  an integral number (`1000` or `1000.0`) becomes an int, a fractional one is refused rather than rounded:
  KRW has no minor unit, so `1000.5` can only be a payment the checkout never asked for.
- Timestamps are unix seconds. I'mport writes `0` for "not happened" (`paid_at` of an unpaid payment);
  here that is `None`, so `if payment.paid_at:` and comparisons never mistake 1970 for a real time.
- `status` stays a plain string (the enum may grow, e.g. PayPal's pending); compare with `PaymentStatus`.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


class PaymentStatus(StrEnum):
    READY = "ready"  # window opened or vbank issued, not paid
    PAID = "paid"  # also after a partial cancel (until cancel_amount == amount)
    FAILED = "failed"
    CANCELLED = "cancelled"


def _integral_krw(value: Any) -> Any:
    if isinstance(value, bool):  # pydantic's lax int would read true as 1
        raise ValueError("a KRW amount is a number, not a boolean")
    if value is None:
        return value  # let pydantic reject it with its usual message
    if isinstance(value, int):
        return value
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        return value
    if exact != exact.to_integral_value():
        raise ValueError(f"non-integral KRW amount {value!r}: KRW has no minor unit")
    return int(exact)


def _unset_time(value: Any) -> Any:
    # I'mport's "never happened" is 0 (sometimes null, and "0" in form-style payloads).
    if value in (None, 0, "0", ""):
        return None
    return value


def _nullable_list(value: Any) -> Any:
    return [] if value is None else value


def _json_text(value: Any) -> Any:
    # Documented as a JSON string; tolerate an object (what the browser SDK sends) by re-encoding it.
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


Krw = Annotated[int, BeforeValidator(_integral_krw)]
UnixTime = Annotated[int | None, BeforeValidator(_unset_time)]


class _GatewayModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CancelHistoryEntry(_GatewayModel):
    """One full or partial cancel (`PaymentCancelAnnotation`)."""

    pg_tid: str | None = None
    amount: Krw
    cancelled_at: UnixTime = None
    reason: str | None = None
    cancellation_id: str | None = None  # the same id arrives in cancel webhooks
    receipt_url: str | None = None


class Payment(_GatewayModel):
    """A payment as I'mport reports it. Read it from the API, never from the browser or a webhook body."""

    imp_uid: str
    merchant_uid: str
    amount: Krw
    cancel_amount: Krw = 0
    currency: str | None
    status: str

    pay_method: str | None = None
    pg_provider: str | None = None
    emb_pg_provider: str | None = None
    pg_tid: str | None = None
    channel: str | None = None
    name: str | None = None

    started_at: UnixTime = None
    paid_at: UnixTime = None
    failed_at: UnixTime = None
    cancelled_at: UnixTime = None
    fail_reason: str | None = None
    cancel_reason: str | None = None
    receipt_url: str | None = None

    vbank_code: str | None = None
    vbank_name: str | None = None
    vbank_num: str | None = None
    vbank_holder: str | None = None
    vbank_date: UnixTime = None  # the deposit due date
    vbank_issued_at: UnixTime = None

    # Buyer data is personal data: kept out of repr so a logged Payment does not spread it.
    buyer_name: str | None = Field(default=None, repr=False)
    buyer_email: str | None = Field(default=None, repr=False)
    buyer_tel: str | None = Field(default=None, repr=False)
    buyer_addr: str | None = Field(default=None, repr=False)
    buyer_postcode: str | None = Field(default=None, repr=False)
    custom_data: Annotated[str | None, BeforeValidator(_json_text)] = Field(default=None, repr=False)

    cancel_history: Annotated[list[CancelHistoryEntry], BeforeValidator(_nullable_list)] = Field(
        default_factory=list
    )

    @property
    def cancellable_amount(self) -> int:
        """What can still be refunded; also the `checksum` the next cancel must send."""
        return self.amount - self.cancel_amount

    @property
    def is_paid(self) -> bool:
        return self.status == PaymentStatus.PAID

    @property
    def is_vbank(self) -> bool:
        return self.pay_method == "vbank"


class PreparedAmount(_GatewayModel):
    """The amount registered for a merchant_uid (`PaymentPrepareAnnotation`); the window refuses any other."""

    merchant_uid: str
    amount: Krw
    currency: str | None = None


class PaymentPage(_GatewayModel):
    """One page of payments listed by status and time (`PagedPaymentAnnotation`).

    `previous`/`next` are page numbers, 0 when there is no such page (docs bundle:
    `schema/v1.openapi.json`, definition `PagedPaymentAnnotation`).
    """

    total: int = 0
    previous: int = 0
    next: int = 0
    payments: Annotated[list[Payment], BeforeValidator(_nullable_list)] = Field(
        default_factory=list, alias="list"
    )

    @property
    def next_page(self) -> int | None:
        return self.next or None
