"""Payment lookups (docs/iamport-v1.md#lookups, #payment-model): the full Payment model and every list
endpoint."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sandbox.control import SandboxControlError
from tests.support.imp_api import ImpApi

NOT_FOUND = "존재하지 않는 결제정보입니다."
PAYMENT_FIELDS = {
    "imp_uid": str,
    "merchant_uid": str,
    "pay_method": str,
    "channel": str,
    "pg_provider": str,
    "emb_pg_provider": (str, type(None)),
    "pg_tid": str,
    "pg_id": str,
    "escrow": bool,
    "apply_num": str,
    "bank_code": (str, type(None)),
    "bank_name": (str, type(None)),
    "card_code": str,
    "card_name": str,
    "card_issuer_code": (str, type(None)),
    "card_issuer_name": (str, type(None)),
    "card_publisher_code": (str, type(None)),
    "card_publisher_name": (str, type(None)),
    "card_quota": int,
    "card_number": str,
    "card_type": int,
    "vbank_code": type(None),
    "vbank_name": type(None),
    "vbank_num": type(None),
    "vbank_holder": type(None),
    "vbank_date": int,
    "vbank_issued_at": int,
    "name": str,
    "amount": int,
    "cancel_amount": int,
    "currency": str,
    "buyer_name": str,
    "buyer_email": str,
    "buyer_tel": str,
    "buyer_addr": type(None),
    "buyer_postcode": type(None),
    "custom_data": str,
    "user_agent": (str, type(None)),
    "status": str,
    "started_at": int,
    "paid_at": int,
    "failed_at": int,
    "cancelled_at": int,
    "fail_reason": type(None),
    "cancel_reason": type(None),
    "receipt_url": str,
    "cancel_history": list,
    "cancel_receipt_urls": list,
    "cash_receipt_issued": bool,
    "customer_uid": type(None),
    "customer_uid_usage": type(None),
    "promotion": type(None),
}


def test_paid_card_payment_carries_every_field_of_the_official_model(sandbox: Any, api: ImpApi) -> None:
    created = sandbox.control.pay(
        "order-model",
        15000,
        name="티셔츠 외 1건",
        buyer_name="홍길동",
        buyer_email="buyer@example.com",
        buyer_tel="010-1234-5678",
        custom_data={"cart": [1, 2]},
    )
    payment = api.payment(created["imp_uid"])
    assert payment == created
    assert set(payment) == set(PAYMENT_FIELDS)
    for name, expected in PAYMENT_FIELDS.items():
        assert isinstance(payment[name], expected), (name, payment[name])
    assert payment["status"] == "paid" and payment["paid_at"] > 0
    assert payment["failed_at"] == 0 and payment["cancelled_at"] == 0
    assert payment["vbank_date"] == 0 and payment["vbank_issued_at"] == 0
    assert json.loads(payment["custom_data"]) == {"cart": [1, 2]}
    assert payment["imp_uid"].startswith("imp_") and len(payment["imp_uid"]) == 16


def test_unknown_imp_uid_is_404_with_the_real_message(api: ImpApi) -> None:
    reply = api.call("GET", "/payments/imp_123456789012")
    assert reply.status_code == 404
    assert reply.json() == {"code": -1, "message": NOT_FOUND, "response": None}


def test_failed_then_paid_attempts_share_a_merchant_uid_and_a_third_attempt_is_refused(
    sandbox: Any, api: ImpApi
) -> None:
    failed = sandbox.control.fail("order-retry", 5000)
    paid = sandbox.control.pay("order-retry", 5000)
    assert failed["status"] == "failed" and failed["fail_reason"] and failed["failed_at"] > 0
    attempts = api.ok("GET", "/payments/findAll/order-retry")
    assert {p["imp_uid"] for p in attempts["list"]} == {failed["imp_uid"], paid["imp_uid"]}
    with pytest.raises(SandboxControlError) as refused:
        sandbox.control.pay("order-retry", 5000)
    assert refused.value.status == 409 and refused.value.error_code == "ALREADY_PAID"


def test_find_returns_the_latest_attempt_and_honours_status_and_sorting(sandbox: Any, api: ImpApi) -> None:
    first = sandbox.control.fail("order-find", 1000)
    sandbox.control.advance_clock(5)
    second = sandbox.control.pay("order-find", 1000)
    assert api.ok("GET", "/payments/find/order-find")["imp_uid"] == second["imp_uid"]
    assert (
        api.ok("GET", "/payments/find/order-find", params={"sorting": "started"})["imp_uid"]
        == first["imp_uid"]
    )
    assert api.ok("GET", "/payments/find/order-find/failed")["imp_uid"] == first["imp_uid"]
    none = api.call("GET", "/payments/find/order-find/cancelled")
    assert none.status_code == 404 and none.json()["message"] == NOT_FOUND
    bad = api.call("GET", "/payments/find/order-find/refunded")
    assert bad.status_code == 400 and bad.json()["message"] == "지원되지 않는 상태값입니다."
    assert api.call("GET", "/payments/find/order-find", params={"sorting": "amount"}).status_code == 400
    assert api.call("GET", "/payments/find/no-such-order").status_code == 404


def test_find_all_pages_through_attempts(sandbox: Any, api: ImpApi) -> None:
    for _ in range(3):
        sandbox.control.fail("order-pages", 1000)
    page1 = api.ok("GET", "/payments/findAll/order-pages", params={"limit": 2})
    assert (page1["total"], page1["previous"], page1["next"], len(page1["list"])) == (3, 0, 2, 2)
    page2 = api.ok("GET", "/payments/findAll/order-pages/failed", params={"limit": 2, "page": 2})
    assert (page2["total"], page2["previous"], page2["next"], len(page2["list"])) == (3, 1, 0, 1)
    assert api.call("GET", "/payments/findAll/order-pages/paid").status_code == 404
    assert api.call("GET", "/payments/findAll/order-pages", params={"limit": 1001}).status_code == 400


def test_multi_lookup_is_200_207_or_404_and_caps_at_100_ids(sandbox: Any, api: ImpApi) -> None:
    a = sandbox.control.pay("order-multi-a", 1000)
    b = sandbox.control.pay("order-multi-b", 2000)
    both = api.call(
        "GET", "/payments", params={"imp_uid[]": [a["imp_uid"]], "merchant_uid[]": ["order-multi-b"]}
    )
    assert both.status_code == 200
    assert [p["imp_uid"] for p in both.json()["response"]] == [a["imp_uid"], b["imp_uid"]]
    partial = api.call("GET", "/payments", params={"imp_uid[]": [a["imp_uid"], "imp_000000000000"]})
    assert partial.status_code == 207
    assert partial.json()["code"] == 0 and [p["imp_uid"] for p in partial.json()["response"]] == [
        a["imp_uid"]
    ]
    none = api.call("GET", "/payments", params={"imp_uid[]": ["imp_000000000000"]})
    assert none.status_code == 404 and none.json()["message"] == NOT_FOUND
    too_many = api.call("GET", "/payments", params={"imp_uid[]": [f"imp_{i:012d}" for i in range(101)]})
    assert too_many.status_code == 400 and too_many.json()["code"] == -1
    assert api.call("GET", "/payments").status_code == 400


def test_status_listing_pages_with_zero_for_no_page(sandbox: Any, api: ImpApi) -> None:
    paid = [sandbox.control.pay(f"order-status-{i}", 1000) for i in range(3)]
    sandbox.control.fail("order-status-failed", 1000)
    listing = api.ok("GET", "/payments/status/paid", params={"limit": 2})
    assert (listing["total"], listing["previous"], listing["next"]) == (3, 0, 2)
    assert {p["imp_uid"] for p in listing["list"]} <= {p["imp_uid"] for p in paid}
    everything = api.ok("GET", "/payments/status/all", params={"limit": 1000})
    assert everything["total"] == 4 and everything["next"] == 0
    assert api.ok("GET", "/payments/status/cancelled")["total"] == 0


def test_status_listing_rejects_bad_status_limit_and_windows_over_90_days(sandbox: Any, api: ImpApi) -> None:
    bad = api.call("GET", "/payments/status/refunded")
    assert bad.status_code == 400
    assert bad.json() == {"code": -1, "message": "지원되지 않는 상태값입니다.", "response": None}
    assert api.call("GET", "/payments/status/paid", params={"limit": 1001}).status_code == 400
    assert api.call("GET", "/payments/status/paid", params={"limit": 0}).status_code == 400
    now = sandbox.control.clock()["now"]
    wide = api.call("GET", "/payments/status/paid", params={"from": now - 91 * 86400, "to": now})
    assert wide.status_code == 400
    assert api.call("GET", "/payments/status/paid", params={"from": now, "to": now - 1}).status_code == 400


def test_status_listing_filters_on_the_time_of_the_current_status(sandbox: Any, api: ImpApi) -> None:
    old = sandbox.control.pay("order-old", 1000)
    sandbox.control.advance_clock(3600)
    now = sandbox.control.clock()["now"]
    recent = api.ok("GET", "/payments/status/paid", params={"from": now - 60, "to": now})
    assert recent["total"] == 0
    window = api.ok("GET", "/payments/status/paid", params={"from": old["paid_at"], "to": now})
    assert [p["imp_uid"] for p in window["list"]] == [old["imp_uid"]]
