"""The port's operations on the wire: routes, bodies, the idempotent prepare and the argument guards."""

from __future__ import annotations

import pytest

from checkout.gateway import IamportRejected, PaymentNotFound
from checkout.ports import PaymentGateway
from tests.support.fake_iamport import Reply, ok

DUPLICATE = Reply(
    200,
    {
        "code": 1,
        "message": "결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다).",
        "response": None,
    },
)


def test_adapter_satisfies_the_payment_gateway_port(make_gateway):
    assert isinstance(make_gateway(), PaymentGateway)


def test_find_payment_by_merchant_uid_with_and_without_status(fake_iamport, make_gateway, payment_sample):
    fake_iamport.on("GET", "/payments/find/order-1", ok(payment_sample(merchant_uid="order-1")))
    fake_iamport.on("GET", "/payments/find/order-1/paid", ok(payment_sample(merchant_uid="order-1")))
    gateway = make_gateway()

    assert gateway.find_payment("order-1").merchant_uid == "order-1"
    assert gateway.find_payment("order-1", "paid").merchant_uid == "order-1"


def test_find_payment_answers_none_when_nothing_matches(make_gateway):
    assert make_gateway().find_payment("order-unknown", "paid") is None


def test_find_payment_refuses_an_unknown_status(make_gateway):
    with pytest.raises(ValueError, match="unknown payment status"):
        make_gateway().find_payment("order-1", "all")


def test_ids_are_quoted_so_they_cannot_reach_another_route(fake_iamport, make_gateway):
    gateway = make_gateway()

    with pytest.raises(PaymentNotFound):
        gateway.get_payment("../users/getToken")

    assert fake_iamport.seen[-1].path == "/payments/..%2Fusers%2FgetToken"


def test_empty_imp_uid_is_not_found_without_a_call(fake_iamport, make_gateway):
    with pytest.raises(PaymentNotFound):
        make_gateway().get_payment("")

    assert fake_iamport.seen == []


def test_prepare_registers_the_amount(fake_iamport, make_gateway):
    fake_iamport.on(
        "POST", "/payments/prepare", ok({"merchant_uid": "order-1", "amount": 27000, "currency": None})
    )
    gateway = make_gateway()

    gateway.prepare("order-1", 27000)

    assert fake_iamport.calls("POST", "/payments/prepare")[0].body == {
        "merchant_uid": "order-1",
        "amount": 27000,
    }


def test_prepare_again_with_the_same_amount_is_a_no_op(fake_iamport, make_gateway):
    fake_iamport.on("POST", "/payments/prepare", DUPLICATE)
    fake_iamport.on("GET", "/payments/prepare/order-1", ok({"merchant_uid": "order-1", "amount": 27000}))
    gateway = make_gateway()

    gateway.prepare("order-1", 27000)

    assert fake_iamport.calls("PUT", "/payments/prepare") == []


def test_prepare_again_with_another_amount_updates_the_registration(fake_iamport, make_gateway):
    fake_iamport.on("POST", "/payments/prepare", DUPLICATE)
    fake_iamport.on("GET", "/payments/prepare/order-1", ok({"merchant_uid": "order-1", "amount": 30000}))
    fake_iamport.on("PUT", "/payments/prepare", ok({"merchant_uid": "order-1", "amount": 27000}))
    gateway = make_gateway()

    gateway.prepare("order-1", 27000)

    assert [c.body for c in fake_iamport.calls("PUT", "/payments/prepare")] == [
        {"merchant_uid": "order-1", "amount": 27000}
    ]


def test_prepare_refused_for_another_reason_raises_the_refusal(fake_iamport, make_gateway):
    fake_iamport.on(
        "POST",
        "/payments/prepare",
        Reply(200, {"code": -1, "message": "merchant_uid too long", "response": None}),
    )
    gateway = make_gateway()

    with pytest.raises(IamportRejected) as caught:
        gateway.prepare("order-1", 27000)

    assert caught.value.message == "merchant_uid too long"


def test_prepare_retried_after_a_lost_answer_converges(fake_iamport, make_gateway):
    # The first POST registered the amount but its answer was a 502: the retry sees the duplicate
    fake_iamport.on("POST", "/payments/prepare", Reply(502, b"Bad Gateway"), DUPLICATE)
    fake_iamport.on("GET", "/payments/prepare/order-1", ok({"merchant_uid": "order-1", "amount": 27000}))
    gateway = make_gateway()

    gateway.prepare("order-1", 27000)

    assert len(fake_iamport.calls("POST", "/payments/prepare")) == 2
    assert fake_iamport.calls("PUT", "/payments/prepare") == []


@pytest.mark.parametrize("amount", [0, -100, 100.0, True])
def test_prepare_and_cancel_refuse_amounts_that_are_not_positive_krw(make_gateway, amount):
    gateway = make_gateway()

    with pytest.raises(ValueError, match="positive integer"):
        gateway.prepare("order-1", amount)
    with pytest.raises(ValueError, match="positive integer"):
        gateway.cancel(imp_uid="imp_1", amount=amount, checksum=1000, reason="r")


def test_cancel_sends_refund_account_fields_for_a_paid_virtual_account(
    fake_iamport, make_gateway, payment_sample
):
    fake_iamport.on(
        "POST",
        "/payments/cancel",
        ok(payment_sample(pay_method="vbank", cancel_amount=27000, status="cancelled")),
    )
    gateway = make_gateway()

    payment = gateway.cancel(
        imp_uid="imp_1",
        amount=27000,
        checksum=27000,
        reason="refund",
        refund_holder="홍길동",
        refund_bank="88",
        refund_account="110123456789",
    )

    assert payment.status == "cancelled" and payment.cancellable_amount == 0
    assert fake_iamport.calls("POST", "/payments/cancel")[0].body == {
        "imp_uid": "imp_1",
        "amount": 27000,
        "checksum": 27000,
        "reason": "refund",
        "refund_holder": "홍길동",
        "refund_bank": "88",
        "refund_account": "110123456789",
    }


def test_void_vbank_deletes_the_account_and_returns_the_payment(fake_iamport, make_gateway, payment_sample):
    fake_iamport.on("DELETE", "/vbanks/imp_1", ok(payment_sample(pay_method="vbank", status="cancelled")))
    gateway = make_gateway()

    assert gateway.void_vbank("imp_1").status == "cancelled"
