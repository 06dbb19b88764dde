"""Injected faults, the controllable clock and reset (the control API, sandbox/README.md)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from sandbox.control import SandboxControlError
from tests.support.api import wait_until
from tests.support.imp_api import ImpApi


def test_http_500_fault_fails_matching_calls_count_times_without_side_effects(
    sandbox: Any, api: ImpApi
) -> None:
    paid = sandbox.control.pay("order-f1", 5000)
    sandbox.control.add_fault("^/payments/cancel$", "http_500", count=2)
    for _ in range(2):
        reply = api.call("POST", "/payments/cancel", json_body={"imp_uid": paid["imp_uid"]})
        assert reply.status_code == 500
        assert reply.json()["code"] == -1 and reply.json()["response"] is None
    assert api.payment(paid["imp_uid"])["status"] == "paid"  # other routes unaffected, nothing changed
    assert api.ok("POST", "/payments/cancel", json_body={"imp_uid": paid["imp_uid"]})["status"] == "cancelled"
    assert sandbox.control.faults()[0]["fired"] == 2


def test_timeout_fault_holds_the_reply_past_the_client_timeout(sandbox: Any, api: ImpApi) -> None:
    paid = sandbox.control.pay("order-f2", 5000)
    sandbox.control.add_fault(f"^/payments/{paid['imp_uid']}$", "timeout", count=1, delay_s=1.5)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        requests.get(
            f"{api.url}/payments/{paid['imp_uid']}", headers={"Authorization": api.token()}, timeout=0.5
        )
    assert time.monotonic() - started < 1.5
    assert api.payment(paid["imp_uid"])["imp_uid"] == paid["imp_uid"]  # the fault is used up


def test_a_timed_out_cancel_is_still_applied_late_like_a_lost_reply(sandbox: Any, api: ImpApi) -> None:
    paid = sandbox.control.pay("order-f3", 5000)
    sandbox.control.add_fault("^/payments/cancel$", "timeout", count=1, delay_s=0.5)
    with pytest.raises(requests.Timeout):
        requests.post(
            f"{api.url}/payments/cancel",
            json={"imp_uid": paid["imp_uid"], "checksum": 5000},
            headers={"Authorization": api.token()},
            timeout=0.2,
        )
    # The reply was lost, not the request: the cancel lands once the fault's delay has passed.
    wait_until(lambda: api.payment(paid["imp_uid"])["status"] == "cancelled", timeout_s=5, interval_s=0.05)
    retry = api.call("POST", "/payments/cancel", json_body={"imp_uid": paid["imp_uid"], "checksum": 5000})
    assert retry.json()["code"] == 1  # the checksum (or the full cancel) stops a double refund


def test_expire_token_fault_kills_the_token_early(sandbox: Any, api: ImpApi) -> None:
    old = api.token()
    sandbox.control.add_fault("^/payments/", "expire_token", count=1)
    reply = api.call("GET", "/payments/imp_000000000000")
    assert reply.status_code == 401
    fresh = requests.post(f"{sandbox.url}/users/getToken", json=sandbox.credentials, timeout=5).json()[
        "response"
    ]
    assert fresh["access_token"] != old
    again = requests.get(
        f"{sandbox.url}/payments/imp_000000000000",
        headers={"Authorization": fresh["access_token"]},
        timeout=5,
    )
    assert again.status_code == 404


def test_faults_never_touch_the_control_api(sandbox: Any) -> None:
    sandbox.control.add_fault(".*", "http_500", count=5)
    assert sandbox.control.pay("order-f4", 1000)["status"] == "paid"


def test_bad_fault_definitions_are_400(sandbox: Any) -> None:
    for route, kind, count in (("(", "http_500", 1), (".*", "explode", 1), (".*", "http_500", 0)):
        with pytest.raises(SandboxControlError) as refused:
            sandbox.control.add_fault(route, kind, count)
        assert refused.value.status == 400


def test_clock_moves_forward_only(sandbox: Any) -> None:
    before = sandbox.control.clock()
    after = sandbox.control.advance_clock(3600)
    assert after["now"] - before["now"] >= 3600 and after["offset_s"] == 3600
    with pytest.raises(SandboxControlError) as refused:
        sandbox.control.advance_clock(-1)
    assert refused.value.status == 400


def test_reset_forgets_payments_tokens_faults_clock_and_settings(sandbox: Any, api: ImpApi) -> None:
    paid = sandbox.control.pay("order-f5", 1000)
    api.token()  # cached by the client: it must stop working after the reset
    sandbox.control.add_fault("^/nothing$", "http_500")
    sandbox.control.advance_clock(100)
    sandbox.control.configure(webhook_copies=3, messages={"payment_not_found": "없음"})
    sandbox.control.reset()
    assert sandbox.control.payments() == [] and sandbox.control.faults() == []
    assert sandbox.control.clock()["offset_s"] == 0
    config = sandbox.control.config()
    assert config["webhook_copies"] == 1 and config["messages"] == {}
    assert api.call("GET", f"/payments/{paid['imp_uid']}").status_code == 401


def test_messages_are_configurable_for_undocumented_cases(sandbox: Any, api: ImpApi) -> None:
    sandbox.control.configure(messages={"cancel_checksum_mismatch": "checksum mismatch"})
    paid = sandbox.control.pay("order-f6", 1000)
    reply = api.call("POST", "/payments/cancel", json_body={"imp_uid": paid["imp_uid"], "checksum": 1})
    assert reply.json()["message"] == "checksum mismatch"
    with pytest.raises(SandboxControlError):
        sandbox.control.configure(messages={"no_such_message": "x"})


def test_bad_settings_are_400_and_change_nothing(sandbox: Any) -> None:
    for bad in (
        {"webhook_content_type": "xml"},
        {"webhook_retry_tries": 0},
        {"webhook_url": "ftp://x"},
        {"unknown": 1},
        {"webhook_order": "random"},
    ):
        with pytest.raises(SandboxControlError) as refused:
            sandbox.control.configure(**bad)
        assert refused.value.status == 400
    assert sandbox.control.config()["webhook_content_type"] == "json"
