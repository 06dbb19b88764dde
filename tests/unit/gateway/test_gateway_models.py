"""Reading I'mport's Payment: every field the checkout needs, tolerant of additions, strict on money."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from checkout.gateway import CancelHistoryEntry, Payment, PaymentStatus, PreparedAmount


def test_full_paid_payment_sample_parses_with_unknown_fields_ignored(payment_sample):
    # Given a documented payment plus a field I'mport might add tomorrow
    raw = payment_sample(promotion={"id": "promotion-id-1", "discount": 1000}, brand_new_field="x")

    payment = Payment.model_validate(raw)

    assert payment.imp_uid == "imp_448280090638"
    assert payment.merchant_uid == "order_20240101_0001"
    assert payment.amount == 27000 and isinstance(payment.amount, int)
    assert payment.cancel_amount == 0
    assert payment.currency == "KRW"
    assert payment.status == PaymentStatus.PAID and payment.is_paid
    assert payment.pay_method == "card" and payment.pg_provider == "html5_inicis"
    assert payment.name == "Coffee beans x2"
    assert payment.paid_at == 1704067260 and payment.started_at == 1704067200
    assert payment.receipt_url == "https://iniweb.inicis.com/receipt/1"
    assert payment.buyer_email == "buyer@example.com"
    assert payment.custom_data == '{"user_id":"u-1"}'
    assert not hasattr(payment, "brand_new_field")


def test_zero_timestamps_mean_unset_and_become_none(payment_sample):
    payment = Payment.model_validate(payment_sample())

    assert payment.failed_at is None
    assert payment.cancelled_at is None
    assert payment.vbank_date is None and payment.vbank_issued_at is None


def test_null_optional_fields_and_null_cancel_history_are_accepted(payment_sample):
    raw = payment_sample(
        pay_method=None,
        pg_provider=None,
        name=None,
        receipt_url=None,
        cancel_history=None,
        paid_at=None,
        custom_data=None,
        buyer_name=None,
    )

    payment = Payment.model_validate(raw)

    assert payment.cancel_history == []
    assert payment.paid_at is None and payment.pay_method is None
    assert payment.custom_data is None


def test_partially_cancelled_payment_keeps_history_and_cancellable_amount(payment_sample):
    raw = payment_sample(
        cancel_amount=5000,
        cancel_reason="one item returned",
        cancelled_at=1704070000,
        cancel_history=[
            {
                "pg_tid": "StdpayCARDcancel1",
                "amount": 5000,
                "cancelled_at": 1704070000,
                "reason": "one item returned",
                "cancellation_id": "cncl_1",
                "receipt_url": None,
                "some_future_field": 1,
            }
        ],
    )

    payment = Payment.model_validate(raw)

    assert payment.status == "paid"  # a partial cancel leaves a payment paid (docs/iamport-v1.md#cancel)
    assert payment.cancellable_amount == 22000
    assert payment.cancel_history == [
        CancelHistoryEntry(
            pg_tid="StdpayCARDcancel1",
            amount=5000,
            cancelled_at=1704070000,
            reason="one item returned",
            cancellation_id="cncl_1",
            receipt_url=None,
        )
    ]


def test_integral_json_numbers_become_int_krw(payment_sample):
    payment = Payment.model_validate(payment_sample(amount=27000.0, cancel_amount=1000.0))

    assert payment.amount == 27000 and type(payment.amount) is int
    assert payment.cancellable_amount == 26000


@pytest.mark.parametrize("amount", [27000.5, "100.25", 0.1])
def test_fractional_amount_is_refused_not_rounded(payment_sample, amount):
    with pytest.raises(ValidationError, match="non-integral KRW amount"):
        Payment.model_validate(payment_sample(amount=amount))


def test_fractional_cancel_history_amount_is_refused(payment_sample):
    raw = payment_sample(
        cancel_history=[
            {"pg_tid": "t", "amount": 10.5, "cancelled_at": 1, "reason": "r", "cancellation_id": "c"}
        ]
    )
    with pytest.raises(ValidationError, match="non-integral KRW amount"):
        Payment.model_validate(raw)


def test_boolean_amount_is_refused(payment_sample):
    with pytest.raises(ValidationError):
        Payment.model_validate(payment_sample(amount=True))


@pytest.mark.parametrize("missing", ["imp_uid", "merchant_uid", "amount", "status", "currency"])
def test_required_payment_fields_are_enforced(payment_sample, missing):
    raw = payment_sample()
    del raw[missing]
    with pytest.raises(ValidationError):
        Payment.model_validate(raw)


def test_vbank_payment_exposes_account_fields(payment_sample):
    raw = payment_sample(
        pay_method="vbank",
        status="ready",
        paid_at=0,
        vbank_code="088",
        vbank_name="신한은행",
        vbank_num="56211234567890",
        vbank_holder="(주)샵",
        vbank_date=1704326400,
        vbank_issued_at=1704067300,
    )

    payment = Payment.model_validate(raw)

    assert payment.is_vbank and not payment.is_paid
    assert payment.paid_at is None
    assert (payment.vbank_code, payment.vbank_name, payment.vbank_num, payment.vbank_holder) == (
        "088",
        "신한은행",
        "56211234567890",
        "(주)샵",
    )
    assert payment.vbank_date == 1704326400 and payment.vbank_issued_at == 1704067300


def test_custom_data_sent_as_object_is_kept_as_json_text(payment_sample):
    payment = Payment.model_validate(payment_sample(custom_data={"user_id": "u-1", "n": 2}))

    assert isinstance(payment.custom_data, str)
    assert json.loads(payment.custom_data) == {"user_id": "u-1", "n": 2}


def test_unknown_status_value_is_kept_not_rejected(payment_sample):
    payment = Payment.model_validate(payment_sample(status="pending"))

    assert payment.status == "pending" and not payment.is_paid


def test_payment_repr_leaves_out_buyer_personal_data(payment_sample):
    text = repr(Payment.model_validate(payment_sample()))

    assert "imp_448280090638" in text
    for personal in ("buyer@example.com", "010-1234-5678", "홍길동", "서울특별시", "u-1"):
        assert personal not in text


def test_prepared_amount_parses_and_refuses_fractions():
    prepared = PreparedAmount.model_validate({"merchant_uid": "m1", "amount": 1000.0, "currency": None})

    assert prepared == PreparedAmount(merchant_uid="m1", amount=1000, currency=None)
    with pytest.raises(ValidationError):
        PreparedAmount.model_validate({"merchant_uid": "m1", "amount": 999.9})
