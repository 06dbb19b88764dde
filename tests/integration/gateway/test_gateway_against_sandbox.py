"""The I'mport V1 gateway against the sandbox: tokens over time, 401/500/timeout recovery, prepare,
lookups, checksum-guarded cancels and virtual-account voiding."""

from __future__ import annotations

import time

import pytest

from checkout.gateway import (
    CancelRejected,
    IamportRejected,
    IamportUnavailable,
    PaymentNotFound,
    PaymentStatus,
)

pytestmark = pytest.mark.integration


# -- token -------------------------------------------------------------------------------------------


def test_token_is_fetched_once_and_reused_across_calls(iamport):
    paid = iamport.pay(15000)

    for _ in range(3):
        assert iamport.gateway.get_payment(paid["imp_uid"]).amount == 15000

    assert iamport.token_calls() == 1


def test_token_is_refreshed_a_minute_before_expiry_and_the_server_extends_it(iamport):
    paid = iamport.pay(15000)
    first = iamport.gateway.access_token()

    iamport.advance(1700)  # 100 s left: still used as is
    iamport.gateway.get_payment(paid["imp_uid"])
    assert iamport.token_calls() == 1

    iamport.advance(50)  # 50 s left: inside the margin, so refreshed before use
    iamport.gateway.get_payment(paid["imp_uid"])
    assert iamport.token_calls() == 2
    # I'mport hands back the same token, extended by 5 minutes (docs/iamport-v1.md#token-lifetime)
    assert iamport.gateway.access_token() == first

    iamport.advance(200)  # past the original expiry, inside the extension: no 401, no new token
    iamport.gateway.get_payment(paid["imp_uid"])
    assert iamport.session.seen("GET", f"/payments/{paid['imp_uid']}") == [200, 200, 200]
    assert iamport.token_calls() == 2


def test_token_expired_on_the_server_is_replaced_after_one_401(iamport):
    paid = iamport.pay(15000)
    iamport.gateway.get_payment(paid["imp_uid"])

    # Only the sandbox's clock jumps (a container frozen between invocations thinks no time passed)
    iamport.control("POST", "/sandbox/clock", {"advance_s": 1900})
    payment = iamport.gateway.get_payment(paid["imp_uid"])

    assert payment.imp_uid == paid["imp_uid"]
    assert iamport.session.seen("GET", f"/payments/{paid['imp_uid']}") == [200, 401, 200]
    assert iamport.token_calls() == 2


def test_token_revoked_by_the_server_is_replaced_after_one_401(iamport):
    paid = iamport.pay(15000)
    iamport.gateway.get_payment(paid["imp_uid"])
    iamport.fault(r"^/payments/imp_", "expire_token")

    assert iamport.gateway.get_payment(paid["imp_uid"]).status == PaymentStatus.PAID
    assert iamport.session.seen("GET", f"/payments/{paid['imp_uid']}") == [200, 401, 200]
    assert iamport.token_calls() == 2


# -- transient failures ------------------------------------------------------------------------------


def test_lookup_survives_two_server_errors(iamport):
    paid = iamport.pay(15000)
    iamport.fault(r"^/payments/imp_", "http_500", count=2)

    assert iamport.gateway.get_payment(paid["imp_uid"]).amount == 15000
    assert iamport.session.seen("GET", f"/payments/{paid['imp_uid']}") == [500, 500, 200]


def test_lookup_survives_a_timeout(iamport):
    paid = iamport.pay(15000)
    iamport.fault(r"^/payments/find/", "timeout", delay_s=2.0)

    payment = iamport.gateway.find_payment(paid["merchant_uid"])

    assert payment is not None and payment.imp_uid == paid["imp_uid"]
    assert iamport.session.seen("GET", f"/payments/find/{paid['merchant_uid']}") == [None, 200]


def test_lookup_gives_up_with_gateway_unavailable_when_errors_persist(iamport):
    paid = iamport.pay(15000)
    iamport.fault(r"^/payments/imp_", "http_500", count=5)

    with pytest.raises(IamportUnavailable) as caught:
        iamport.gateway.get_payment(paid["imp_uid"])

    assert caught.value.http_status == 500
    assert len(iamport.session.seen("GET", f"/payments/{paid['imp_uid']}")) == 3


# -- prepare -----------------------------------------------------------------------------------------


