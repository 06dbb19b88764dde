"""Webhook bodies: JSON or form, plain or base64 as API Gateway hands them over."""

from __future__ import annotations

import base64
import json

import pytest

from checkout.api.payloads import body_text, form_or_json_fields, json_object
from checkout.errors import BadRequest


def _event(body, *, content_type=None, b64=False):
    headers = {"content-type": content_type} if content_type else {}
    return {"headers": headers, "body": body, "isBase64Encoded": b64}


NOTE = {"imp_uid": "imp_1", "merchant_uid": "ord_1", "status": "paid"}


def test_json_body_is_read():
    assert form_or_json_fields(_event(json.dumps(NOTE), content_type="application/json")) == NOTE


def test_form_body_is_read_plain_and_base64():
    form = "imp_uid=imp_1&merchant_uid=ord_1&status=paid"
    ct = "application/x-www-form-urlencoded; charset=UTF-8"
    assert form_or_json_fields(_event(form, content_type=ct)) == NOTE
    encoded = base64.b64encode(form.encode()).decode()
    assert form_or_json_fields(_event(encoded, content_type=ct, b64=True)) == NOTE


def test_without_a_content_type_the_body_shape_decides():
    assert form_or_json_fields(_event(json.dumps(NOTE))) == NOTE
    assert form_or_json_fields(_event("imp_uid=imp_1&merchant_uid=ord_1&status=paid")) == NOTE


def test_json_numbers_become_strings_and_nested_values_are_dropped():
    fields = form_or_json_fields(
        _event('{"imp_uid": "imp_1", "amount": 1000, "extra": {"a": 1}}', content_type="application/json")
    )
    assert fields == {"imp_uid": "imp_1", "amount": "1000"}


@pytest.mark.parametrize(
    ("body", "content_type", "b64"),
    [
        ("", "application/json", False),
        ("{not json", "application/json", False),
        ("[1, 2]", "application/json", False),
        ("just words", "text/plain", False),
        (base64.b64encode(b"\xff\xfe\xfd").decode(), "application/x-www-form-urlencoded", True),
        ("%%%not-base64%%%", "application/x-www-form-urlencoded", True),
    ],
)
def test_garbage_is_a_bad_request(body, content_type, b64):
    with pytest.raises(BadRequest) as info:
        form_or_json_fields(_event(body, content_type=content_type, b64=b64))
    assert info.value.status == 400


def test_body_text_decodes_base64_utf8():
    encoded = base64.b64encode("주문=1".encode()).decode()
    assert body_text({"body": encoded, "isBase64Encoded": True}) == "주문=1"


@pytest.mark.parametrize("text", ['[{"quantity": 5}]', '"text"', "5", "null", "[" * 100_000 + "]" * 100_000])
def test_a_body_that_is_not_a_json_object_is_malformed(text):
    with pytest.raises(BadRequest) as refused:
        json_object(text)
    assert refused.value.code == "malformed_body"


@pytest.mark.parametrize(
    "body",
    [
        '{"quantity": ' + "9" * 5000 + "}",  # past Python's own 4300-digit limit: once a 500
        '{"quantity": ' + "9" * 19 + "}",
        '{"quantity": -' + "9" * 19 + "}",
        '{"quantity": 1e999}',
        '{"quantity": 1e18}',
        '{"quantity": 0.' + "1" * 100 + "}",
        '{"quantity": NaN}',
        '{"quantity": Infinity}',
        '{"lines": [{"quantity": ' + "9" * 50 + "}]}",
    ],
)
def test_a_number_no_field_can_hold_is_a_400_not_a_crash(body):
    from checkout.api.payloads import json_object
    from checkout.errors import BadRequest

    with pytest.raises(BadRequest) as refused:
        json_object(body)
    assert refused.value.status == 400 and refused.value.code in ("number_out_of_range", "malformed_body")


def test_numbers_any_field_can_hold_still_parse():
    from checkout.api.payloads import json_object

    assert json_object('{"a": 999999999999999999, "b": -5, "c": 1.5, "d": 0}') == {
        "a": 999_999_999_999_999_999,
        "b": -5,
        "c": 1.5,
        "d": 0,
    }
