"""Virtual accounts (docs/iamport-v1.md#vbanks): issue, edit, void, deposit and the due date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sandbox.control import SandboxControlError
from tests.support.imp_api import ImpApi, WebhookReceiver

KST = dt.timezone(dt.timedelta(hours=9))


def vbank_body(sandbox: Any, merchant_uid: str, **extra: Any) -> dict:
    due = sandbox.control.clock()["now"] + 3 * 86400
    return {
        "merchant_uid": merchant_uid,
        "amount": 25000,
        "vbank_code": "088",
        "vbank_due": due,
        "vbank_holder": "홍길동",
        "name": "주문",
        **extra,
    }


def test_api_issued_vbank_is_ready_with_account_details_and_notifies(
    sandbox: Any, api: ImpApi, receiver: WebhookReceiver
) -> None:
    body = vbank_body(sandbox, "order-v1", notice_url=receiver.url)
    issued = api.ok("POST", "/vbanks", json_body=body)
    assert (issued["status"], issued["pay_method"], issued["channel"]) == ("ready", "vbank", "api")
    assert (issued["vbank_code"], issued["vbank_name"], issued["vbank_holder"]) == (
        "088",
        "신한은행",
        "홍길동",
    )
    assert issued["vbank_num"] and issued["vbank_date"] == body["vbank_due"]
    assert issued["vbank_issued_at"] > 0 and issued["paid_at"] == 0
    [hook] = receiver.wait_for(1)
    assert hook.body == {"imp_uid": issued["imp_uid"], "merchant_uid": "order-v1", "status": "ready"}


def test_vbank_issue_validates_its_inputs(sandbox: Any, api: ImpApi) -> None:
    missing = api.call("POST", "/vbanks", json_body={"merchant_uid": "order-v2", "amount": 1000})
    assert missing.status_code == 400 and "vbank_code" in missing.json()["message"]
    bad_bank = api.call("POST", "/vbanks", json_body=vbank_body(sandbox, "order-v2", vbank_code="999"))
    assert bad_bank.status_code == 200 and bad_bank.json()["code"] == 1
    past = api.call("POST", "/vbanks", json_body=vbank_body(sandbox, "order-v2", vbank_due=1000))
    assert past.status_code == 200 and past.json()["code"] == 1
    sandbox.control.pay("order-v3", 1000)
    paid_uid = api.call("POST", "/vbanks", json_body=vbank_body(sandbox, "order-v3"))
    assert paid_uid.json()["code"] == 1 and paid_uid.json()["response"] is None


def test_vbank_edit_changes_amount_and_due_only_while_ready(sandbox: Any, api: ImpApi) -> None:
    issued = api.ok("POST", "/vbanks", json_body=vbank_body(sandbox, "order-v4"))
    new_due = issued["vbank_date"] + 86400
    edited = api.ok("PUT", f"/vbanks/{issued['imp_uid']}", json_body={"amount": 20000, "vbank_due": new_due})
    assert (edited["amount"], edited["vbank_date"]) == (20000, new_due)
    sandbox.control.deposit(issued["imp_uid"])
    late = api.call("PUT", f"/vbanks/{issued['imp_uid']}", json_body={"amount": 1000})
    assert late.status_code == 400 and late.json()["code"] == -1
    card = sandbox.control.pay("order-v5", 1000)
    assert api.call("PUT", f"/vbanks/{card['imp_uid']}", json_body={"amount": 1}).status_code == 400
    assert api.call("PUT", "/vbanks/imp_000000000000", json_body={"amount": 1}).status_code == 404


def test_vbank_void_cancels_it_and_blocks_the_deposit(sandbox: Any, api: ImpApi) -> None:
    issued = sandbox.control.issue_vbank("order-v6", 30000)
    voided = api.ok("DELETE", f"/vbanks/{issued['imp_uid']}")
    assert voided["status"] == "cancelled" and voided["cancelled_at"] > 0 and voided["cancel_history"] == []
    assert api.call("DELETE", f"/vbanks/{issued['imp_uid']}").status_code == 400
    with pytest.raises(SandboxControlError) as refused:
        sandbox.control.deposit(issued["imp_uid"])
    assert refused.value.status == 409
    # Nothing was paid, so the order may be paid afresh.
    assert sandbox.control.pay("order-v6", 30000)["status"] == "paid"


def test_issue_then_deposit_pays_and_sends_ready_then_paid(
    sandbox: Any, api: ImpApi, receiver: WebhookReceiver
) -> None:
    issued = sandbox.control.issue_vbank("order-v7", 30000, notice_url=receiver.url)
    assert issued["status"] == "ready" and issued["vbank_num"]
    receiver.wait_for(1)
    paid = sandbox.control.deposit(issued["imp_uid"])
    assert paid["status"] == "paid" and paid["paid_at"] > 0 and paid["pay_method"] == "vbank"
    assert api.payment(issued["imp_uid"]) == paid
    hooks = receiver.wait_for(2)
    assert [h.body["status"] for h in hooks] == ["ready", "paid"]


def test_deposit_after_the_due_date_is_refused(sandbox: Any) -> None:
    issued = sandbox.control.issue_vbank("order-v8", 30000)
    sandbox.control.advance_clock(issued["vbank_date"] - sandbox.control.clock()["now"] + 1)
    with pytest.raises(SandboxControlError) as refused:
        sandbox.control.deposit(issued["imp_uid"])
    assert refused.value.status == 409 and "입금기한" in refused.value.message


@pytest.mark.parametrize(
    ("vbank_due", "expected"),
    [
        ("2031-05-04", dt.datetime(2031, 5, 4, 23, 59, 59, tzinfo=KST)),
        ("20310504", dt.datetime(2031, 5, 4, 23, 59, 59, tzinfo=KST)),
        ("2031-05-04 13:30:00", dt.datetime(2031, 5, 4, 13, 30, tzinfo=KST)),
        ("20310504133000", dt.datetime(2031, 5, 4, 13, 30, tzinfo=KST)),
    ],
)
def test_browser_vbank_due_strings_set_the_due_date_in_korean_time(
    sandbox: Any, vbank_due: str, expected: dt.datetime
) -> None:
    issued = sandbox.control.issue_vbank(f"order-due-{vbank_due}", 1000, vbank_due=vbank_due)
    assert issued["vbank_date"] == int(expected.timestamp())


def test_vbank_without_due_date_gets_a_default_in_the_future(sandbox: Any) -> None:
    issued = sandbox.control.issue_vbank("order-v9", 1000)
    assert issued["vbank_date"] > sandbox.control.clock()["now"]


def test_a_malformed_vbank_due_is_refused_without_a_payment(sandbox: Any, api: ImpApi) -> None:
    with pytest.raises(SandboxControlError) as refused:
        sandbox.control.issue_vbank("order-v10", 1000, vbank_due="next friday")
    assert refused.value.status == 409 and "vbank_due" in refused.value.message
    assert api.call("GET", "/payments/find/order-v10").status_code == 404
