"""Cancel and refund rules of `POST /payments/cancel` and the console cancel (docs/iamport-v1.md#cancel).

Every check runs before anything changes, so a refused cancel leaves the payment untouched.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sandbox.payments import Number, Payment, subtract, to_number
from sandbox.state import Sandbox

VBANK_REFUND_FIELDS = ("refund_holder", "refund_bank", "refund_account")


class CancelRefused(Exception):
    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


@dataclass
class Cancelled:
    payment: Payment
    cancellation_id: str
    amount: Number


def resolve_target(sb: Sandbox, merchant_code: str, imp_uid: object, merchant_uid: object) -> Payment:
    """imp_uid wins; an unknown imp_uid fails even when merchant_uid would match
    (docs/iamport-v1.md#cancel)."""
    payment: Payment | None = None
    if imp_uid:
        payment = sb.store.get(merchant_code, str(imp_uid))
    elif merchant_uid:
        attempts = sb.store.by_merchant_uid(merchant_code, str(merchant_uid))
        # Several attempts can share a merchant_uid: the one that took money is the one to refund.
        paid = [p for p in attempts if p.status == "paid"]
        if paid or attempts:
            payment = (paid or attempts)[0]
    else:
        raise CancelRefused(1, sb.messages.text("cancel_target_missing"))
    if payment is None:
        raise CancelRefused(1, sb.messages.text("cancel_not_found"))
    return payment


def cancel(sb: Sandbox, payment: Payment, body: dict, *, check_refund_account: bool = True) -> Cancelled:
    """Cancel `amount` (missing or 0: the rest) of a paid payment. Caller holds sb.lock."""
    msg = sb.messages
    if payment.status == "cancelled":
        raise CancelRefused(1, msg.text("cancel_already_cancelled"))
    if payment.status != "paid":
        key = (
            "cancel_unpaid_vbank"
            if payment.pay_method == "vbank" and payment.status == "ready"
            else "cancel_not_paid"
        )
        raise CancelRefused(1, msg.text(key))
    if (
        check_refund_account
        and payment.pay_method == "vbank"
        and any(not str(body.get(name) or "").strip() for name in VBANK_REFUND_FIELDS)
    ):
        raise CancelRefused(1, msg.text("cancel_vbank_refund_missing"))
    remaining = payment.remaining
    checksum = _optional_number(sb, body, "checksum")
    if checksum is not None and checksum != remaining:
        raise CancelRefused(1, msg.text("cancel_checksum_mismatch", checksum=checksum, remaining=remaining))
    amount = _optional_number(sb, body, "amount")
    if amount is not None and amount < 0:
        raise CancelRefused(1, msg.text("cancel_bad_amount"))
    if not amount:
        amount = remaining
    if amount > remaining:
        # A PG-side refusal (docs/iamport-v1.md#messages).
        raise CancelRefused(-1, msg.text("cancel_amount_exceeds"))
    for name in ("tax_free", "vat_amount"):
        _optional_number(sb, body, name)

    now = sb.clock.now()
    cancellation_id = secrets.token_urlsafe(16)
    receipt_url = sb.receipt_url(payment.imp_uid, cancellation_id)
    reason = str(body.get("reason") or "")
    payment.cancel_history.append(
        {
            "pg_tid": f"sandbox_cancel_{secrets.token_hex(8)}",
            "amount": amount,
            "cancelled_at": now,
            "reason": reason,
            "cancellation_id": cancellation_id,
            "receipt_url": receipt_url,
        }
    )
    payment.cancel_receipt_urls.append(receipt_url)
    payment.cancel_amount = to_number(subtract(payment.cancel_amount, -amount))
    payment.cancel_reason = reason
    payment.updated_at = now
    # A partial cancel keeps `paid` (observed, docs/iamport-v1.md#cancel); only the last won changes the
    # status.
    if payment.remaining == 0:
        payment.status = "cancelled"
        payment.cancelled_at = now
    sb.store.changed()
    return Cancelled(payment, cancellation_id, amount)


def _optional_number(sb: Sandbox, body: dict, name: str) -> Number | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    try:
        return to_number(value)
    except ValueError:
        raise CancelRefused(1, sb.messages.text("param_invalid", name=name)) from None
