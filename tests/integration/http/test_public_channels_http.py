"""Nobody but the buyer can hurt the buyer's order, through real HTTP: the local API with its JWT check,
the functions in their workers, DynamoDB Local and the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.api import HTTP_TIMEOUT_S, Buyer, new_buyer
from tests.support.http_checkout import (
    HttpState,
    Iamport,
    browser_completion,
    redirect_completion,
    webhook_json,
)

pytestmark = pytest.mark.integration


def place(buyer: Buyer, stored: HttpState, price: int = 7_000) -> tuple[str, dict[str, Any], dict[str, Any]]:
    product_id = stored.add_product(price, 5)
    buyer.api.put_in_cart(product_id, 1)
    created = buyer.api.place_order(points=0, pay_method="card")
    return product_id, created["order"], created["payment"]


def test_the_pages_report_needs_the_owners_token(
    stack: Any, buyer: Buyer, stored: HttpState, iamport: Iamport
) -> None:
    _, order, payment = place(buyer, stored)
    failed = iamport.control.fail(order["merchant_uid"], order["amount"], notice_url=payment["notice_url"])

    anonymous = browser_completion(stack.api_url, failed["imp_uid"], order["merchant_uid"])
    stranger = new_buyer(stack, "stranger")
    someone_else = browser_completion(
        stack.api_url, failed["imp_uid"], order["merchant_uid"], stack.token_for(stranger.sub)
    )

    assert anonymous.status == 401  # API Gateway's JWT authorizer answers first
    assert someone_else.status == 404 and someone_else.body["error"]["code"] == "order_not_found"
    assert stored.order(order["merchant_uid"])["status"] == "ready"


def test_a_strangers_failed_attempt_reported_anonymously_leaves_the_order_for_the_buyer(
    stack: Any, buyer: Buyer, stored: HttpState, iamport: Iamport
) -> None:
    product_id, order, payment = place(buyer, stored)
    m = order["merchant_uid"]
    failed = iamport.control.fail(m, order["amount"], notice_url=payment["notice_url"])

    redirect = redirect_completion(stack.api_url, failed["imp_uid"], m)
    webhook = webhook_json(stack.api_url, failed["imp_uid"], m, "failed")

    assert redirect.status == 302 and redirect.location_query() == {"merchant_uid": m, "status": "ready"}
    assert webhook.status == 200 and webhook.body == {
        "status": "ok",
        "merchant_uid": m,
        "order_status": "ready",
    }
    assert stored.order(m)["status"] == "ready" and stored.stock(product_id) == 4

    # The buyer pays after it, with the same merchant_uid, and reports it with their token.
    paid = iamport.control.pay(m, order["amount"], notice_url=payment["notice_url"])
    mine = browser_completion(stack.api_url, paid["imp_uid"], m, stack.token_for(buyer.sub))
    assert mine.status == 200 and mine.body["order"]["status"] == "paid"


def test_the_owner_cancels_an_unpaid_order_and_a_buyer_holds_at_most_three(
    stack: Any, buyer: Buyer, stored: HttpState
) -> None:
    placed = [place(buyer, stored) for _ in range(3)]

    product_id = stored.add_product(1_000, 5)
    buyer.api.put_in_cart(product_id, 1)
    refused = requests.post(
        f"{stack.api_url}/orders",
        json={"buyer": {"name": "홍길동", "email": "buyer@example.com", "tel": "010-1234-5678"}},
        headers={"Authorization": f"Bearer {stack.token_for(buyer.sub)}"},
        timeout=HTTP_TIMEOUT_S,
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "too_many_open_orders"
    assert stored.stock(product_id) == 5 and stored.cart(buyer.sub) == {product_id: 1}

    stranger = new_buyer(stack, "stranger")
    first_product, first, _ = placed[0]
    not_theirs = requests.post(
        f"{stack.api_url}/orders/{first['merchant_uid']}/cancel",
        headers={"Authorization": f"Bearer {stack.token_for(stranger.sub)}"},
        timeout=HTTP_TIMEOUT_S,
    )
    assert not_theirs.status_code == 404
    cancelled = buyer.api.call("POST", f"/orders/{first['merchant_uid']}/cancel", 200)["order"]
    assert cancelled["status"] == "failed" and stored.stock(first_product) == 5
    # Room again for one more.
    assert buyer.api.place_order(points=0, pay_method="card")["order"]["status"] == "ready"