def test_prepare_registers_the_amount_and_the_window_enforces_it(iamport):
    merchant_uid = iamport.merchant_uid()

    iamport.gateway.prepare(merchant_uid, 27000)

    prepared = iamport.gateway.get_prepared(merchant_uid)
    assert prepared is not None and (prepared.merchant_uid, prepared.amount) == (merchant_uid, 27000)
    tampered = iamport.control_raw(
        "POST", "/sandbox/payments", {"merchant_uid": merchant_uid, "amount": 100, "outcome": "paid"}
    )
    assert tampered.status_code == 409
    assert iamport.pay(27000, merchant_uid=merchant_uid)["status"] == "paid"


def test_prepare_again_with_the_same_amount_is_accepted_without_an_update(iamport):
    merchant_uid = iamport.merchant_uid()
    iamport.gateway.prepare(merchant_uid, 27000)

    iamport.gateway.prepare(merchant_uid, 27000)

    assert iamport.session.seen("POST", "/payments/prepare") == [200, 200]
    assert iamport.session.seen("PUT", "/payments/prepare") == []
    assert iamport.gateway.get_prepared(merchant_uid).amount == 27000


def test_prepare_again_with_a_new_amount_updates_the_registration(iamport):
    merchant_uid = iamport.merchant_uid()
    iamport.gateway.prepare(merchant_uid, 27000)

    iamport.gateway.prepare(merchant_uid, 25000)

    assert iamport.session.seen("PUT", "/payments/prepare") == [200]
    assert iamport.gateway.get_prepared(merchant_uid).amount == 25000


def test_unregistered_merchant_uid_has_no_prepared_amount(iamport):
    assert iamport.gateway.get_prepared("order-never-prepared") is None


# -- lookups -----------------------------------------------------------------------------------------


def test_get_and_find_return_the_same_paid_payment(iamport):
    paid = iamport.pay(31000)

    by_imp_uid = iamport.gateway.get_payment(paid["imp_uid"])
    by_merchant_uid = iamport.gateway.find_payment(paid["merchant_uid"])
    paid_only = iamport.gateway.find_payment(paid["merchant_uid"], "paid")

    assert by_imp_uid == by_merchant_uid == paid_only
    assert by_imp_uid.status == "paid" and by_imp_uid.amount == 31000 and by_imp_uid.currency == "KRW"
    assert by_imp_uid.paid_at is not None and by_imp_uid.failed_at is None and by_imp_uid.cancelled_at is None
    assert by_imp_uid.cancellable_amount == 31000


def test_find_in_another_status_or_for_an_unknown_order_is_none(iamport):
    paid = iamport.pay(31000)

    assert iamport.gateway.find_payment(paid["merchant_uid"], "failed") is None
    assert iamport.gateway.find_payment("order-unknown") is None


def test_failed_payment_reports_its_failure(iamport):
    failed = iamport.pay(31000, outcome="failed")

    payment = iamport.gateway.get_payment(failed["imp_uid"])

    assert payment.status == "failed" and payment.failed_at is not None and payment.paid_at is None
    assert payment.fail_reason


def test_unknown_imp_uid_is_payment_not_found_with_the_server_message(iamport):
    with pytest.raises(PaymentNotFound) as caught:
        iamport.gateway.get_payment("imp_000000000000")

    assert caught.value.http_status == 404
    assert caught.value.message == "존재하지 않는 결제정보입니다."


# -- cancel ------------------------------------------------------------------------------------------


def test_partial_then_full_cancel_with_checksums(iamport):
    paid = iamport.pay(30000)
    payment = iamport.gateway.get_payment(paid["imp_uid"])

    after_partial = iamport.gateway.cancel(
        imp_uid=payment.imp_uid, amount=10000, checksum=payment.cancellable_amount, reason="one item returned"
    )

    assert after_partial.status == "paid"
    assert after_partial.cancel_amount == 10000 and after_partial.cancellable_amount == 20000
    assert [(c.amount, c.reason) for c in after_partial.cancel_history] == [(10000, "one item returned")]
    assert after_partial.cancel_history[0].cancellation_id

    after_full = iamport.gateway.cancel(
        imp_uid=payment.imp_uid,
        amount=20000,
        checksum=after_partial.cancellable_amount,
        reason="rest returned",
    )

    assert after_full.status == "cancelled" and after_full.cancelled_at is not None
    assert after_full.cancellable_amount == 0
    assert [c.amount for c in after_full.cancel_history] == [10000, 20000]


