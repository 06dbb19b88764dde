"""The two failure layers of I'mport V1 (HTTP status, then the envelope's code) map to typed errors that
keep the HTTP status, the code and the message."""

from __future__ import annotations

import json

import pytest

from checkout.errors import CheckoutError, GatewayUnavailable
from checkout.gateway import (
    CancelRejected,
    IamportAuthError,
    IamportError,
    IamportMalformedResponse,
    IamportNotFound,
    IamportRejected,
    IamportUnavailable,
    Payment,
    PaymentNotFound,
)
from checkout.gateway.envelope import parse_model, unwrap


def envelope(code: int, message: str | None, response: object = None) -> bytes:
    return json.dumps({"code": code, "message": message, "response": response}).encode()


def test_success_envelope_yields_its_response():
    assert unwrap(200, envelope(0, None, {"merchant_uid": "m1"})) == {"merchant_uid": "m1"}


def test_http_200_with_nonzero_code_is_a_rejection_keeping_code_and_message():
    with pytest.raises(IamportRejected) as caught:
        unwrap(200, envelope(1, "결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다)."))

    assert caught.value.http_status == 200
    assert caught.value.code == 1
    assert caught.value.message == "결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다)."


def test_cancel_refusal_uses_the_cancel_specific_error_class():
    with pytest.raises(CancelRejected) as caught:
        unwrap(200, envelope(1, "취소할 결제건이 존재하지 않습니다."), rejected=CancelRejected)

    assert (caught.value.code, caught.value.message) == (1, "취소할 결제건이 존재하지 않습니다.")
    assert caught.value.ambiguous is False
    assert isinstance(caught.value, IamportRejected)


def test_http_401_is_an_auth_error_with_the_body_kept():
    with pytest.raises(IamportAuthError) as caught:
        unwrap(401, envelope(-1, "Unauthorized"))

    assert (caught.value.http_status, caught.value.code, caught.value.message) == (401, -1, "Unauthorized")


def test_http_404_raises_the_lookup_specific_not_found_with_the_body_kept():
    with pytest.raises(PaymentNotFound) as caught:
        unwrap(404, envelope(-1, "존재하지 않는 결제정보입니다."), not_found=PaymentNotFound)

    assert caught.value.http_status == 404
    assert caught.value.message == "존재하지 않는 결제정보입니다."
    assert isinstance(caught.value, IamportNotFound)


def test_other_4xx_is_a_rejection():
    with pytest.raises(IamportRejected) as caught:
        unwrap(400, envelope(-1, "가상계좌가 아닙니다."))

    assert (caught.value.http_status, caught.value.code) == (400, -1)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_unavailable_and_a_checkout_gateway_unavailable(status):
    with pytest.raises(IamportUnavailable) as caught:
        unwrap(status, envelope(-1, "internal error"))

    error = caught.value
    assert isinstance(error, GatewayUnavailable) and isinstance(error, CheckoutError)
    assert isinstance(error, IamportError)
    assert error.http_status == status
    assert (error.iamport_code, error.iamport_message) == (-1, "internal error")
    # The checkout's public 502 face: what the API shows to a buyer.
    assert error.status == 502
    assert error.code == "payment_gateway_unavailable"
    assert "internal error" not in error.message


def test_5xx_with_an_html_body_is_unavailable():
    with pytest.raises(IamportUnavailable) as caught:
        unwrap(502, b"<html>Bad Gateway</html>")

    assert caught.value.http_status == 502 and caught.value.iamport_code is None


@pytest.mark.parametrize(
    "body", [b"<html>maintenance</html>", b"", b"[1,2]", b'{"response": {}}', b"\xff\xfe"]
)
def test_http_200_without_an_envelope_is_malformed(body):
    with pytest.raises(IamportMalformedResponse) as caught:
        unwrap(200, body)

    assert isinstance(caught.value, IamportUnavailable)
    assert caught.value.http_status == 200


def test_payload_breaking_the_model_is_malformed_without_echoing_values(payment_sample):
    # Given a bad amount and a buyer field of the wrong type holding personal data
    raw = payment_sample(amount=1000.5, buyer_email={"email": "private@example.com"})

    with pytest.raises(IamportMalformedResponse) as caught:
        parse_model(Payment, raw)

    text = str(caught.value) + repr(caught.value) + caught.value.iamport_message
    assert "amount" in text and "non-integral" in text and "buyer_email" in text
    assert "private@example.com" not in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_code_zero_with_null_response_is_malformed_for_a_model():
    with pytest.raises(IamportMalformedResponse):
        parse_model(Payment, unwrap(200, envelope(0, None, None)))
