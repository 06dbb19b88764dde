"""Order <-> item. Times are stored as fixed-width ISO-8601 UTC strings, so they sort as they happen."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from checkout.domain.order import (
    Buyer,
    LineQuantity,
    Order,
    OrderLine,
    RefundAccount,
    RefundIntent,
    RefundRecord,
    StrayPayment,
    VbankAccount,
)
from checkout.domain.status import OrderStatus

# The sparse sweep index keeps every order the sweeper must visit (open orders and pending refunds),
# spread over SWEEP_SHARDS partition keys by a hash of the merchant_uid; the sort key (when to look)
# makes each query a range read. One partition key takes about 1,000 writes a second, and an order
# writes its index entry about 7 times in its first hour (created, 4 checks, paid or expired, a refund):
# 8 shards carry about 1,100 new orders a second (docs/RELIABILITY.md, "The sweeper").
SWEEP_SHARDS = 8
LEGACY_SWEEP_PK = "SWEEP"  # written before the index was sharded; still read so no order is lost


def sweep_pk(merchant_uid: str) -> str:
    shard = int.from_bytes(hashlib.sha256(merchant_uid.encode()).digest()[:4], "big") % SWEEP_SHARDS
    return f"SWEEP#{shard}"


def sweep_partitions() -> tuple[str, ...]:
    return (*(f"SWEEP#{n}" for n in range(SWEEP_SHARDS)), LEGACY_SWEEP_PK)


def dt_out(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def dt_in(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _opt_dt_out(moment: datetime | None) -> str | None:
    return dt_out(moment) if moment is not None else None


def _opt_dt_in(text: str | None) -> datetime | None:
    return dt_in(text) if text else None


def _lines_out(lines: tuple[LineQuantity, ...]) -> list[dict[str, Any]]:
    return [{"product_id": x.product_id, "quantity": x.quantity} for x in lines]


def _lines_in(raw: list[dict[str, Any]]) -> tuple[LineQuantity, ...]:
    return tuple(LineQuantity(x["product_id"], int(x["quantity"])) for x in raw)


def _intent_out(intent: RefundIntent) -> dict[str, Any]:
    account = intent.refund_account
    return {
        "id": intent.id,
        "lines": _lines_out(intent.lines),
        "amount": intent.amount,
        "points": intent.points,
        "clawback": intent.clawback,
        "checksum": intent.checksum,
        "reason": intent.reason,
        "created_at": dt_out(intent.created_at),
        "final": intent.final,
        "request_hash": intent.request_hash,
        "cancel_ref": intent.cancel_ref,
        "refund_account": None
        if account is None
        else {"holder": account.holder, "bank": account.bank, "number": account.number},
    }


def _intent_in(raw: dict[str, Any]) -> RefundIntent:
    account = raw.get("refund_account")
    return RefundIntent(
        id=raw["id"],
        lines=_lines_in(raw["lines"]),
        amount=int(raw["amount"]),
        points=int(raw["points"]),
        clawback=int(raw["clawback"]),
        checksum=int(raw["checksum"]),
        reason=raw["reason"],
        created_at=dt_in(raw["created_at"]),
        final=bool(raw["final"]),
        request_hash=raw.get("request_hash", ""),
        refund_account=RefundAccount(**account) if account else None,
        cancel_ref=raw.get("cancel_ref", ""),
    )


def order_doc(order: Order) -> dict[str, Any]:
    """Everything not kept in a top-level attribute."""
    return {
        "name": order.name,
        "lines": [
            {
                "product_id": x.product_id,
                "name": x.name,
                "price": x.price,
                "quantity": x.quantity,
                "refunded_quantity": x.refunded_quantity,
            }
            for x in order.lines
        ],
        "buyer": {
            "name": order.buyer.name,
            "email": order.buyer.email,
            "tel": order.buyer.tel,
            "addr": order.buyer.addr,
            "postcode": order.buyer.postcode,
        },
        "shipping_notice": order.shipping_notice,
        "payment": order.payment,
        "vbank": None
        if order.vbank is None
        else {
            "bank": order.vbank.bank,
            "number": order.vbank.number,
            "holder": order.vbank.holder,
            "due": dt_out(order.vbank.due),
        },
        "refunds": [
            {
                "id": r.id,
                "amount": r.amount,
                "points": r.points,
                "clawback": r.clawback,
                "lines": _lines_out(r.lines),
                "at": dt_out(r.at),
                "reason": r.reason,
                "request_hash": r.request_hash,
                "cancellation_id": r.cancellation_id,
                "cancel_ref": r.cancel_ref,
            }
            for r in order.refunds
        ],
        "pending_refund": None if order.pending_refund is None else _intent_out(order.pending_refund),
        "stray_payments": [
            {
                "imp_uid": s.imp_uid,
                "amount": s.amount,
                "reason": s.reason,
                "at": dt_out(s.at),
                "unrefunded": s.unrefunded,
            }
            for s in order.stray_payments
        ],
        "points_earned": order.points_earned,
        "failure_reason": order.failure_reason,
        "paid_at": _opt_dt_out(order.paid_at),
        "checks": order.checks,
        "sweep_failures": order.sweep_failures,
        "retry_at": _opt_dt_out(order.retry_at),
        "counts_open": order.counts_open,
    }


def order_attributes(order: Order) -> dict[str, Any]:
    sweep_at = order.sweep_at()
    return {
        "merchant_uid": order.merchant_uid,
        "user_id": order.user_id,
        "status": order.status.value,
        "version": order.version,
        "created_at": dt_out(order.created_at),
        "expires_at": dt_out(order.expires_at),
        "updated_at": dt_out(order.updated_at),
        "total": order.total,
        "points_used": order.points_used,
        "amount": order.amount,
        "pay_method": order.pay_method,
        "imp_uid": order.imp_uid,
        "sweep_pk": None if sweep_at is None else sweep_pk(order.merchant_uid),
        "sweep_at": _opt_dt_out(sweep_at),
        "doc": order_doc(order),
    }


def order_from_attributes(values: Mapping[str, Any]) -> Order:
    """The order of an item's values (ItemCodec.decode, or a model instance's `attribute_values`)."""
    doc = values["doc"]
    vbank = doc.get("vbank")
    return Order(
        merchant_uid=values["merchant_uid"],
        user_id=values["user_id"],
        status=OrderStatus(values["status"]),
        version=int(values["version"]),
        name=doc["name"],
        lines=tuple(
            OrderLine(
                x["product_id"],
                x["name"],
                int(x["price"]),
                int(x["quantity"]),
                int(x.get("refunded_quantity", 0)),
            )
            for x in doc["lines"]
        ),
        total=int(values["total"]),
        points_used=int(values["points_used"]),
        amount=int(values["amount"]),
        pay_method=values["pay_method"],
        buyer=Buyer(**doc["buyer"]),
        created_at=dt_in(values["created_at"]),
        expires_at=dt_in(values["expires_at"]),
        updated_at=dt_in(values["updated_at"]),
        shipping_notice=doc.get("shipping_notice"),
        imp_uid=values.get("imp_uid"),
        payment=doc.get("payment"),
        vbank=None
        if not vbank
        else VbankAccount(vbank["bank"], vbank["number"], vbank.get("holder"), dt_in(vbank["due"])),
        refunds=tuple(
            RefundRecord(
                id=r["id"],
                amount=int(r["amount"]),
                points=int(r["points"]),
                clawback=int(r.get("clawback", 0)),
                lines=_lines_in(r["lines"]),
                at=dt_in(r["at"]),
                reason=r.get("reason", ""),
                request_hash=r.get("request_hash", ""),
                cancellation_id=r.get("cancellation_id"),
                cancel_ref=r.get("cancel_ref", ""),
            )
            for r in doc.get("refunds", [])
        ),
        pending_refund=_intent_in(doc["pending_refund"]) if doc.get("pending_refund") else None,
        stray_payments=tuple(
            StrayPayment(
                s["imp_uid"], int(s["amount"]), s["reason"], dt_in(s["at"]), int(s.get("unrefunded", 0))
            )
            for s in doc.get("stray_payments", [])
        ),
        points_earned=int(doc.get("points_earned", 0)),
        failure_reason=doc.get("failure_reason"),
        paid_at=_opt_dt_in(doc.get("paid_at")),
        checks=int(doc.get("checks", 0)),
        sweep_failures=int(doc.get("sweep_failures", 0)),
        retry_at=_opt_dt_in(doc.get("retry_at")),
        counts_open=bool(doc.get("counts_open", False)),
    )
