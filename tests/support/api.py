"""The checkout API as the site calls it (with a buyer's token, or none on the public routes), and a
payment made at the I'mport sandbox the way a buyer makes one."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from sandbox.control import SandboxControl

HTTP_TIMEOUT_S = 35  # above the functions' 29 s timeout: the gateway answers first
BUYER = {"name": "홍길동", "email": "buyer@example.com", "tel": "010-1234-5678"}


class CheckoutApi:
    """The checkout API as one caller: `token` is a buyer's (or an admin's), None for the public routes."""

    def __init__(self, api_url: str, token: str | None = None) -> None:
        self._url = api_url
        self._session = requests.Session()
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, expected: int = 200, body: Any = None) -> Any:
        """The reply's JSON; its status must be `expected`. A redirect is answered, not followed."""
        response = self._session.request(
            method, f"{self._url}{path}", json=body, allow_redirects=False, timeout=HTTP_TIMEOUT_S
        )
        assert response.status_code == expected, (method, path, response.status_code, response.text)
        return response.json()

    def get(self, path: str) -> Any:
        return self.call("GET", path, 200)

    def order(self, merchant_uid: str) -> dict[str, Any]:
        return self.get(f"/orders/{merchant_uid}")["order"]

    def points(self) -> dict[str, Any]:
        return self.get("/points")

    def cart(self) -> dict[str, Any]:
        return self.get("/cart")

    def put_in_cart(self, product_id: str, quantity: int) -> None:
        self.call("PUT", f"/cart/items/{product_id}", 200, {"quantity": quantity})

    def place_order(self, *, points: int, pay_method: str) -> dict[str, Any]:
        """POST /orders -> {"order": ..., "payment": the IMP.request_pay parameters}."""
        return self.call(
            "POST", "/orders", 201, {"buyer": BUYER, "points_to_use": points, "pay_method": pay_method}
        )


@dataclass
class Buyer:
    sub: str
    api: CheckoutApi


def new_buyer(stack: Any, sub_prefix: str) -> Buyer:
    """A buyer nobody has seen yet: no cart, orders or points."""
    sub = f"{sub_prefix}-{uuid.uuid4().hex[:10]}"
    return Buyer(sub, CheckoutApi(stack.api_url, stack.token_for(sub)))


def wait_until(check: Callable[[], Any], timeout_s: float = 30.0, interval_s: float = 0.25) -> Any:
    """Polls `check` until it returns something truthy (webhooks arrive asynchronously); that value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout_s} s: {check}")
        time.sleep(interval_s)


def pay_order(stack: Any, buyer_token: str, created: dict[str, Any]) -> dict[str, Any]:
    """Pay the order at the sandbox, report it like the browser does, and wait until I'mport's own
    notification has been answered, so no webhook lands later in the middle of something else.

    `created` is POST /orders' reply; returns the paid order as its buyer reads it."""
    order, payment = created["order"], created["payment"]
    control = SandboxControl(stack.sandbox_url, timeout_s=HTTP_TIMEOUT_S)
    imp_uid = control.pay(order["merchant_uid"], order["amount"], notice_url=payment["notice_url"])["imp_uid"]
    # The page reports it with the buyer's token.
    public = CheckoutApi(stack.api_url, buyer_token)
    reported = public.call(
        "POST", "/payments/complete", 200, {"imp_uid": imp_uid, "merchant_uid": order["merchant_uid"]}
    )
    assert reported["order"]["status"] == "paid", reported

    def answered() -> list[dict[str, Any]]:
        deliveries = control.webhooks(imp_uid)
        return deliveries if deliveries and all(d.get("attempts") for d in deliveries) else []

    wait_until(answered, timeout_s=30, interval_s=0.1)
    return CheckoutApi(stack.api_url, buyer_token).order(order["merchant_uid"])
