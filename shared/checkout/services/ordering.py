"""Creating an order from the cart (docs/design.md#money-points-stock): one transaction, then the amount is
pre-registered.

With an `Idempotency-Key`, the merchant_uid is decided before anything is written and kept with the
key's claim. If the attempt dies after its transaction and before the key records the result, the
retry that takes the key over gets the same merchant_uid and looks the order up first: found, it
registers the amount at I'mport again (idempotent) and answers with that order, exactly as a replay
would; not found, it creates the order under that merchant_uid. Stock, points and cart move once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from checkout import error_codes as codes
from checkout.domain.order import Buyer, Order, OrderLine
from checkout.domain.status import OrderStatus
from checkout.domain.transitions import MAX_ORDER_LINES, open_order, roll_back
from checkout.errors import (
    BadRequest,
    CheckoutError,
    GatewayUnavailable,
    OrderStateConflict,
    OutOfStock,
    ProductNotFound,
    StaleOrder,
)
from checkout.inputs import CreateOrderInput
from checkout.observability import count, logger
from checkout.ports import CartRepository, CatalogRepository, IamportError, OrderRepository, PaymentGateway
from checkout.services.idempotency import Attempt, IdempotentRequests
from checkout.services.results import CreatedOrder

KST = timezone(timedelta(hours=9))
ORDER_NAME_MAX = 40  # I'mport's `name` (docs/iamport-v1.md#payment-model)


@dataclass(frozen=True)
class OrderingPolicy:
    pg: str
    complete_url: str
    notice_url: str
    min_cash_amount: int = 100
    max_open_orders: int = 3
    order_ttl: timedelta = timedelta(minutes=30)
    vbank_ttl: timedelta = timedelta(hours=72)


def new_merchant_uid(now: datetime) -> str:
    """`ord_YYYYMMDD_` + 128 random bits: unguessable (nobody can complete or probe another's order by
    guessing), sortable by day for support, 35 characters (I'mport allows 40)."""
    return f"ord_{now.astimezone(KST):%Y%m%d}_{secrets.token_urlsafe(16)}"


def order_name(lines: list[OrderLine]) -> str:
    first = lines[0].name
    name = first if len(lines) == 1 else f"{first} 외 {len(lines) - 1}건"
    return name if len(name) <= ORDER_NAME_MAX else name[: ORDER_NAME_MAX - 1] + "…"


class OrderingService:
    def __init__(
        self,
        *,
        policy: OrderingPolicy,
        catalog: CatalogRepository,
        carts: CartRepository,
        orders: OrderRepository,
        gateway: PaymentGateway,
        idempotency: IdempotentRequests,
        clock: Callable[[], datetime],
    ) -> None:
        self._policy = policy
        self._catalog = catalog
        self._carts = carts
        self._orders = orders
        self._gateway = gateway
        self._idempotency = idempotency
        self._clock = clock

    def create_order(self, user_id: str, req: CreateOrderInput, idempotency_key: str | None) -> CreatedOrder:
        if idempotency_key is None:
            return self._create(user_id, req)
        return self._idempotency.run(
            scope="create_order",
            user_id=user_id,
            key=idempotency_key,
            body=req.model_dump(mode="json"),
            plan=lambda: {"merchant_uid": new_merchant_uid(self._clock())},
            work=lambda attempt: self._attempt(user_id, req, attempt),
            save=lambda created: {"merchant_uid": created.order.merchant_uid},
            load=lambda saved: self._replay(saved["merchant_uid"]),
        )

    def payment_params(self, order: Order) -> dict[str, Any]:
        """The `IMP.request_pay` parameters (docs/iamport-v1.md#request-pay). The amount is the pre-registered
        one."""
        p = self._policy
        params: dict[str, Any] = {
            "pg": p.pg,
            "pay_method": order.pay_method,
            "merchant_uid": order.merchant_uid,
            "name": order.name,
            "amount": order.amount,
            "buyer_email": order.buyer.email,
            "buyer_name": order.buyer.name,
            "buyer_tel": order.buyer.tel,
            "buyer_addr": order.buyer.addr or "",
            "buyer_postcode": order.buyer.postcode or "",
            "m_redirect_url": p.complete_url,
            "notice_url": p.notice_url,
        }
        if order.pay_method == "vbank":
            # The account's due date: the order holds stock for the card TTL until the account is issued,
            # then until this moment (reconcile extends `expires_at` to the due date I'mport reports).
            due = order.created_at + self._policy.vbank_ttl
            params["vbank_due"] = due.astimezone(KST).strftime("%Y%m%d%H%M%S")
        return params

    def _replay(self, merchant_uid: str) -> CreatedOrder:
        order = self._orders.get(merchant_uid)
        if order is None:  # the record outlived its order: impossible unless data was deleted by hand
            raise StaleOrder(f"order {merchant_uid} is gone")
        return CreatedOrder(order, self.payment_params(order))

    def _attempt(self, user_id: str, req: CreateOrderInput, attempt: Attempt) -> CreatedOrder:
        merchant_uid = attempt.plan.get("merchant_uid")
        if not isinstance(merchant_uid, str):  # every claim carries one; be safe all the same
            return self._create(user_id, req)
        if attempt.resumed:
            # An earlier attempt of this request died; its order, if it got that far, has this merchant_uid.
            existing = self._orders.get(merchant_uid, consistent=True)
            if existing is not None:
                return self._resume(user_id, existing)
        return self._create(user_id, req, merchant_uid)

    def _resume(self, user_id: str, order: Order) -> CreatedOrder:
        """This request's order, made by an attempt that never answered: finish it and answer with it."""
        if order.user_id != user_id:  # merchant_uids are random and keys are per buyer: never expected
            raise OrderStateConflict(f"order {order.merchant_uid} belongs to someone else")
        if order.status is OrderStatus.FAILED:
            # I'mport refused to register it and it was rolled back (cart, stock and points returned):
            # the same answer the attempt would have given; the key is released for a fresh order.
            raise GatewayUnavailable("the payment gateway could not register the order; retry shortly")
        logger.info("order resumed", extra={"merchant_uid": order.merchant_uid, "status": order.status.value})
        if order.is_open and order.amount > 0:
            self._prepare(order)  # the attempt may have died before registering the amount
        return CreatedOrder(order, self.payment_params(order))

    def _create(self, user_id: str, req: CreateOrderInput, merchant_uid: str | None = None) -> CreatedOrder:
        now = self._clock()
        lines = self._lines_from_cart(user_id)
        total = sum(line.price * line.quantity for line in lines)
        points = req.points_to_use
        if points > total:
            raise BadRequest(
                f"points_to_use ({points}) exceeds the order total ({total})", code=codes.POINTS_EXCEED_TOTAL
            )
        amount = total - points
        minimum = self._policy.min_cash_amount
        if 0 < amount < minimum:
            raise BadRequest(
                f"the amount paid in cash must be 0 or at least {minimum} KRW: "
                f"use {amount} more points, or {minimum - amount} fewer",
                code=codes.CASH_AMOUNT_TOO_SMALL,
            )
        all_points = amount == 0
        # Every order starts with the card TTL; a virtual account's longer wait starts when it is issued.
        ttl = self._policy.order_ttl
        order = Order(
            merchant_uid=merchant_uid or new_merchant_uid(now),
            user_id=user_id,
            status=OrderStatus.PAID if all_points else OrderStatus.READY,
            version=1,
            name=order_name(lines),
            lines=tuple(lines),
            total=total,
            points_used=points,
            amount=amount,
            pay_method="points" if all_points else req.pay_method,
            buyer=Buyer(req.buyer.name, req.buyer.email, req.buyer.tel, req.buyer.addr, req.buyer.postcode),
            created_at=now,
            expires_at=now + ttl,
            updated_at=now,
            shipping_notice=req.shipping_notice,
            paid_at=now if all_points else None,
            counts_open=not all_points,
        )
        try:
            self._orders.apply(open_order(order, max_open=self._policy.max_open_orders))
        except CheckoutError:
            # Refused, or no answer: the transaction may still be ours, applied by a first try whose answer
            # was lost or by a concurrent attempt of the same request (same merchant_uid).
            existing = self._orders.get(order.merchant_uid, consistent=True)
            if existing is None:
                raise
            return self._resume(user_id, existing)
        log = {"merchant_uid": order.merchant_uid, "amount": amount, "points_used": points}
        logger.info("order created", extra=log)
        count("OrdersCreated")
        if not all_points:
            self._prepare(order)
        return CreatedOrder(order, self.payment_params(order))

    def _lines_from_cart(self, user_id: str) -> list[OrderLine]:
        items = self._carts.list_items(user_id)
        if not items:
            raise BadRequest("the cart is empty", code=codes.EMPTY_CART)
        if len(items) > MAX_ORDER_LINES:
            raise BadRequest(
                f"an order can hold at most {MAX_ORDER_LINES} different products (the cart has {len(items)})",
                code=codes.TOO_MANY_LINES,
            )
        products = self._catalog.get_products(pid for pid, _ in items)
        lines = []
        for pid, qty in sorted(items):
            product = products.get(pid)
            if product is None:
                raise ProductNotFound(f"product {pid} in the cart is no longer sold; remove it from the cart")
            if product.stock < qty:  # early, friendly answer; the transaction's condition is what counts
                raise OutOfStock(f"{product.name} is out of stock (only {max(product.stock, 0)} left)")
            lines.append(OrderLine(pid, product.name, product.price, qty))
        return lines

    def _prepare(self, order: Order) -> None:
        try:
            self._gateway.prepare(order.merchant_uid, order.amount)
        except (GatewayUnavailable, IamportError) as exc:
            logger.warning(
                "amount pre-registration failed; rolling the order back",
                extra={"merchant_uid": order.merchant_uid, "error": type(exc).__name__},
            )
            self._fail_unprepared(order)
            raise GatewayUnavailable(
                "the payment gateway could not register the order; retry shortly"
            ) from exc

    def _fail_unprepared(self, order: Order) -> None:
        current: Order | None = order
        for _ in range(3):
            if current is None or not current.is_open:
                return
            try:
                self._orders.apply(
                    roll_back(
                        current, OrderStatus.FAILED, reason="payment registration failed", now=self._clock()
                    )
                )
                return
            except StaleOrder:
                current = self._orders.get(order.merchant_uid)
