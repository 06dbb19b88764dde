"""Request bodies the API validates and the services accept (pydantic v2).

Money and quantities are strict integers: a JSON `1000.0` or `"1000"` is refused rather than coerced,
because a silently rounded amount is a payments bug. Unknown fields are refused where a typo would
change the meaning of a request (a misspelt `points_to_use` must not become "use no points"); the
I'mport webhook body is the exception: I'mport may add fields at any time.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

# Limits follow I'mport's Payment model (docs/iamport-v1.md#payment-model): buyer_name 16, buyer_tel 16,
# buyer_email 64,
# buyer_addr 128, buyer_postcode 8; merchant_uid 40, imp_uid 32.
# A pattern rather than EmailStr: the layer stays free of the optional email-validator package, and I'mport
# only needs a plausible address for receipts.
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=64, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
Tel = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=16, pattern=r"^[0-9+\-() ]+$")
]
Addr = Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)]
Postcode = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=8, pattern=r"^[0-9A-Za-z\- ]*$")
]
MerchantUid = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[0-9A-Za-z_\-]+$")
]
ImpUid = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[0-9A-Za-z_\-]+$")
]
ProductId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_\-.]+$")
]
PayMethod = Literal["card", "vbank", "trans", "phone"]

# The most orders or ledger entries one page of GET /orders or GET /points holds (`limit`).
MAX_PAGE = 50

_STRICT = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


class BuyerInput(BaseModel):
    model_config = _STRICT

    name: Name
    email: Email
    tel: Tel
    addr: Addr | None = None
    postcode: Postcode | None = None


class CreateOrderInput(BaseModel):
    model_config = _STRICT

    buyer: BuyerInput
    points_to_use: int = Field(default=0, ge=0, le=1_000_000_000)
    pay_method: PayMethod = "card"
    shipping_notice: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None


class CartItemInput(BaseModel):
    model_config = _STRICT

    quantity: int = Field(ge=1, le=99)


class CompletePaymentInput(BaseModel):
    """What the browser (IMP.request_pay callback) or the m_redirect_url query reports.

    Only a pointer: the outcome is always re-read from I'mport. `imp_uid` may be missing when the
    window failed before a payment existed (docs/iamport-v1.md#callback-rsp).
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    imp_uid: ImpUid | None = None
    merchant_uid: MerchantUid

    @field_validator("imp_uid", mode="before")
    @classmethod
    def _blank_is_missing(cls, value: object) -> object:
        return None if value in ("", "null", "undefined") else value


class WebhookInput(BaseModel):
    """I'mport's notification body (docs/iamport-v1.md#webhooks). `status` is logged, never trusted."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    imp_uid: ImpUid
    merchant_uid: MerchantUid
    status: Annotated[str, StringConstraints(max_length=32)]
    cancellation_id: Annotated[str, StringConstraints(max_length=128)] | None = None


class RefundLineInput(BaseModel):
    model_config = _STRICT

    product_id: ProductId
    quantity: int = Field(ge=1, le=99)


class RefundAccountInput(BaseModel):
    """Where a paid virtual-account order's cash goes back (I'mport needs it, docs/iamport-v1.md#cancel)."""

    model_config = _STRICT

    holder: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
    bank: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=8, pattern=r"^[0-9A-Z]+$")
    ]
    number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=6, max_length=32, pattern=r"^[0-9\-]+$")
    ]


class RefundInput(BaseModel):
    model_config = _STRICT

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
    lines: list[RefundLineInput] | None = Field(default=None, min_length=1, max_length=100)
    refund_account: RefundAccountInput | None = None

    @field_validator("lines")
    @classmethod
    def _one_entry_per_product(cls, lines: list[RefundLineInput] | None) -> list[RefundLineInput] | None:
        if lines is not None:
            seen = [line.product_id for line in lines]
            if len(seen) != len(set(seen)):
                raise ValueError("each product may appear only once in lines")
        return lines