def test_stale_checksum_is_rejected_with_code_and_message_and_changes_nothing(iamport):
    paid = iamport.pay(30000)
    iamport.gateway.cancel(imp_uid=paid["imp_uid"], amount=10000, checksum=30000, reason="first refund")

    # A replay that missed the first refund still believes 30000 is cancellable
    with pytest.raises(CancelRejected) as caught:
        iamport.gateway.cancel(
            imp_uid=paid["imp_uid"], amount=10000, checksum=30000, reason="replayed refund"
        )

    assert caught.value.http_status == 200
    assert caught.value.code not in (0, None)
    assert "checksum" in caught.value.message
    assert caught.value.ambiguous is False
    assert iamport.gateway.get_payment(paid["imp_uid"]).cancel_amount == 10000


def test_cancel_above_the_cancellable_amount_is_rejected(iamport):
    paid = iamport.pay(30000)

    with pytest.raises(CancelRejected) as caught:
        iamport.gateway.cancel(imp_uid=paid["imp_uid"], amount=40000, checksum=30000, reason="too much")

    assert caught.value.message.startswith("결제취소에 실패하였습니다.")


def test_cancel_with_checksum_survives_a_server_error_and_refunds_once(iamport):
    paid = iamport.pay(30000)
    iamport.fault(r"^/payments/cancel$", "http_500")

    refunded = iamport.gateway.cancel(imp_uid=paid["imp_uid"], amount=5000, checksum=30000, reason="refund")

    assert refunded.cancel_amount == 5000 and len(refunded.cancel_history) == 1
    assert iamport.session.seen("POST", "/payments/cancel") == [500, 200]


def test_cancel_with_checksum_retried_after_a_timeout_never_refunds_twice(iamport):
    paid = iamport.pay(30000)
    # The first request is held past the read timeout, then still processed by the server
    iamport.fault(r"^/payments/cancel$", "timeout", delay_s=1.5)

    refunded = iamport.gateway.cancel(imp_uid=paid["imp_uid"], amount=5000, checksum=30000, reason="refund")
    time.sleep(1.5)  # let the held first attempt reach the server: its checksum is stale by then

    assert refunded.cancel_amount == 5000
    final = iamport.gateway.get_payment(paid["imp_uid"])
    assert final.cancel_amount == 5000 and len(final.cancel_history) == 1


def test_cancel_without_checksum_is_not_repeated_after_a_timeout(iamport):
    paid = iamport.pay(30000)
    iamport.fault(r"^/payments/cancel$", "timeout", delay_s=1.5)

    with pytest.raises(IamportUnavailable):
        iamport.gateway.cancel(imp_uid=paid["imp_uid"], amount=5000, checksum=None, reason="refund")

    assert iamport.session.seen("POST", "/payments/cancel") == [None]
    time.sleep(1.5)
    assert iamport.gateway.get_payment(paid["imp_uid"]).cancel_amount == 5000  # exactly once


# -- virtual accounts --------------------------------------------------------------------------------


def test_void_an_unpaid_virtual_account(iamport):
    issued = iamport.pay(45000, outcome="vbank")
    vbank = iamport.gateway.get_payment(issued["imp_uid"])
    assert vbank.is_vbank and vbank.status == "ready" and vbank.paid_at is None
    assert vbank.vbank_num and vbank.vbank_date and vbank.vbank_issued_at

    voided = iamport.gateway.void_vbank(issued["imp_uid"])

    assert voided.imp_uid == issued["imp_uid"] and voided.status != "ready"
    with pytest.raises(IamportRejected) as caught:
        iamport.gateway.void_vbank(issued["imp_uid"])
    assert caught.value.http_status == 400


def test_unpaid_virtual_account_cannot_be_cancelled_only_voided(iamport):
    issued = iamport.pay(45000, outcome="vbank")

    with pytest.raises(CancelRejected):
        iamport.gateway.cancel(imp_uid=issued["imp_uid"], amount=45000, checksum=45000, reason="changed mind")


def test_void_of_an_unknown_virtual_account_is_not_found(iamport):
    with pytest.raises(PaymentNotFound):
        iamport.gateway.void_vbank("imp_000000000000")
