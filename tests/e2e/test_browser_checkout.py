"""A buyer's journeys in a real browser, each checked on the page and in the stored state."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from sandbox.control import SandboxControl
from tests.support.api import Buyer, wait_until
from tests.support.browser import screenshot
from tests.support.browser_flows import (
    SLOW_STEP_MS,
    add_to_cart,
    check_out,
    fill_checkout,
    open_order,
    result_merchant_uid,
    sign_in,
)
from tests.support.browser_shop import ShopState

pytestmark = pytest.mark.e2e

# I'mport's own messages for the window's outcomes (the sandbox uses the live API's wording).
DECLINED_MESSAGE = "카드정보 인증에 실패하였습니다."
USER_CANCELLED_MESSAGE = "사용자가 결제를 취소하셨습니다"
# A phone-sized touch screen: the site opens I'mport's window in redirect mode there.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    # The SDK tells a phone by its user agent, as the real one does.
    "user_agent": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1"
    ),
}


def test_card_payment_pays_the_order_keeps_stock_reserved_and_commits_held_points(
    stack: Any, open_page: Any, state: ShopState, buyer: Buyer
) -> None:
    product = state.add_product("보성 녹차 티백 (e2e)", price=12_000, stock=5)
    state.grant_points(buyer.sub, 3_000)
    page = open_page()
    sign_in(page, stack.web_url, buyer.sub)
    add_to_cart(page, product.product_id, times=2)
    page.get_by_test_id("nav-cart").click()
    expect(page.get_by_test_id("cart-total")).to_have_text("₩24,000")

    check_out(page, points=1_000)

    # The window is open: stock is reserved, the points are held, the cart moved into the order.
    order = open_order(buyer.api)
    assert (order["status"], order["total"], order["points_used"], order["amount"]) == (
        "ready",
        24_000,
        1_000,
        23_000,
    )
    assert state.stock(product.product_id) == 3
    assert state.balance(buyer.sub) == (2_000, 1_000)
    assert state.cart(buyer.sub) == {}

    page.get_by_test_id("imp-pay").click()

    expect(page.get_by_test_id("result-status")).to_have_text("Paid", timeout=SLOW_STEP_MS)
    assert result_merchant_uid(page) == order["merchant_uid"]
    expect(page.get_by_test_id("result-amount")).to_have_text("₩23,000")
    expect(page.get_by_test_id("result-points-earned")).to_have_text("230 P")  # 1 % of the cash paid
    shown_imp_uid = page.get_by_test_id("result-imp-uid").inner_text().strip()
    screenshot(page, "card-paid")

    stored = state.order(order["merchant_uid"])
    assert stored["status"] == "paid"
    assert stored["imp_uid"] == shown_imp_uid
    assert state.stock(product.product_id) == 3
    assert state.balance(buyer.sub) == (2_000 + 230, 0)
    assert state.ledger_kinds(buyer.sub, order["merchant_uid"]) == ["earn", "hold", "use"]


def test_declined_card_fails_the_order_and_gives_back_cart_stock_and_points(
    stack: Any, open_page: Any, state: ShopState, buyer: Buyer
) -> None:
    product = state.add_product("한지 노트 (e2e)", price=5_000, stock=4)
    state.grant_points(buyer.sub, 2_000)
    page = open_page()
    sign_in(page, stack.web_url, buyer.sub)
    add_to_cart(page, product.product_id)
    check_out(page, points=500)
    order = open_order(buyer.api)
    assert state.stock(product.product_id) == 3
    assert state.balance(buyer.sub) == (1_500, 500)

    page.get_by_test_id("imp-fail").click()

    expect(page.get_by_test_id("result-status")).to_have_text("Payment failed", timeout=SLOW_STEP_MS)
    expect(page.get_by_test_id("result-failure")).to_contain_text(DECLINED_MESSAGE)
    screenshot(page, "card-declined")

    assert state.order(order["merchant_uid"])["status"] == "failed"
    assert state.stock(product.product_id) == 4
    assert state.balance(buyer.sub) == (2_000, 0)
    assert state.ledger_kinds(buyer.sub, order["merchant_uid"]) == ["hold", "release"]
    assert state.cart(buyer.sub) == {product.product_id: 1}
    page.get_by_test_id("nav-cart").click()
    expect(page.get_by_test_id(f"cart-line-{product.product_id}")).to_be_visible()


def test_closing_an_inicis_window_fails_the_order_and_gives_back_cart_stock_and_points(
    stack: Any, open_page: Any, state: ShopState, buyer: Buyer
) -> None:
    # Inicis (the default PG) records the buyer's cancel: the payment is failed at I'mport, and the
    # owner's report of it ends the order like a decline (sandbox/README.md, "Closing the window").
    product = state.add_product("나전칠기 컵받침 (e2e)", price=9_000, stock=2)
    state.grant_points(buyer.sub, 1_000)
    page = open_page()
    sign_in(page, stack.web_url, buyer.sub)
    add_to_cart(page, product.product_id)
    check_out(page, points=1_000)
    order = open_order(buyer.api)

    page.get_by_test_id("imp-close").click()

    expect(page.get_by_test_id("result-status")).to_have_text("Payment failed", timeout=SLOW_STEP_MS)
    expect(page.get_by_test_id("result-failure")).to_contain_text(USER_CANCELLED_MESSAGE)
    screenshot(page, "window-closed-inicis")

    assert state.order(order["merchant_uid"])["status"] == "failed"
    assert state.stock(product.product_id) == 2
    assert state.balance(buyer.sub) == (1_000, 0)
    assert state.cart(buyer.sub) == {product.product_id: 1}


def test_closing_a_window_whose_pg_records_nothing_leaves_the_order_ready_with_stock_and_points_reserved(
    stack: Any, open_page: Any, state: ShopState, buyer: Buyer
) -> None:
    sandbox = SandboxControl(stack.sandbox_url)
    sandbox.configure(close_outcome={"html5_inicis": "ready"})
    try:
        product = state.add_product("나전칠기 수저 (e2e)", price=9_000, stock=2)
        state.grant_points(buyer.sub, 1_000)
        page = open_page()
        sign_in(page, stack.web_url, buyer.sub)
        add_to_cart(page, product.product_id)
        check_out(page, points=1_000)
        order = open_order(buyer.api)

        page.get_by_test_id("imp-close").click()

        expect(page.get_by_test_id("result-status")).to_have_text(
            "Payment not completed", timeout=SLOW_STEP_MS
        )
        expect(page.get_by_test_id("result-message")).to_have_text("Payment not completed.")
        expect(page.get_by_test_id("result-failure")).to_contain_text(USER_CANCELLED_MESSAGE)
        screenshot(page, "window-closed")
    finally:
        sandbox.configure(close_outcome={"html5_inicis": "failed"})

    # Nothing was recorded at I'mport: the order waits (the sweeper expires it later), nothing moves back.
    assert state.order(order["merchant_uid"])["status"] == "ready"
    assert state.stock(product.product_id) == 1
    assert state.balance(buyer.sub) == (0, 1_000)
    assert state.cart(buyer.sub) == {}


def test_virtual_account_awaits_the_deposit_then_is_paid_by_the_webhook_and_refunds_to_a_bank_account(
    stack: Any, open_page: Any, state: ShopState, buyer: Buyer
) -> None:
    product = state.add_product("옹기 항아리 (e2e)", price=30_000, stock=3)
    page = open_page()
    sign_in(page, stack.web_url, buyer.sub)
    add_to_cart(page, product.product_id)
    check_out(page, pay_method="vbank")
    order = open_order(buyer.api)

    page.get_by_test_id("imp-vbank").click()

    expect(page.get_by_test_id("result-status")).to_have_text("Awaiting deposit", timeout=SLOW_STEP_MS)
    shown = {
        field: page.get_by_test_id(f"vbank-{field}").inner_text().strip()
        for field in ("bank", "number", "holder", "due")
    }
    assert all(shown.values()), shown
    screenshot(page, "vbank-awaiting-deposit")
    stored = buyer.api.order(order["merchant_uid"])
    assert stored["status"] == "awaiting_deposit"
    assert (stored["vbank"]["bank"], stored["vbank"]["number"], stored["vbank"]["holder"]) == (
        shown["bank"],
        shown["number"],
        shown["holder"],
    )
    assert state.stock(product.product_id) == 2

    # The buyer transfers the money; I'mport tells the shop through the webhook, not the browser.
    deposit = requests.post(f"{stack.sandbox_url}/sandbox/payments/{stored['imp_uid']}/deposit", timeout=30)
    assert deposit.status_code == 200, deposit.text
    wait_until(lambda: state.order(order["merchant_uid"])["status"] == "paid")

    page.reload()
    expect(page.get_by_test_id("result-status")).to_have_text("Paid", timeout=SLOW_STEP_MS)
    expect(page.get_by_test_id("result-points-earned")).to_have_text("300 P")
    screenshot(page, "vbank-paid")

    # A paid virtual account is refunded by bank transfer: the form asks for the buyer's account.
    page.get_by_test_id("nav-orders").click()
    card = page.get_by_test_id(f"order-{order['merchant_uid']}")
    card.get_by_test_id("refund-open").click()
    card.get_by_test_id("refund-reason").fill("단순 변심")
    card.get_by_test_id("refund-submit").click()
    expect(card.get_by_label("Account holder")).to_have_attribute("aria-invalid", "true")
    card.get_by_test_id("refund-holder").fill("김하늘")
    card.get_by_test_id("refund-bank").select_option("88")
    card.get_by_test_id("refund-number").fill("110-123-456789")
    card.get_by_test_id("refund-submit").click()

    expect(card.get_by_test_id("order-status")).to_have_text("Refunded", timeout=SLOW_STEP_MS)
    screenshot(page, "vbank-refunded")
    assert state.order(order["merchant_uid"])["status"] == "cancelled"
    assert state.stock(product.product_id) == 3
    assert state.balance(buyer.sub) == (0, 0)  # the 300 earned points were taken back with the refund


def test_partial_then_full_refund_returns_stock_per_line_and_all_points(
    stack: Any, open_page: Any, state: ShopState, buyer: Buyer
) -> None:
    tea = state.add_product("우전 녹차 (e2e)", price=10_000, stock=5)
    cup = state.add_product("백자 찻잔 (e2e)", price=3_000, stock=5)
    state.grant_points(buyer.sub, 5_000)
    page = open_page()
    sign_in(page, stack.web_url, buyer.sub)
    add_to_cart(page, tea.product_id, times=2)
    add_to_cart(page, cup.product_id)
    check_out(page, points=1_000)
    order = open_order(buyer.api)
    page.get_by_test_id("imp-pay").click()
    expect(page.get_by_test_id("result-status")).to_have_text("Paid", timeout=SLOW_STEP_MS)
    assert state.balance(buyer.sub) == (5_000 - 1_000 + 220, 0)
    assert (state.stock(tea.product_id), state.stock(cup.product_id)) == (3, 4)

    page.get_by_test_id("nav-orders").click()
    card = page.get_by_test_id(f"order-{order['merchant_uid']}")
    card.get_by_test_id("refund-open").click()
    card.get_by_test_id("refund-scope-lines").check()
    card.get_by_test_id("refund-reason").fill("한 개 파손")
    card.get_by_test_id(f"refund-qty-{tea.product_id}").fill("1")
    card.get_by_test_id("refund-submit").click()

    expect(card.get_by_test_id("order-status")).to_have_text("Partially refunded", timeout=SLOW_STEP_MS)
    expect(card.get_by_test_id(f"order-line-refunded-{tea.product_id}")).to_have_text("1")
    expect(card.get_by_test_id(f"order-line-refunded-{cup.product_id}")).to_have_text("0")
    screenshot(page, "refund-partial")
    partial = buyer.api.order(order["merchant_uid"])
    assert partial["status"] == "partially_cancelled"
    assert [r["amount"] + r["points"] for r in partial["refunds"]] == [10_000]
    assert (state.stock(tea.product_id), state.stock(cup.product_id)) == (4, 4)

    card.get_by_test_id("refund-open").click()
    card.get_by_test_id("refund-scope-all").check()
    card.get_by_test_id("refund-reason").fill("전체 반품")
    card.get_by_test_id("refund-submit").click()

    expect(card.get_by_test_id("order-status")).to_have_text("Refunded", timeout=SLOW_STEP_MS)
    screenshot(page, "refund-full")
    full = buyer.api.order(order["merchant_uid"])
    assert full["status"] == "cancelled"
    assert sum(r["amount"] for r in full["refunds"]) == 22_000
    assert sum(r["points"] for r in full["refunds"]) == 1_000
    assert (state.stock(tea.product_id), state.stock(cup.product_id)) == (5, 5)
    # Every spent point came back and every earned point was taken back.
    assert state.balance(buyer.sub) == (5_000, 0)
    page.get_by_test_id("nav-points").click()
    expect(page.get_by_test_id("points-available")).to_have_text("5,000 P")
    expect(page.locator("[data-testid=ledger-entry][data-kind=clawback]").first).to_be_visible()
    screenshot(page, "refund-points")


def test_mobile_checkout_returns_through_the_redirect_to_the_result_page(
    stack: Any, open_page: Any, state: ShopState, buyer: Buyer
) -> None:
    product = state.add_product("자개 명함집 (e2e)", price=15_000, stock=2)
    page = open_page(**PHONE)
    sign_in(page, stack.web_url, buyer.sub)
    add_to_cart(page, product.product_id)
    check_out(page)
    order = open_order(buyer.api)

    page.get_by_test_id("imp-pay").click()

    # Redirect mode: I'mport -> the API's m_redirect_url (reconcile) -> 302 to the site's result page.
    page.wait_for_url(f"{stack.web_url}/result?**", timeout=SLOW_STEP_MS)
    assert f"merchant_uid={order['merchant_uid']}" in page.url
    assert "status=" in page.url  # only the API's redirect adds it; the desktop callback does not
    expect(page.get_by_test_id("result-status")).to_have_text("Paid", timeout=SLOW_STEP_MS)
    screenshot(page, "mobile-redirect-paid")
    assert state.order(order["merchant_uid"])["status"] == "paid"
    assert state.stock(product.product_id) == 1


def test_order_paid_entirely_with_points_skips_the_payment_window(
    stack: Any, open_page: Any, state: ShopState, buyer: Buyer
) -> None:
    product = state.add_product("유자차 (e2e)", price=12_000, stock=3)
    state.grant_points(buyer.sub, 20_000)
    page = open_page()
    sign_in(page, stack.web_url, buyer.sub)
    add_to_cart(page, product.product_id)
    fill_checkout(page)
    expect(page.get_by_test_id("points-available")).to_have_text("20,000 P", timeout=SLOW_STEP_MS)
    page.get_by_test_id("points-use-all").click()
    expect(page.get_by_test_id("points-to-use")).to_have_value("12000")
    expect(page.get_by_test_id("checkout-amount")).to_have_text("₩0")
    page.get_by_test_id("place-order").click()

    expect(page.get_by_test_id("result-status")).to_have_text("Paid", timeout=SLOW_STEP_MS)
    expect(page.get_by_test_id("imp-sandbox-window")).to_have_count(0)
    expect(page.get_by_test_id("result-amount")).to_have_text("₩0")
    screenshot(page, "points-only-paid")
    merchant_uid = result_merchant_uid(page)
    stored = state.order(merchant_uid)
    assert (stored["status"], int(stored["amount"]), int(stored["points_used"])) == ("paid", 0, 12_000)
    assert state.stock(product.product_id) == 2
    assert state.balance(buyer.sub) == (8_000, 0)


def test_checkout_fields_are_labelled_and_their_errors_are_announced_beside_them(
    stack: Any, open_page: Any, state: ShopState, buyer: Buyer
) -> None:
    product = state.add_product("한과 세트 (e2e)", price=20_000, stock=1)
    state.grant_points(buyer.sub, 100)
    page = open_page()
    sign_in(page, stack.web_url, buyer.sub)
    add_to_cart(page, product.product_id)
    page.get_by_test_id("nav-cart").click()
    page.get_by_test_id("go-to-checkout").click()
    expect(page.get_by_test_id("points-available")).to_have_text("100 P", timeout=SLOW_STEP_MS)
    page.get_by_label("Points to use").fill("500")
    page.get_by_role("button", name="Place order and pay").click()

    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    for label in ("Name", "Email", "Phone", "Points to use"):
        field = page.get_by_label(label, exact=True)
        expect(field).to_have_attribute("aria-invalid", "true")
        message_id = field.get_attribute("aria-describedby")
        expect(page.locator(f"#{message_id}")).to_have_attribute("role", "alert")
    expect(page.get_by_test_id("points-error")).to_contain_text("at most 100 P")
    screenshot(page, "checkout-field-errors")
    # Nothing reached the server: no order, the cart and the stock are untouched.
    assert buyer.api.get("/orders?limit=1")["orders"] == []
    assert state.cart(buyer.sub) == {product.product_id: 1}
    assert state.stock(product.product_id) == 1


def test_a_mobile_decline_leaves_the_order_open_to_try_again_or_cancel(
    stack: Any, open_page: Any, state: ShopState, buyer: Buyer
) -> None:
    product = state.add_product("누룽지 (e2e)", price=6_000, stock=2)
    page = open_page(**PHONE)
    sign_in(page, stack.web_url, buyer.sub)
    add_to_cart(page, product.product_id)
    check_out(page)
    order = open_order(buyer.api)

    page.get_by_test_id("imp-fail").click()

    # The redirect carries no token: a failed attempt it reports never ends the order.
    page.wait_for_url(f"{stack.web_url}/result?**", timeout=SLOW_STEP_MS)
    expect(page.get_by_test_id("result-message")).to_have_text("Payment not completed.", timeout=SLOW_STEP_MS)
    expect(page.get_by_test_id("result-try-again")).to_be_visible()
    screenshot(page, "mobile-redirect-declined")
    assert state.order(order["merchant_uid"])["status"] == "ready"
    assert state.stock(product.product_id) == 1

    # The buyer gives it up: everything comes back at once.
    page.get_by_test_id("result-cancel").click()
    expect(page.get_by_test_id("result-status")).to_have_text("Payment failed", timeout=SLOW_STEP_MS)
    assert state.order(order["merchant_uid"])["status"] == "failed"
    assert state.stock(product.product_id) == 2
    assert state.cart(buyer.sub) == {product.product_id: 1}


def test_a_mobile_decline_then_try_again_pays_the_same_order(
    stack: Any, open_page: Any, state: ShopState, buyer: Buyer
) -> None:
    product = state.add_product("식혜 (e2e)", price=4_000, stock=2)
    page = open_page(**PHONE)
    sign_in(page, stack.web_url, buyer.sub)
    add_to_cart(page, product.product_id)
    check_out(page)
    order = open_order(buyer.api)
    page.get_by_test_id("imp-fail").click()
    page.wait_for_url(f"{stack.web_url}/result?**", timeout=SLOW_STEP_MS)

    page.get_by_test_id("result-try-again").click(timeout=SLOW_STEP_MS)
    page.get_by_test_id("imp-pay").click(timeout=SLOW_STEP_MS)

    expect(page.get_by_test_id("result-status")).to_have_text("Paid", timeout=SLOW_STEP_MS)
    stored = state.order(order["merchant_uid"])
    assert stored["status"] == "paid" and stored["merchant_uid"] == order["merchant_uid"]
    assert state.stock(product.product_id) == 1


def test_a_payment_window_that_cannot_load_leaves_the_order_open_to_try_again(
    stack: Any, open_page: Any, state: ShopState, buyer: Buyer
) -> None:
    product = state.add_product("유자차 (e2e)", price=5_000, stock=2)
    page = open_page()
    sign_in(page, stack.web_url, buyer.sub)
    add_to_cart(page, product.product_id)
    # I'mport's script cannot be fetched (a blocked CDN, a dropped connection).
    page.route("**/iamport.js", lambda route: route.abort())
    fill_checkout(page)
    page.get_by_test_id("place-order").click()

    page.wait_for_url(f"{stack.web_url}/result?**", timeout=SLOW_STEP_MS)
    expect(page.get_by_test_id("result-message")).to_have_text("Payment not completed.", timeout=SLOW_STEP_MS)
    expect(page.get_by_test_id("result-failure")).to_contain_text("could not be loaded")
    expect(page.get_by_test_id("result-cancel")).to_be_visible()
    order = open_order(buyer.api)
    assert state.order(order["merchant_uid"])["status"] == "ready"

    # The script is back: the same order is paid, and the old message is gone.
    page.unroute("**/iamport.js")
    page.get_by_test_id("result-try-again").click(timeout=SLOW_STEP_MS)
    expect(page.get_by_test_id("result-failure")).to_have_count(0)
    page.get_by_test_id("imp-pay").click(timeout=SLOW_STEP_MS)
    expect(page.get_by_test_id("result-status")).to_have_text("Paid", timeout=SLOW_STEP_MS)
    assert state.order(order["merchant_uid"])["status"] == "paid"


def test_cancelling_an_order_paid_meanwhile_shows_it_paid(
    stack: Any, open_page: Any, state: ShopState, buyer: Buyer
) -> None:
    product = state.add_product("보리차 (e2e)", price=3_000, stock=2)
    page = open_page(**PHONE)
    sign_in(page, stack.web_url, buyer.sub)
    add_to_cart(page, product.product_id)
    check_out(page)
    order = open_order(buyer.api)
    page.get_by_test_id("imp-fail").click()
    page.wait_for_url(f"{stack.web_url}/result?**", timeout=SLOW_STEP_MS)
    expect(page.get_by_test_id("result-cancel")).to_be_visible(timeout=SLOW_STEP_MS)

    # Another tab pays the same order, and its report is lost: the page still shows it open.
    paid = requests.post(
        f"{stack.sandbox_url}/sandbox/payments",
        json={"merchant_uid": order["merchant_uid"], "amount": order["amount"], "outcome": "paid"},
        timeout=10,
    )
    assert paid.status_code == 200, paid.text
    page.get_by_test_id("result-cancel").click()

    expect(page.get_by_test_id("result-status")).to_have_text("Paid", timeout=SLOW_STEP_MS)
    expect(page.get_by_test_id("result-error")).to_have_count(0)
    assert state.order(order["merchant_uid"])["status"] == "paid"


def test_placing_an_order_shows_a_busy_disabled_button_until_the_api_answers(
    stack: Any, open_page: Any, state: ShopState, buyer: Buyer
) -> None:
    product = state.add_product("유자차 (e2e)", price=9_000, stock=3)
    page = open_page()
    sign_in(page, stack.web_url, buyer.sub)
    add_to_cart(page, product.product_id)
    fill_checkout(page)

    # Hold POST /orders in the browser until the busy state has been seen.
    held: list[Any] = []
    page.route(
        f"{stack.api_url}/orders",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    button = page.get_by_test_id("place-order")
    button.click()
    expect(button).to_be_disabled()
    expect(button).to_have_attribute("aria-busy", "true")
    expect(button).to_have_text("Placing your order…")
    expect(page.locator("form.checkout")).to_have_attribute("aria-busy", "true")
    button.click(force=True)  # a second click while in flight places nothing more
    assert len(held) == 1 and buyer.api.get("/orders?limit=1")["orders"] == []

    held[0].continue_()
    expect(page.get_by_test_id("imp-sandbox-window")).to_be_visible(timeout=SLOW_STEP_MS)
    assert len(held) == 1
    screenshot(page, "checkout-busy-then-window")
    page.get_by_test_id("imp-close").click()
    expect(page.get_by_test_id("result-status")).to_be_visible(timeout=SLOW_STEP_MS)
    orders = buyer.api.get("/orders?limit=10")["orders"]
    assert [o["status"] for o in orders] == ["failed"]  # one order, ended by the cancel Inicis records


def test_points_history_shows_the_newest_entries_and_loads_older_ones_on_request(
    stack: Any, open_page: Any, state: ShopState, buyer: Buyer
) -> None:
    for points in range(1, 26):  # 25 grants, one more each time: the newest is the biggest
        state.grant_points(buyer.sub, points)
    page = open_page()
    sign_in(page, stack.web_url, buyer.sub)
    page.get_by_test_id("nav-points").click()

    entries = page.get_by_test_id("ledger-points")
    expect(entries).to_have_count(20, timeout=SLOW_STEP_MS)  # one page
    expect(entries.first).to_have_text("25 P")
    expect(page.get_by_test_id("points-available")).to_have_text("325 P")

    page.get_by_test_id("points-more").click()

    expect(entries).to_have_count(25, timeout=SLOW_STEP_MS)
    assert entries.all_inner_texts() == [f"{points} P" for points in range(25, 0, -1)]
    expect(page.get_by_test_id("points-more")).to_have_count(0)  # nothing older left
    screenshot(page, "points-history-more")
