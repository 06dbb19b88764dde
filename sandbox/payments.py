"""The Payment record and its wire form: every field of the official `PaymentAnnotation`.

On the wire (docs/iamport-v1.md#payment-model): amounts are JSON numbers, times are integer unix seconds with
0 for "not yet", `custom_data` is a JSON string, and every optional field is present, null when
unknown.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal, InvalidOperation

STATUSES = ("ready", "paid", "failed", "cancelled")

# KFTC bank codes the sandbox can issue virtual accounts for (docs/iamport-v1.md#bank-codes:
# code-info/pg-1.md).
BANKS = {
    "002": "KDB산업은행",
    "003": "IBK기업은행",
    "004": "KB국민은행",
    "011": "NH농협은행",
    "020": "우리은행",
    "023": "SC제일은행",
    "027": "한국씨티은행",
    "031": "대구은행",
    "032": "부산은행",
    "039": "경남은행",
    "045": "새마을금고",
    "048": "신협",
    "071": "우체국",
    "081": "하나은행",
    "088": "신한은행",
    "089": "케이뱅크",
    "090": "카카오뱅크",
    "092": "토스뱅크",
}

Number = int | float


def to_number(value: object) -> Number:
    """A JSON/form amount as a number: int when whole (KRW), float otherwise (e.g. USD cents).

    Raises ValueError for anything that is not a finite number (booleans included).
    """
    if isinstance(value, bool) or value is None:
        raise ValueError("not a number")
    try:
        dec = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError("not a number") from exc
    if not dec.is_finite():
        raise ValueError("not a number")
    return int(dec) if dec == dec.to_integral_value() else float(dec)


def subtract(a: Number, b: Number) -> Number:
    """Money subtraction without binary float drift (10.1 - 0.1 is 10.0, not 9.99...)."""
    return to_number(Decimal(str(a)) - Decimal(str(b)))


def new_imp_uid() -> str:
    return "imp_" + "".join(secrets.choice("0123456789") for _ in range(12))


@dataclass
class Payment:
    imp_uid: str
    merchant_uid: str
    merchant_code: str  # which account owns it (not on the wire)
    amount: Number
    currency: str = "KRW"
    status: str = "ready"
    pay_method: str | None = "card"
    channel: str | None = "pc"
    pg_provider: str | None = "html5_inicis"
    emb_pg_provider: str | None = None
    pg_tid: str | None = None
    pg_id: str | None = "INIpayTest"
    escrow: bool | None = False
    apply_num: str | None = None
    bank_code: str | None = None
    bank_name: str | None = None
    card_code: str | None = None
    card_name: str | None = None
    card_issuer_code: str | None = None
    card_issuer_name: str | None = None
    card_publisher_code: str | None = None
    card_publisher_name: str | None = None
    card_quota: int | None = None
    card_number: str | None = None
    card_type: int | None = None
    vbank_code: str | None = None
    vbank_name: str | None = None
    vbank_num: str | None = None
    vbank_holder: str | None = None
    vbank_date: int = 0  # integers, 0 when unset, like the live API on card payments
    vbank_issued_at: int = 0
    name: str | None = None
    cancel_amount: Number = 0
    buyer_name: str | None = None
    buyer_email: str | None = None
    buyer_tel: str | None = None
    buyer_addr: str | None = None
    buyer_postcode: str | None = None
    custom_data: str | None = None
    user_agent: str | None = None
    started_at: int = 0
    paid_at: int = 0
    failed_at: int = 0
    cancelled_at: int = 0
    fail_reason: str | None = None
    cancel_reason: str | None = None
    receipt_url: str | None = None
    cancel_history: list[dict] = field(default_factory=list)
    cancel_receipt_urls: list[str] = field(default_factory=list)
    cash_receipt_issued: bool | None = False
    customer_uid: str | None = None
    customer_uid_usage: str | None = None
    promotion: dict | None = None
    # Not on the wire: sort keys, the webhook target chosen at checkout, and window parameters.
    updated_at: int = 0
    seq: int = 0
    notice_url: str | None = None
    window: dict = field(default_factory=dict)

    @property
    def remaining(self) -> Number:
        return subtract(self.amount, self.cancel_amount)

    def to_api(self) -> dict:
        data = asdict(self)
        for internal in INTERNAL_FIELDS:
            data.pop(internal)
        return data


INTERNAL_FIELDS = ("merchant_code", "updated_at", "seq", "notice_url", "window")
API_FIELDS = tuple(f.name for f in fields(Payment) if f.name not in INTERNAL_FIELDS)


def custom_data_text(value: object) -> str | None:
    """The browser sends an object; the API stores and returns it as JSON text
    (docs/iamport-v1.md#custom-data)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def payment_from_snapshot(raw: dict) -> Payment:
    return Payment(**raw)
