"""Webhooks (docs/iamport-v1.md#webhooks): events, URL choice, content types, delivery modes, retries,
faults."""

from __future__ import annotations

import socket
import time
from typing import Any

from sandbox.control import SandboxControl
from sandbox.server import SandboxServer
from tests.support.imp_api import ImpApi, WebhookReceiver


def wait_until(predicate: Any, timeout_s: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhook"


def test_paid_payment_posts_json_to_its_notice_url(sandbox: Any, receiver: WebhookReceiver) -> None:
    paid = sandbox.control.pay("order-w1", 1000, notice_url=receiver.url)
    [hook] = receiver.wait_for(1)
    assert hook.path == "/iamport/webhook"
    assert hook.content_type == "application/json"
    assert hook.body == {"imp_uid": paid["imp_uid"], "merchant_uid": "order-w1", "status": "paid"}
    [record] = wait_until(lambda: [r for r in sandbox.control.webhooks() if r["state"] == "delivered"])
    assert record["status_code"] == 200 and record["attempts"][0]["status_code"] == 200


def test_form_content_type_is_a_per_server_setting(receiver: WebhookReceiver) -> None:
    with SandboxServer(webhook_url=receiver.url, webhook_content_type="form") as server:
        paid = SandboxControl(server.url).pay("order-w2", 1000)
    [hook] = receiver.wait_for(1)
    assert hook.content_type == "application/x-www-form-urlencoded"
    assert hook.body == {"imp_uid": paid["imp_uid"], "merchant_uid": "order-w2", "status": "paid"}


def test_content_type_can_be_switched_at_run_time(sandbox: Any, receiver: WebhookReceiver) -> None:
    sandbox.control.configure(webhook_content_type="form", webhook_url=receiver.url)
    sandbox.control.pay("order-w3", 1000)
    assert receiver.wait_for(1)[0].content_type == "application/x-www-form-urlencoded"


def test_notice_url_replaces_the_configured_url(
    sandbox: Any, receiver: WebhookReceiver, second_receiver: WebhookReceiver
) -> None:
    sandbox.control.configure(webhook_url=second_receiver.url)
    sandbox.control.pay("order-w4", 1000, notice_url=receiver.url)
    sandbox.control.pay("order-w5", 1000)
    assert [h.body["merchant_uid"] for h in receiver.wait_for(1)] == ["order-w4"]
    assert [h.body["merchant_uid"] for h in second_receiver.wait_for(1)] == ["order-w5"]
    time.sleep(0.2)
    assert len(receiver.received) == 1 and len(second_receiver.received) == 1


def test_failures_and_abandoned_windows_send_nothing(sandbox: Any, receiver: WebhookReceiver) -> None:
    sandbox.control.configure(webhook_url=receiver.url)
    sandbox.control.fail("order-w6", 1000)
    sandbox.control.abandon("order-w7", 1000)
    time.sleep(0.3)
    assert receiver.received == [] and sandbox.control.webhooks() == []


def test_api_cancels_notify_only_when_switched_on(
    sandbox: Any, api: ImpApi, receiver: WebhookReceiver
) -> None:
    sandbox.control.configure(webhook_url=receiver.url)
    first = sandbox.control.pay("order-w8", 1000)
    receiver.wait_for(1)
    api.ok("POST", "/payments/cancel", json_body={"imp_uid": first["imp_uid"]})
    time.sleep(0.3)
    assert len(receiver.received) == 1
    sandbox.control.configure(webhook_on_api_cancel=True)
    second = sandbox.control.pay("order-w9", 1000)
    cancelled = api.ok("POST", "/payments/cancel", json_body={"imp_uid": second["imp_uid"], "amount": 400})
    hooks = receiver.wait_for(3)
    # The second payment's `paid` and its cancel's notification leave on threads of their own: either may
    # arrive first. Exactly one cancel notification, for the API cancel made while switched on.
    assert [h.body for h in hooks if h.body.get("status") == "cancelled"] == [
        {
            "imp_uid": second["imp_uid"],
            "merchant_uid": "order-w9",
            "status": "cancelled",
            "cancellation_id": cancelled["cancel_history"][0]["cancellation_id"],
        }
    ]


def test_console_cancel_notifies_with_its_cancellation_id(sandbox: Any, receiver: WebhookReceiver) -> None:
    paid = sandbox.control.pay("order-w10", 10000, notice_url=receiver.url)
    partial = sandbox.control.console_cancel(paid["imp_uid"], amount=4000, reason="관리자 취소")
    assert partial["status"] == "paid" and partial["cancel_amount"] == 4000
    full = sandbox.control.console_cancel(paid["imp_uid"])
    assert full["status"] == "cancelled" and full["cancel_reason"] is not None
    hooks = receiver.wait_for(3)
    ids = [entry["cancellation_id"] for entry in full["cancel_history"]]
    assert [h.body.get("cancellation_id") for h in hooks] == [None, *ids]
    assert [h.body["status"] for h in hooks] == ["paid", "cancelled", "cancelled"]


def test_duplicate_mode_delivers_every_notification_twice(sandbox: Any, receiver: WebhookReceiver) -> None:
    sandbox.control.configure(webhook_url=receiver.url, webhook_copies=2)
    sandbox.control.pay("order-w11", 1000)
    first, second = receiver.wait_for(2)
    assert first.body == second.body


def test_delayed_mode_answers_the_api_first_and_notifies_later(
    sandbox: Any, receiver: WebhookReceiver
) -> None:
    sandbox.control.configure(webhook_url=receiver.url, webhook_delay_s=0.5)
    started = time.monotonic()
    sandbox.control.pay("order-w12", 1000)
    assert time.monotonic() - started < 0.4
    [hook] = receiver.wait_for(1)
    assert hook.at - started >= 0.5


def test_a_slow_merchant_endpoint_never_blocks_the_api(sandbox: Any, receiver: WebhookReceiver) -> None:
    receiver.delay_s = 1.0
    sandbox.control.configure(webhook_url=receiver.url)
    started = time.monotonic()
    sandbox.control.pay("order-w13", 1000)
    assert time.monotonic() - started < 0.5
    receiver.wait_for(1)


def test_dropped_mode_records_but_never_sends(sandbox: Any, receiver: WebhookReceiver) -> None:
    sandbox.control.configure(webhook_url=receiver.url, webhook_drop=True)
    sandbox.control.pay("order-w14", 1000)
    time.sleep(0.3)
    assert receiver.received == []
    assert [r["state"] for r in sandbox.control.webhooks()] == ["dropped"]


def test_webhook_first_order_delivers_before_the_result_is_returned(
    sandbox: Any, receiver: WebhookReceiver
) -> None:
    receiver.delay_s = 0.3
    sandbox.control.configure(webhook_url=receiver.url, webhook_order="webhook_first")
    sandbox.control.pay("order-w15", 1000)
    assert len(receiver.received) == 1  # already there when the window's result comes back


def test_browser_first_order_holds_the_webhook_until_released(
    sandbox: Any, receiver: WebhookReceiver
) -> None:
    sandbox.control.configure(webhook_url=receiver.url, webhook_order="browser_first")
    paid = sandbox.control.pay("order-w16", 1000)
    time.sleep(0.3)
    assert receiver.received == []
    assert sandbox.control.webhooks()[0]["state"] == "held"
    assert sandbox.control.release_webhooks(paid["imp_uid"]) == 1
    receiver.wait_for(1)


def test_browser_first_hold_ends_by_itself(sandbox: Any, receiver: WebhookReceiver) -> None:
    sandbox.control.configure(webhook_url=receiver.url, webhook_order="browser_first", webhook_hold_s=0.3)
    sandbox.control.pay("order-w17", 1000)
    receiver.wait_for(1, timeout_s=3)


def test_no_retry_by_default(sandbox: Any, receiver: WebhookReceiver) -> None:
    receiver.default_status = 500
    sandbox.control.configure(webhook_url=receiver.url)
    sandbox.control.pay("order-w18", 1000)
    receiver.wait_for(1)
    record = wait_until(lambda: [r for r in sandbox.control.webhooks() if r["state"] == "failed"])[0]
    assert record["status_code"] == 500 and len(record["attempts"]) == 1


def test_retry_mode_retries_5xx_until_200(sandbox: Any, receiver: WebhookReceiver) -> None:
    for status in (500, 503):
        receiver.replies.put(status)
    sandbox.control.configure(webhook_url=receiver.url, webhook_retry=True, webhook_retry_interval_s=0.05)
    sandbox.control.pay("order-w19", 1000)
    receiver.wait_for(3)
    record = wait_until(lambda: [r for r in sandbox.control.webhooks() if r["state"] == "delivered"])[0]
    assert [a["status_code"] for a in record["attempts"]] == [500, 503, 200]
    time.sleep(0.2)
    assert len(receiver.received) == 3


def test_retry_mode_gives_up_after_five_tries(sandbox: Any, receiver: WebhookReceiver) -> None:
    receiver.default_status = 502
    sandbox.control.configure(webhook_url=receiver.url, webhook_retry=True, webhook_retry_interval_s=0.02)
    sandbox.control.pay("order-w20", 1000)
    record = wait_until(lambda: [r for r in sandbox.control.webhooks() if r["state"] == "failed"])[0]
    assert len(record["attempts"]) == 5 and len(receiver.received) == 5


def test_retry_mode_does_not_retry_a_4xx(sandbox: Any, receiver: WebhookReceiver) -> None:
    receiver.default_status = 400
    sandbox.control.configure(webhook_url=receiver.url, webhook_retry=True, webhook_retry_interval_s=0.02)
    sandbox.control.pay("order-w21", 1000)
    record = wait_until(lambda: [r for r in sandbox.control.webhooks() if r["state"] == "failed"])[0]
    time.sleep(0.2)
    assert len(record["attempts"]) == 1 and len(receiver.received) == 1


def test_retry_mode_retries_network_errors(sandbox: Any) -> None:
    sandbox.control.configure(
        webhook_url=closed_port_url(),
        webhook_retry=True,
        webhook_retry_interval_s=0.02,
        webhook_retry_tries=3,
    )
    sandbox.control.pay("order-w22", 1000)
    record = wait_until(lambda: [r for r in sandbox.control.webhooks() if r["state"] == "failed"])[0]
    assert [a["status_code"] for a in record["attempts"]] == [None, None, None]
    assert all(a["error"] for a in record["attempts"])


def test_manual_resend_repeats_the_notification_to_the_original_url(
    sandbox: Any, receiver: WebhookReceiver, second_receiver: WebhookReceiver
) -> None:
    sandbox.control.configure(webhook_url=receiver.url)
    paid = sandbox.control.pay("order-w23", 1000)
    receiver.wait_for(1)
    sandbox.control.configure(webhook_url=second_receiver.url)
    resent = sandbox.control.resend_webhook(imp_uid=paid["imp_uid"])
    assert resent["event"] == "resend" and resent["url"] == receiver.url
    first, again = receiver.wait_for(2)
    assert first.body == again.body
    assert second_receiver.received == []


def test_drop_fault_loses_only_the_next_webhook(sandbox: Any, receiver: WebhookReceiver) -> None:
    sandbox.control.configure(webhook_url=receiver.url)
    sandbox.control.add_fault("/iamport/webhook$", "drop_webhook", count=1)
    sandbox.control.pay("order-w24", 1000)
    sandbox.control.pay("order-w25", 1000)
    receiver.wait_for(1)
    time.sleep(0.3)
    assert [h.body["merchant_uid"] for h in receiver.received] == ["order-w25"]
    states = [(r["merchant_uid"], r["state"]) for r in sandbox.control.webhooks()]
    assert states[0] == ("order-w24", "dropped")
    assert sandbox.control.faults()[0]["fired"] == 1


def test_duplicate_fault_repeats_only_the_next_webhook(sandbox: Any, receiver: WebhookReceiver) -> None:
    sandbox.control.configure(webhook_url=receiver.url)
    sandbox.control.add_fault(".*", "duplicate_webhook", count=1)
    sandbox.control.pay("order-w26", 1000)
    sandbox.control.pay("order-w27", 1000)
    receiver.wait_for(3)
    time.sleep(0.3)
    assert sorted(h.body["merchant_uid"] for h in receiver.received) == [
        "order-w26",
        "order-w26",
        "order-w27",
    ]


def test_delay_fault_lets_a_later_notification_overtake_an_earlier_one(
    sandbox: Any, receiver: WebhookReceiver
) -> None:
    # Out-of-order delivery: the account's `ready` arrives after the deposit's `paid`.
    sandbox.control.configure(webhook_url=receiver.url)
    sandbox.control.add_fault("/iamport/webhook$", "delay_webhook", count=1, delay_s=0.8)
    issued = sandbox.control.issue_vbank("order-w28", 5000)
    sandbox.control.deposit(issued["imp_uid"])
    first, second = receiver.wait_for(2, timeout_s=5)
    assert [first.body["status"], second.body["status"]] == ["paid", "ready"]
    assert second.at - first.at >= 0.5
    assert sandbox.control.faults()[0]["fired"] == 1
