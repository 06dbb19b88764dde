"""Domain -> the public JSON of the API (docs/architecture.md, docs/design.md#api).

Times are ISO-8601 UTC with a `Z`; money and points are integers (KRW). Nothing here exposes the
buyer's refund account, the payment snapshot or any internal bookkeeping (versions, sweep keys).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from checkout.domain.order import Cart, Order, Product, RefundRecord
from checkout.domain.points import LedgerEntry

if TYPE_CHECKING:
    # Only named in annotations: a handler's import does not load the services (get_checkout() does).
    from checkout.services.results import CreatedOrder, OrderPage, PointsSummary, SweepReport


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def order_json(order: Order) -> dict[str, Any]:
    body: dict[str, Any] = {
        "merchant_uid": order.merchant_uid,
        "status": order.status.value,
        "total": order.total,
        "points_used": order.points_used,
        "amount": order.amount,
        "lines": [
            {
                "product_id": line.product_id,
                "name": line.name,
                "price": line.price,
                "quantity": line.quantity,
                "refunded_quantity": line.refunded_quantity,
            }
            for line in order.lines
        ],
        "imp_uid": order.imp_uid,
        "pay_method": order.pay_method,
        "refunds": [refund_json(r) for r in order.refunds],
        # Payments for this order that did not count (duplicate, late, wrong amount): refunded at
        # I'mport, or `unrefunded` when I'mport refused and the shop must return the money itself.
        "stray_payments": [
            {
                "imp_uid": s.imp_uid,
                "reason": s.reason,
                "refunded": s.amount,
                "unrefunded": s.unrefunded,
                "at": iso(s.at),
            }
            for s in order.stray_payments
        ],
        "points_earned": order.points_earned,
        "created_at": iso(order.created_at),
        "expires_at": iso(order.expires_at),
    }
    if order.vbank is not None:
        body["vbank"] = {
            "bank": order.vbank.bank,
            "number": order.vbank.number,
            "holder": order.vbank.holder,
            "due": iso(order.vbank.due),
        }
    if order.failure_reason:
        body["failure_reason"] = order.failure_reason
    if order.paid_at is not None:
        body["paid_at"] = iso(order.paid_at)
    return body


def refund_json(refund: RefundRecord) -> dict[str, Any]:
    return {
        "id": refund.id,
        "amount": refund.amount,
        "points": refund.points,
        "lines": [{"product_id": line.product_id, "quantity": line.quantity} for line in refund.lines],
        "at": iso(refund.at),
    }


def products_json(products: list[Product]) -> dict[str, Any]:
    return {
        "products": [
            {"product_id": p.product_id, "name": p.name, "price": p.price, "stock": p.stock} for p in products
        ]
    }


def cart_json(cart: Cart) -> dict[str, Any]:
    return {
        "items": [
            {
                "product_id": item.product_id,
                "name": item.name,
                "price": item.price,
                "quantity": item.quantity,
                "line_total": item.line_total,
            }
            for item in cart.items
        ],
        "total": cart.total,
    }


def ledger_entry_json(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind.value,
        "points": entry.points,
        "merchant_uid": entry.merchant_uid,
        "at": iso(entry.at),
    }


def points_json(summary: PointsSummary) -> dict[str, Any]:
    return {
        "available": summary.available,
        "held": summary.held,
        "ledger": [ledger_entry_json(e) for e in summary.ledger],
        "next_cursor": summary.next_cursor,
    }


def orders_page_json(page: OrderPage) -> dict[str, Any]:
    return {"orders": [order_json(o) for o in page.orders], "next_cursor": page.next_cursor}


def created_order_json(created: CreatedOrder) -> dict[str, Any]:
    return {"order": order_json(created.order), "payment": dict(created.payment)}


def sweep_report_json(report: SweepReport) -> dict[str, Any]:
    return report.as_dict()
