"""Payments and pre-registrations of every account, with the lookups the REST API needs.

Not thread-safe on its own: the sandbox holds one lock around every request that touches it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from sandbox.payments import Number, Payment, new_imp_uid, payment_from_snapshot

SORTINGS = {"-started", "started", "-paid", "paid", "-updated", "updated"}
_SORT_FIELD = {"started": "started_at", "paid": "paid_at", "updated": "updated_at"}


@dataclass
class Prepared:
    merchant_uid: str
    amount: Number
    currency: str | None

    def to_api(self) -> dict:
        return {"merchant_uid": self.merchant_uid, "amount": self.amount, "currency": self.currency}


class PaymentStore:
    def __init__(self) -> None:
        self.payments: dict[str, Payment] = {}
        self.prepared: dict[tuple[str, str], Prepared] = {}
        self._seq = 0
        self.on_change: Callable[[], None] = lambda: None

    # -- payments --------------------------------------------------------------------------

    def add(self, payment: Payment) -> Payment:
        while payment.imp_uid in self.payments:
            payment.imp_uid = new_imp_uid()
        self._seq += 1
        payment.seq = self._seq
        self.payments[payment.imp_uid] = payment
        self.changed()
        return payment

    def changed(self) -> None:
        self.on_change()

    def get(self, merchant_code: str, imp_uid: str) -> Payment | None:
        payment = self.payments.get(imp_uid)
        return payment if payment is not None and payment.merchant_code == merchant_code else None

    def by_merchant_uid(
        self, merchant_code: str, merchant_uid: str, status: str | None = None, sorting: str = "-started"
    ) -> list[Payment]:
        found = [
            p
            for p in self.payments.values()
            if p.merchant_code == merchant_code
            and p.merchant_uid == merchant_uid
            and (status is None or p.status == status)
        ]
        return sort_payments(found, sorting)

    def of_account(self, merchant_code: str) -> list[Payment]:
        return [p for p in self.payments.values() if p.merchant_code == merchant_code]

    def already_paid(self, merchant_code: str, merchant_uid: str) -> bool:
        """A merchant_uid that has taken money once may not be charged again
        (docs/iamport-v1.md#request-pay)."""
        return any(p.paid_at > 0 for p in self.by_merchant_uid(merchant_code, merchant_uid))

    # -- pre-registration ------------------------------------------------------------------

    def get_prepared(self, merchant_code: str, merchant_uid: str) -> Prepared | None:
        return self.prepared.get((merchant_code, merchant_uid))

    def put_prepared(self, merchant_code: str, prepared: Prepared) -> None:
        self.prepared[(merchant_code, prepared.merchant_uid)] = prepared
        self.changed()

    # -- persistence -----------------------------------------------------------------------

    def snapshot(self) -> dict:
        return {
            "seq": self._seq,
            "payments": [asdict(p) for p in self.payments.values()],
            "prepared": [{"merchant_code": code, **asdict(p)} for (code, _), p in self.prepared.items()],
        }

    def restore(self, data: dict) -> None:
        self._seq = int(data.get("seq", 0))
        self.payments = {raw["imp_uid"]: payment_from_snapshot(raw) for raw in data.get("payments", [])}
        self.prepared = {}
        for raw in data.get("prepared", []):
            code = raw.pop("merchant_code")
            self.prepared[(code, raw["merchant_uid"])] = Prepared(**raw)


def sort_payments(payments: list[Payment], sorting: str) -> list[Payment]:
    """`-started` (default) is newest window first; ties keep creation order, newest first."""
    descending = sorting.startswith("-")
    key = _SORT_FIELD[sorting.lstrip("-")]
    return sorted(payments, key=lambda p: (getattr(p, key), p.seq), reverse=descending)
