"""The books agree with I'mport through real HTTP: cancels made in I'mport's console reach the order by
webhook (or by the next refund when the webhook is lost), and a refund racing a console cancel never
leaves the books and I'mport apart. The facts are read from DynamoDB and from the sandbox."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.support.api import HTTP_TIMEOUT_S, Buyer, pay_order, wait_until
from tests.support.http_checkout import HttpState, Iamport

pytestmark = pytest.mark.integration


def paid_order(stack: Any, buyer: Buyer, stored: HttpState) -> tuple[str, str, str]:
    """Two lines (10000 + 5000), all cash, paid and reported: (merchant_uid, imp_uid, notice_url)."""
    mug, tee = stored.add_product(10_000, 5), stored.add_product(5_000, 5)
    buyer.api.put_in_cart(mug, 1)
    buyer.api.put_in_cart(tee, 1)
    created = buyer.api.place_order(points=0, pay_method="card")
    order = pay_order(stack, stack.token_for(buyer.sub), created)
    return order["merchant_uid"], order["imp_uid"], created["payment"]["notice_url"]


def cheapest_line(stored: HttpState, merchant_uid: str) -> str:
    lines = stored.order(merchant_uid)["doc"]["lines"]
    return min(lines, key=lambda line: int(line["price"]))["product_id"]


def assert_books_agree(stored: HttpState, iamport: Iamport, merchant_uid: str, imp_uid: str) -> dict:
    doc = stored.order(merchant_uid)["doc"]
    payment = iamport.payment(imp_uid)
    booked = sorted(r["cancellation_id"] for r in doc["refunds"] if r["amount"])
    assert booked == sorted(c["cancellation_id"] for c in payment["cancel_history"]), (doc, payment)
    assert sum(r["amount"] for r in doc["refunds"]) == payment["cancel_amount"]
    assert doc["pending_refund"] is None
    return doc


def test_a_console_partial_cancel_reaches_the_order_by_webhook_once(
    stack: Any, buyer: Buyer, stored: HttpState, iamport: Iamport
) -> None:
    merchant_uid, imp_uid, notice_url = paid_order(stack, buyer, stored)
    iamport.duplicate_next_webhook_to(notice_url)

    iamport.control.console_cancel(imp_uid, amount=4_000)
    iamport.wait_for_deliveries(imp_uid, "cancelled", 2)

    assert stored.order(merchant_uid)["status"] == "partially_cancelled"
    doc = assert_books_agree(stored, iamport, merchant_uid, imp_uid)
    assert [r["amount"] for r in doc["refunds"]] == [4_000]


def test_a_refund_after_a_lost_console_cancel_webhook_books_both(
    stack: Any, buyer: Buyer, stored: HttpState, iamport: Iamport
) -> None:
    merchant_uid, imp_uid, notice_url = paid_order(stack, buyer, stored)
    iamport.drop_next_webhook_to(notice_url)
    iamport.control.console_cancel(imp_uid, amount=2_000)
    tee = cheapest_line(stored, merchant_uid)

    refunded = buyer.api.call(
        "POST",
        f"/orders/{merchant_uid}/refund",
        200,
        {"reason": "too small", "lines": [{"product_id": tee, "quantity": 1}]},
    )["order"]

    assert sorted(r["amount"] for r in refunded["refunds"]) == [2_000, 5_000]
    assert_books_agree(stored, iamport, merchant_uid, imp_uid)


def test_refunds_racing_console_cancels_leave_the_books_equal_to_iamport(
    stack: Any, buyer: Buyer, stored: HttpState, iamport: Iamport
) -> None:
    for round_ in range(3):
        merchant_uid, imp_uid, notice_url = paid_order(stack, buyer, stored)
        if round_ == 1:
            iamport.drop_next_webhook_to(notice_url)  # and once, nobody tells us about the console cancel
        tee = cheapest_line(stored, merchant_uid)

        def refund(merchant_uid: str = merchant_uid, tee: str = tee) -> int:
            return requests.post(
                f"{stack.api_url}/orders/{merchant_uid}/refund",
                json={"reason": "race", "lines": [{"product_id": tee, "quantity": 1}]},
                headers={"Authorization": f"Bearer {stack.token_for(buyer.sub)}"},
                timeout=HTTP_TIMEOUT_S,
            ).status_code

        def console(imp_uid: str = imp_uid, amount: int = 3_000 + 1_000 * round_) -> int:
            iamport.control.console_cancel(imp_uid, amount=amount)
            return 200

        with ThreadPoolExecutor(2) as pool:
            statuses = [f.result() for f in [pool.submit(refund), pool.submit(console)]]
        assert statuses[0] in (200, 409), statuses  # 409: retried and still contended; never a 5xx
        # Whatever the webhook did or did not say, the next report (here the browser's) converges it.
        buyer_view = requests.post(
            f"{stack.api_url}/payments/complete",
            json={"imp_uid": imp_uid, "merchant_uid": merchant_uid},
            headers={"Authorization": f"Bearer {stack.token_for(buyer.sub)}"},
            timeout=HTTP_TIMEOUT_S,
        )
        assert buyer_view.status_code == 200, buyer_view.text
        wait_until(lambda m=merchant_uid: stored.order(m)["doc"]["pending_refund"] is None)
        assert_books_agree(stored, iamport, merchant_uid, imp_uid)
