"""Pre-registration (docs/iamport-v1.md#prepare) and cancel/refund rules (docs/iamport-v1.md#cancel)."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.control import SandboxControlError
from tests.support.imp_api import ImpApi

PREPARE_NOT_FOUND = "사전등록된 결제정보가 존재하지 않습니다."


# --- prepare -----------------------------------------------------------------------------------


def test_prepare_registers_updates_and_reads_back_an_amount(api: ImpApi) -> None:
    created = api.ok("POST", "/payments/prepare", json_body={"merchant_uid": "order-p1", "amount": 12000})
    assert created == {"merchant_uid": "order-p1", "amount": 12000, "currency": None}
    updated = api.ok(
        "PUT", "/payments/prepare", form={"merchant_uid": "order-p1", "amount": "9000", "currency": "KRW"}
    )
    assert updated == {"merchant_uid": "order-p1", "amount": 9000, "currency": "KRW"}
    assert api.ok("GET", "/payments/prepare/order-p1") == updated


def test_prepare_twice_is_a_business_failure_with_the_real_message(api: ImpApi) -> None:
    api.ok("POST", "/payments/prepare", json_body={"merchant_uid": "order-p2", "amount": 1000})
    again = api.call("POST", "/payments/prepare", json_body={"merchant_uid": "order-p2", "amount": 2000})
    assert again.status_code == 200
    assert again.json() == {
        "code": 1,
        "message": "결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다).",
        "response": None,
    }
    assert api.ok("GET", "/payments/prepare/order-p2")["amount"] == 1000


def test_unknown_pre_registration_is_404_on_get_and_put(api: ImpApi) -> None:
    for reply in (
        api.call("GET", "/payments/prepare/order-none"),
        api.call("PUT", "/payments/prepare", json_body={"merchant_uid": "order-none", "amount": 1000}),
    ):
        assert reply.status_code == 404
        assert reply.json() == {"code": -1, "message": PREPARE_NOT_FOUND, "response": None}


def test_prepare_without_amount_is_a_clear_400(api: ImpApi) -> None:
    reply = api.call("POST", "/payments/prepare", json_body={"merchant_uid": "order-p3"})
    assert reply.status_code == 400 and "amount" in reply.json()["message"]
    reply = api.call("POST", "/payments/prepare", json_body={"merchant_uid": "order-p3", "amount": "lots"})
    assert reply.status_code == 400


def test_a_payment_that_differs_from_the_prepared_amount_never_happens(sandbox: Any, api: ImpApi) -> None:
    api.ok("POST", "/payments/prepare", json_body={"merchant_uid": "order-p4", "amount": 10000})
    with pytest.raises(SandboxControlError) as refused:
        sandbox.control.pay("order-p4", 100)
    assert refused.value.error_code == "PREPARE_MISMATCH" and refused.value.message
    assert api.call("GET", "/payments/find/order-p4").status_code == 404
    assert sandbox.control.webhooks() == []
    assert sandbox.control.pay("order-p4", 10000)["status"] == "paid"


def test_a_prepared_currency_must_match_too(sandbox: Any, api: ImpApi) -> None:
    api.ok(
        "POST", "/payments/prepare", json_body={"merchant_uid": "order-p5", "amount": 10, "currency": "USD"}
    )
    with pytest.raises(SandboxControlError):
        sandbox.control.pay("order-p5", 10, currency="KRW")
    assert sandbox.control.pay("order-p5", 10, currency="USD")["currency"] == "USD"


def test_force_simulates_a_tampered_payment_past_the_prepared_amount(sandbox: Any, api: ImpApi) -> None:
    api.ok("POST", "/payments/prepare", json_body={"merchant_uid": "order-p6", "amount": 10000})
    tampered = sandbox.control.pay("order-p6", 100, force=True)
    assert tampered["status"] == "paid" and tampered["amount"] == 100
    assert api.payment(tampered["imp_uid"])["amount"] == 100


# --- cancel ------------------------------------------------------------------------------------


def cancel(api: ImpApi, **body: Any) -> dict:
    reply = api.call("POST", "/payments/cancel", json_body=body)
    assert reply.status_code == 200  # cancel failures are business failures (docs/iamport-v1.md#failures)
    return reply.json()


def test_partial_cancels_keep_paid_until_the_last_won(sandbox: Any, api: ImpApi) -> None:
    paid = sandbox.control.pay("order-c1", 10000)
    first = cancel(api, imp_uid=paid["imp_uid"], amount=3000, checksum=10000, reason="사이즈 교환")[
        "response"
    ]
    assert (first["status"], first["cancel_amount"], first["cancelled_at"]) == ("paid", 3000, 0)
    entry = first["cancel_history"][0]
    assert entry["amount"] == 3000 and entry["reason"] == "사이즈 교환"
    assert entry["cancellation_id"] and entry["pg_tid"] and entry["receipt_url"] and entry["cancelled_at"] > 0
    rest = cancel(api, imp_uid=paid["imp_uid"], checksum=7000)["response"]  # no amount: the rest
    assert (rest["status"], rest["cancel_amount"]) == ("cancelled", 10000)
    assert rest["cancelled_at"] > 0 and len(rest["cancel_history"]) == 2
    assert rest["cancel_history"][1]["amount"] == 7000
    assert len({e["cancellation_id"] for e in rest["cancel_history"]}) == 2
    assert len(rest["cancel_receipt_urls"]) == 2


def test_a_stale_checksum_is_refused_and_changes_nothing(sandbox: Any, api: ImpApi) -> None:
    paid = sandbox.control.pay("order-c2", 10000)
    cancel(api, imp_uid=paid["imp_uid"], amount=1000, checksum=10000)
    stale = cancel(api, imp_uid=paid["imp_uid"], amount=1000, checksum=10000)
    assert stale["code"] != 0 and stale["response"] is None and stale["message"]
    after = api.payment(paid["imp_uid"])
    assert after["cancel_amount"] == 1000 and len(after["cancel_history"]) == 1


def test_zero_amount_cancels_the_remaining_balance(sandbox: Any, api: ImpApi) -> None:
    paid = sandbox.control.pay("order-c3", 8000)
    cancel(api, imp_uid=paid["imp_uid"], amount=3000)
    done = cancel(api, imp_uid=paid["imp_uid"], amount=0)["response"]
    assert done["status"] == "cancelled" and done["cancel_history"][-1]["amount"] == 5000


def test_more_than_the_remaining_balance_is_refused_like_the_pg_does(sandbox: Any, api: ImpApi) -> None:
    paid = sandbox.control.pay("order-c4", 5000)
    refused = cancel(api, imp_uid=paid["imp_uid"], amount=5001)
    assert refused["code"] == -1 and refused["message"].startswith("결제취소에 실패하였습니다.(")
    assert api.payment(paid["imp_uid"])["cancel_amount"] == 0


def test_imp_uid_wins_over_merchant_uid_even_when_it_is_wrong(sandbox: Any, api: ImpApi) -> None:
    paid = sandbox.control.pay("order-c5", 5000)
    wrong = cancel(api, imp_uid="imp_000000000000", merchant_uid="order-c5")
    assert wrong == {"code": 1, "message": "취소할 결제건이 존재하지 않습니다.", "response": None}
    assert api.payment(paid["imp_uid"])["status"] == "paid"
    by_merchant_uid = cancel(api, merchant_uid="order-c5")["response"]
    assert by_merchant_uid["imp_uid"] == paid["imp_uid"] and by_merchant_uid["status"] == "cancelled"


def test_cancel_by_merchant_uid_targets_the_paid_attempt(sandbox: Any, api: ImpApi) -> None:
    sandbox.control.fail("order-c6", 5000)
    paid = sandbox.control.pay("order-c6", 5000)
    sandbox.control.advance_clock(5)
    assert cancel(api, merchant_uid="order-c6")["response"]["imp_uid"] == paid["imp_uid"]


def test_cancel_refusals_use_the_real_messages(sandbox: Any, api: ImpApi) -> None:
    assert cancel(api, merchant_uid="order-missing")["message"] == "취소할 결제건이 존재하지 않습니다."
    neither = cancel(api, reason="no target")
    assert neither["code"] == 1 and neither["message"].endswith("지정해주셔야합니다.")
    paid = sandbox.control.pay("order-c7", 5000)
    cancel(api, imp_uid=paid["imp_uid"])
    again = cancel(api, imp_uid=paid["imp_uid"])
    assert again == {"code": 1, "message": "이미 전액취소된 주문입니다.", "response": None}
    failed = sandbox.control.fail("order-c8", 5000)
    assert cancel(api, imp_uid=failed["imp_uid"])["code"] == 1


def test_cancel_accepts_a_form_body_with_bracketed_extra(sandbox: Any, api: ImpApi) -> None:
    paid = sandbox.control.pay("order-c9", 5000)
    reply = api.call(
        "POST",
        "/payments/cancel",
        form={
            "imp_uid": paid["imp_uid"],
            "amount": "2000",
            "checksum": "5000",
            "reason": "고객 요청",
            "extra[requester]": "customer",
        },
    )
    body = reply.json()
    assert reply.status_code == 200 and body["code"] == 0
    assert body["response"]["cancel_amount"] == 2000 and body["response"]["cancel_reason"] == "고객 요청"


def test_paid_virtual_account_refund_needs_the_refund_account(sandbox: Any, api: ImpApi) -> None:
    vbank = sandbox.control.issue_vbank("order-c10", 30000)
    sandbox.control.deposit(vbank["imp_uid"])
    missing = cancel(api, imp_uid=vbank["imp_uid"], refund_holder="홍길동", refund_bank="88")
    assert missing["code"] == 1 and "refund_account" in missing["message"]
    assert api.payment(vbank["imp_uid"])["cancel_amount"] == 0
    done = cancel(
        api, imp_uid=vbank["imp_uid"], refund_holder="홍길동", refund_bank="88", refund_account="110123456789"
    )
    assert done["code"] == 0 and done["response"]["status"] == "cancelled"


def test_an_unpaid_virtual_account_cannot_be_cancelled_only_voided(sandbox: Any, api: ImpApi) -> None:
    vbank = sandbox.control.issue_vbank("order-c11", 30000)
    refused = cancel(api, imp_uid=vbank["imp_uid"], refund_holder="a", refund_bank="88", refund_account="1")
    assert refused["code"] == 1 and "/vbanks" in refused["message"]
    assert api.payment(vbank["imp_uid"])["status"] == "ready"


def test_a_partially_cancelled_payment_still_lists_as_paid(sandbox: Any, api: ImpApi) -> None:
    paid = sandbox.control.pay("order-c12", 5000)
    cancel(api, imp_uid=paid["imp_uid"], amount=1000)
    assert [p["imp_uid"] for p in api.ok("GET", "/payments/status/paid")["list"]] == [paid["imp_uid"]]
    assert api.ok("GET", "/payments/status/cancelled")["total"] == 0
