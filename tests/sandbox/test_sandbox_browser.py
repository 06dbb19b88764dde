"""The `IMP` shim in a real headless Chromium, loaded cross-origin from a shop page on another port."""

from __future__ import annotations

import datetime as dt
import functools
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import chromium_path
from tests.support.imp_api import ImpApi, WebhookReceiver

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed (make chromium)"),
]
PAGES = Path(__file__).with_name("pages")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def shop_url() -> Iterator[str]:
    """The shop's static site, on its own free port (so the shim runs cross-origin)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(PAGES)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def browser(chromium_browser: Any) -> Any:
    return chromium_browser


@pytest.fixture
def page(browser: Any, sandbox: Any, shop_url: str) -> Iterator[Any]:
    assert urllib.parse.urlsplit(shop_url).port != urllib.parse.urlsplit(sandbox.url).port
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.goto(f"{shop_url}/checkout.html?sandbox={urllib.parse.quote(sandbox.url)}")
    yield tab
    context.close()


# A phone's browser: the real SDK (and the sandbox) redirect there instead of calling back.
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def phone_page(browser: Any, sandbox: Any, shop_url: str) -> Iterator[Any]:
    context = browser.new_context(user_agent=IPHONE_UA, viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.goto(f"{shop_url}/checkout.html?sandbox={urllib.parse.quote(sandbox.url)}")
    yield tab
    context.close()


def start(page: Any, params: dict, merchant_code: str = "imp00000000") -> None:
    page.evaluate("([params, code]) => window.startPayment(params, code)", [params, merchant_code])


def callback(page: Any) -> dict:
    page.wait_for_function("window.callbacks.length > 0")
    return page.evaluate("window.callbacks[0]")


def order(merchant_uid: str, amount: int = 12000, **extra: Any) -> dict:
    return {
        "pg": "html5_inicis.INIpayTest",
        "pay_method": "card",
        "merchant_uid": merchant_uid,
        "name": "테스트 주문",
        "amount": amount,
        "buyer_name": "홍길동",
        "buyer_email": "buyer@example.com",
        "custom_data": {"cart_id": "c-1"},
        **extra,
    }


def test_window_is_a_labelled_overlay_with_the_four_buttons(page: Any) -> None:
    start(page, order("order-b0"))
    window = page.get_by_test_id("imp-sandbox-window")
    window.wait_for()
    assert "I'mport sandbox" in window.inner_text()
    assert "12,000" in window.inner_text()
    for test_id, label in (
        ("imp-pay", "카드 결제 (Pay by card)"),
        ("imp-fail", "결제 실패 (Fail)"),
        ("imp-close", "닫기 (Close)"),
        ("imp-vbank", "가상계좌 발급 (Issue virtual account)"),
    ):
        assert page.get_by_test_id(test_id).inner_text() == label


def test_pay_calls_back_with_the_paid_result_and_notifies(
    page: Any, api: ImpApi, sandbox: Any, receiver: WebhookReceiver
) -> None:
    start(page, order("order-b1", notice_url=receiver.url))
    page.get_by_test_id("imp-pay").click()
    rsp = callback(page)
    # The current SDK's rsp: no `success`/`imp_success`, no error fields on success, nothing null.
    assert "success" not in rsp and "imp_success" not in rsp
    assert "error_code" not in rsp and "error_msg" not in rsp
    assert None not in rsp.values()
    assert (rsp["merchant_uid"], rsp["paid_amount"], rsp["status"]) == ("order-b1", 12000, "paid")
    assert rsp["custom_data"] == '{"cart_id":"c-1"}'  # a string, as the API stores it
    assert page.get_by_test_id("imp-sandbox-window").count() == 0
    payment = api.payment(rsp["imp_uid"])
    assert payment["status"] == "paid" and payment["custom_data"] == '{"cart_id":"c-1"}'
    assert payment["user_agent"] and "Chrome" in payment["user_agent"]
    [hook] = receiver.wait_for(1)
    assert hook.body == {"imp_uid": rsp["imp_uid"], "merchant_uid": "order-b1", "status": "paid"}


def test_fail_marks_the_payment_failed_without_a_webhook(
    page: Any, api: ImpApi, sandbox: Any, receiver: WebhookReceiver
) -> None:
    start(page, order("order-b2", notice_url=receiver.url))
    page.get_by_test_id("imp-fail").click()
    rsp = callback(page)
    assert "success" not in rsp and rsp["error_code"] and rsp["error_msg"]
    payment = api.payment(rsp["imp_uid"])
    assert payment["status"] == "failed" and payment["fail_reason"] == rsp["error_msg"]
    assert sandbox.control.webhooks() == [] and receiver.received == []


def test_closing_an_inicis_window_records_the_payment_failed_with_the_buyers_cancel(
    page: Any, api: ImpApi, sandbox: Any, receiver: WebhookReceiver
) -> None:
    start(page, order("order-b3", notice_url=receiver.url))
    page.get_by_test_id("imp-close").click()
    rsp = callback(page)
    assert "사용자가 결제를 취소" in rsp["error_msg"] and rsp["error_code"]
    payment = api.payment(rsp["imp_uid"])
    assert payment["status"] == "failed" and payment["fail_reason"] == rsp["error_msg"]
    assert sandbox.control.webhooks() == [] and receiver.received == []


def test_closing_the_window_of_a_pg_that_records_nothing_leaves_the_payment_ready(
    page: Any, api: ImpApi
) -> None:
    start(page, order("order-b3k", pg="kcp.T0000"))
    page.get_by_test_id("imp-close").click()
    rsp = callback(page)
    assert "사용자가 결제를 취소" in rsp["error_msg"] and rsp["error_code"] == "SANDBOX_USER_CANCEL"
    payment = api.payment(rsp["imp_uid"])
    assert payment["status"] == "ready" and payment["fail_reason"] is None


def test_the_rsp_carries_the_pgs_own_code_and_message(page: Any, api: ImpApi) -> None:
    start(page, order("order-b3t", pg="tosspayments.tosstest"))
    page.get_by_test_id("imp-close").click()
    rsp = callback(page)
    assert (
        rsp["error_code"] == "PAY_PROCESS_CANCELED"
        and rsp["error_msg"] == "사용자에 의해 결제가 취소되었습니다."
    )
    assert api.payment(rsp["imp_uid"])["status"] == "ready"  # Toss's cancel records nothing at I'mport


def test_a_decline_reports_the_code_a_test_set_for_its_pg(page: Any, api: ImpApi, sandbox: Any) -> None:
    sandbox.control.configure(pg_errors={"html5_inicis": {"pg_declined": {"code": "V801"}}})
    try:
        start(page, order("order-b2c"))
        page.get_by_test_id("imp-fail").click()
        rsp = callback(page)
        assert rsp["error_code"] == "V801" and rsp["error_msg"] == "카드정보 인증에 실패하였습니다."
        assert api.payment(rsp["imp_uid"])["fail_reason"] == rsp["error_msg"]
    finally:
        sandbox.control.reset()


def test_what_closing_leaves_is_configured_per_pg(page: Any, api: ImpApi, sandbox: Any) -> None:
    sandbox.control.configure(close_outcome={"html5_inicis": "ready", "kcp": "failed"})
    try:
        config = sandbox.control.config()["close_outcome"]
        assert config["html5_inicis"] == "ready" and config["kcp"] == "failed"
        assert config["inicis_unified"] == "failed"  # PGs not named keep theirs
        start(page, order("order-b3c"))
        page.get_by_test_id("imp-close").click()
        assert api.payment(callback(page)["imp_uid"])["status"] == "ready"
    finally:
        sandbox.control.configure(close_outcome={"html5_inicis": "failed", "kcp": "ready"})


def test_vbank_issues_an_account_due_on_the_requested_day(
    page: Any, api: ImpApi, sandbox: Any, receiver: WebhookReceiver
) -> None:
    start(
        page, order("order-b4", pay_method="vbank", vbank_due="2031-05-04 13:30:00", notice_url=receiver.url)
    )
    page.get_by_test_id("imp-vbank").click()
    rsp = callback(page)
    assert "error_code" not in rsp and rsp["status"] == "ready" and rsp["vbank_num"] and rsp["vbank_name"]
    payment = api.payment(rsp["imp_uid"])
    assert payment["pay_method"] == "vbank" and payment["vbank_date"] == int(
        dt.datetime(2031, 5, 4, 13, 30, tzinfo=dt.timezone(dt.timedelta(hours=9))).timestamp()
    )
    assert receiver.wait_for(1)[0].body["status"] == "ready"
    assert sandbox.control.deposit(rsp["imp_uid"])["status"] == "paid"


def test_a_mismatched_prepared_amount_never_opens_the_window(page: Any, api: ImpApi, sandbox: Any) -> None:
    api.ok("POST", "/payments/prepare", json_body={"merchant_uid": "order-b5", "amount": 12000})
    start(page, order("order-b5", amount=100))
    rsp = callback(page)
    assert rsp["imp_uid"] is None and rsp["error_msg"] and rsp["error_code"]
    assert page.get_by_test_id("imp-sandbox-window").count() == 0
    assert sandbox.control.payments() == []


def test_on_a_pc_the_callback_gets_the_result_even_with_m_redirect_url(
    page: Any, api: ImpApi, shop_url: str
) -> None:
    """As the real SDK: every PG guide passes m_redirect_url, and a PC still gets its callback."""
    start(page, order("order-b5", m_redirect_url=f"{shop_url}/result.html"))
    page.get_by_test_id("imp-pay").click()
    rsp = callback(page)
    assert rsp["merchant_uid"] == "order-b5" and rsp["imp_uid"].startswith("imp_")
    assert "/checkout.html" in page.url  # no redirect
    assert api.payment(rsp["imp_uid"])["channel"] == "pc"


def test_the_pc_or_phone_decision_can_be_forced_for_a_test(page: Any, shop_url: str) -> None:
    page.evaluate("() => window.shimLoaded")
    page.evaluate("() => { IMP.sandbox.mode = 'mobile'; }")
    start(page, order("order-b5m", m_redirect_url=f"{shop_url}/result.html"))
    with page.expect_navigation():
        page.get_by_test_id("imp-pay").click()
    assert page.url.startswith(f"{shop_url}/result.html")


@pytest.mark.parametrize(("field", "value"), [("pay_method", "crad"), ("pg", "html5_inicsi.INIpayTest")])
def test_an_unknown_pay_method_or_pg_keeps_the_window_shut(
    page: Any, sandbox: Any, field: str, value: str
) -> None:
    start(page, order(f"order-bad-{field}", **{field: value}))
    rsp = callback(page)
    assert rsp["imp_uid"] is None and rsp["error_code"] and field in rsp["error_msg"]
    assert page.get_by_test_id("imp-sandbox-window").count() == 0
    assert sandbox.control.payments() == []


def test_legacy_success_adds_the_old_sdks_success_flags(page: Any, sandbox: Any) -> None:
    sandbox.control.configure(legacy_success=True)
    start(page, order("order-b4l"))
    page.get_by_test_id("imp-fail").click()
    rsp = callback(page)
    assert rsp["success"] is False and rsp["imp_success"] is False and rsp["error_code"]


def test_redirect_mode_sends_the_browser_to_m_redirect_url_instead_of_calling_back(
    phone_page: Any, api: ImpApi, shop_url: str
) -> None:
    page = phone_page
    start(page, order("order-b6", m_redirect_url=f"{shop_url}/result.html?from=shop"))
    with page.expect_navigation():
        page.get_by_test_id("imp-pay").click()
    assert page.url.startswith(f"{shop_url}/result.html")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    assert (
        query["from"] == ["shop"]
        and query["merchant_uid"] == ["order-b6"]
        and query["imp_success"] == ["true"]
    )
    assert "error_code" not in query
    assert api.payment(query["imp_uid"][0])["status"] == "paid"
    assert api.payment(query["imp_uid"][0])["channel"] == "mobile"
    assert page.get_by_test_id("query").inner_text().startswith("?")


def test_redirect_mode_failure_carries_the_error(phone_page: Any, shop_url: str) -> None:
    page = phone_page
    start(page, order("order-b7", m_redirect_url=f"{shop_url}/result.html"))
    with page.expect_navigation():
        page.get_by_test_id("imp-fail").click()
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    assert query["imp_success"] == ["false"] and query["error_code"] and query["error_msg"]
    assert query["imp_uid"][0].startswith("imp_")


def test_agency_is_an_alias_of_init_and_unknown_codes_are_refused(page: Any) -> None:
    page.evaluate("() => window.shimLoaded")
    page.evaluate(
        """(params) => new Promise((resolve) => {
            IMP.agency("imp99999999", "T01");
            IMP.request_pay(params, (rsp) => { window.callbacks.push(rsp); resolve(); });
        })""",
        order("order-b8"),
    )
    rsp = page.evaluate("window.callbacks[0]")
    assert rsp["imp_uid"] is None and rsp["error_code"] == "UNKNOWN_MERCHANT"
    page.evaluate(
        "(params) => { IMP.agency('imp00000000', 'T01'); IMP.request_pay(params, () => {}); }",
        order("order-b9"),
    )
    page.get_by_test_id("imp-sandbox-window").wait_for()


def test_browser_first_webhook_goes_once_the_page_has_its_result(
    page: Any, sandbox: Any, receiver: WebhookReceiver
) -> None:
    sandbox.control.configure(webhook_url=receiver.url, webhook_order="browser_first", webhook_hold_s=60)
    start(page, order("order-b10"))
    page.get_by_test_id("imp-pay").click()
    callback(page)
    assert receiver.wait_for(1, timeout_s=5)[0].body["merchant_uid"] == "order-b10"
