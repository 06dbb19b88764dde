"""What a buyer does on the site, step by step, through the elements' data-testids."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

# The first calls warm the local functions (a Python cold start per function on a busy 2-core machine).
SLOW_STEP_MS = 90_000
BUYER_DETAILS = {"name": "김하늘", "email": "haneul@example.com", "tel": "010-1234-5678"}


def sign_in(page: Any, web_url: str, sub: str) -> None:
    page.goto(f"{web_url}/")
    page.get_by_test_id("sign-in-subject").fill(sub)
    page.get_by_test_id("sign-in-submit").click()
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(sub)


def add_to_cart(page: Any, product_id: str, times: int = 1) -> None:
    page.get_by_test_id("nav-products").click()
    for count in range(1, times + 1):
        page.get_by_test_id(f"add-to-cart-{product_id}").click()
        expect(page.get_by_test_id(f"product-added-{product_id}")).to_contain_text(
            f"{count} in your cart", timeout=SLOW_STEP_MS
        )


def fill_checkout(page: Any) -> None:
    """From the cart to a checkout form with the buyer's details, once the points balance has loaded."""
    page.get_by_test_id("nav-cart").click()
    page.get_by_test_id("go-to-checkout").click()
    for field, value in BUYER_DETAILS.items():
        page.get_by_test_id(f"buyer-{field}").fill(value)
    expect(page.get_by_test_id("points-available")).to_be_visible(timeout=SLOW_STEP_MS)


def check_out(page: Any, *, points: int = 0, pay_method: str = "card") -> None:
    """From the cart to an open payment window: buyer details, points, pay method, place the order."""
    fill_checkout(page)
    page.get_by_test_id("points-to-use").fill(str(points))
    page.get_by_test_id(f"pay-method-{pay_method}").check()
    page.get_by_test_id("place-order").click()
    expect(page.get_by_test_id("imp-sandbox-window")).to_be_visible(timeout=SLOW_STEP_MS)


def open_order(api: Any) -> dict[str, Any]:
    """The order the open payment window is for: the buyer's newest (each test has its own buyer)."""
    orders = api.get("/orders?limit=1")["orders"]
    assert orders, "placing the order created no order"
    return orders[0]


def result_merchant_uid(page: Any) -> str:
    expect(page.get_by_test_id("result-merchant-uid")).to_be_visible(timeout=SLOW_STEP_MS)
    return page.get_by_test_id("result-merchant-uid").inner_text().strip()
