"""Every reply body of the API, as pydantic models: the handlers' return types.

Powertools validates each reply against its route's return type before it leaves (a reply that does not
match is a bug: the resolver logs it and answers 500 `internal_error`, see checkout.api.resolver) and
describes the same models in the OpenAPI document (tools/generate_openapi.py, docs/openapi.json).
`checkout.views` builds the bodies from the domain; a field added there and not here is refused
(`extra="forbid"`), so the document cannot drift from what the API sends.

Times are ISO-8601 UTC with a `Z`; money and points are whole integers (KRW). A field that is absent
when it has no value (an order's `vbank`, `failure_reason`, `paid_at`; a payment's `vbank_due`) stays
absent in the reply rather than `null`. Models are built on first use (`defer_build`), not at import:
a new execution environment's import stays light (docs/architecture.md#cold-start).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from checkout.domain.points import LedgerKind
from checkout.domain.status import OrderStatus
from checkout.inputs import PayMethod

Krw = Annotated[int, Field(description="KRW, whole won")]
Count = Annotated[int, Field(ge=0)]
Moment = Annotated[str, Field(json_schema_extra={"format": "date-time"}, description="ISO-8601 UTC with Z")]


def _absent_when_none() -> object:
    return Field(default=None, exclude_if=lambda value: value is None)


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ErrorDetail(Reply):
    field: str
    message: str


class ErrorInfo(Reply):
    code: str = Field(description="stable and machine-readable, e.g. out_of_stock (docs/errors.md)")
    message: str = Field(description="safe to show the buyer")
    details: list[ErrorDetail] | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="validation_failed only: one entry per invalid field",
    )


class ErrorBody(Reply):
    """Every refusal of the checkout's functions."""

    error: ErrorInfo


class Product(Reply):
    product_id: str
    name: str
    price: Krw
    stock: Count


class ProductList(Reply):
    products: list[Product]


class CartItem(Reply):
    product_id: str
    name: str
    price: Krw
    quantity: Count
    line_total: Krw


class Cart(Reply):
    items: list[CartItem]
    total: Krw


class OrderLine(Reply):
    product_id: str
    name: str
    price: Krw
    quantity: Count
    refunded_quantity: Count


class RefundLine(Reply):
    product_id: str
    quantity: Count


class Refund(Reply):
    id: str
    amount: Krw
    points: Count
    lines: list[RefundLine]
    at: Moment


class StrayPayment(Reply):
    """A payment for the order that does not count."""

    imp_uid: str
    reason: str = Field(description="duplicate, late_success or amount_mismatch")
    refunded: Krw
    unrefunded: Krw = Field(description="I'mport refused to refund it: the shop must return it by hand")
    at: Moment


class VirtualAccount(Reply):
    bank: str
    number: str
    holder: str | None
    due: Moment


class Order(Reply):
    merchant_uid: str
    status: OrderStatus
    total: Krw
    points_used: Count
    amount: Krw = Field(description="cash through I'mport: total - points_used")
    lines: list[OrderLine]
    imp_uid: str | None
    pay_method: PayMethod | Literal["points"] = Field(
        description="how the buyer pays at I'mport; `points` for an order paid entirely with points"
    )
    refunds: list[Refund]
    stray_payments: list[StrayPayment]
    points_earned: Count
    created_at: Moment
    expires_at: Moment
    vbank: VirtualAccount | SkipJsonSchema[None] = _absent_when_none()  # type: ignore[assignment]
    failure_reason: str | SkipJsonSchema[None] = _absent_when_none()  # type: ignore[assignment]
    paid_at: Moment | SkipJsonSchema[None] = _absent_when_none()  # type: ignore[assignment]


class OrderReply(Reply):
    order: Order


class OrderPage(Reply):
    orders: list[Order]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null at the end")


class PaymentRequest(Reply):
    """The parameters to pass to I'mport's IMP.request_pay as they are."""

    pg: str
    pay_method: str
    merchant_uid: str
    name: str
    amount: Krw
    buyer_email: str
    buyer_name: str
    buyer_tel: str
    buyer_addr: str
    buyer_postcode: str
    m_redirect_url: str
    notice_url: str
    vbank_due: str | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=lambda value: value is None,
        pattern=r"^[0-9]{14}$",
        description="YYYYMMDDhhmmss, KST",
    )


class CreatedOrder(Reply):
    order: Order
    payment: PaymentRequest


class LedgerEntry(Reply):
    kind: LedgerKind
    points: Count
    merchant_uid: str
    at: Moment


class Points(Reply):
    available: Count
    held: Count
    ledger: list[LedgerEntry] = Field(description="one page, newest first")
    next_cursor: str | None = Field(
        description="pass as `cursor` for the ledger's next page; null at the end"
    )


class WebhookApplied(Reply):
    """Understood and applied: I'mport must not resend."""

    status: Literal["ok"]
    merchant_uid: str
    order_status: OrderStatus


class WebhookIgnored(Reply):
    """Understood, and a resend could not change anything: I'mport must not resend."""

    status: Literal["ignored"]
    reason: str = Field(
        description="unknown_order, not_applicable (a payment of another order or one I'mport does not "
        "know), or the error code that makes a resend pointless"
    )


WebhookAck = WebhookApplied | WebhookIgnored
