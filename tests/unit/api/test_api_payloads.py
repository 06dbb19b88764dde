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


@pytest.mark.parametrize("text", ['[{"quantity": 5}]', '"text"', "5", "null", "[" * 10_000 + "]" * 10_000])
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


# -- the limits, at their edges ---------------------------------------------------------------------


def test_the_number_limit_is_18_digits_either_sign():
    from checkout.api.payloads import MAX_NUMBER_DIGITS

    largest = int("9" * MAX_NUMBER_DIGITS)
    assert json_object(f'{{"a": {largest}, "b": -{largest}}}') == {"a": largest, "b": -largest}
    for text in (f'{{"a": {largest + 1}}}', f'{{"a": -{largest + 1}}}'):
        with pytest.raises(BadRequest) as refused:
            json_object(text)
        assert refused.value.code == "number_out_of_range"


@pytest.mark.parametrize(
    "number",
    # Written in more than 40 characters counts as too large, whatever the value: no amount needs them.
    ["1e999", "-1e999", "1e" + "9" * 5000, "1e18", "-1e18", "1." + "0" * 50, "0." + "0" * 5000 + "1"],
)
def test_a_float_that_is_not_finite_or_not_small_is_refused_while_parsing(number):
    with pytest.raises(BadRequest) as refused:
        json_object(f'{{"a": {number}}}')
    assert refused.value.status == 400 and refused.value.code == "number_out_of_range"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_the_non_json_literals_are_refused_wherever_they_are(literal):
    for text in (f'{{"a": {literal}}}', f'{{"a": [1, {{"b": {literal}}}]}}'):
        with pytest.raises(BadRequest) as refused:
            json_object(text)
        assert refused.value.code == "malformed_body"


def test_ordinary_floats_still_parse_for_validation_to_refuse():
    # A float where an integer belongs is the model's to refuse (422, naming the field), not the parser's.
    assert json_object('{"a": 1.5, "b": 1e17, "c": 1e-999}') == {"a": 1.5, "b": 1e17, "c": 0.0}


def _nested(depth: int) -> str:
    return '{"a": ' * (depth - 1) + "{}" + "}" * (depth - 1)


def test_nesting_is_bounded_at_max_depth():
    from checkout.api.payloads import MAX_DEPTH

    json_object(_nested(MAX_DEPTH))
    json_object('{"a": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}")
    for text in (_nested(MAX_DEPTH + 1), '{"a": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}"):
        with pytest.raises(BadRequest) as refused:
            json_object(text)
        assert refused.value.code == "malformed_body" and "deeply" in refused.value.message


@pytest.mark.parametrize("depth", [100, 5_000, 100_000])
def test_deep_nesting_of_any_size_is_refused_never_a_crash(depth):
    from checkout.errors import CheckoutError

    # Past the parser's own recursion limit it is the parser that stops; past 64 KiB, the size.
    for text in (_nested(depth), '{"a": ' + "[" * depth + "]" * depth + "}"):
        with pytest.raises(CheckoutError) as refused:
            json_object(text)
        assert (refused.value.status, refused.value.code) in (
            (400, "malformed_body"),
            (413, "body_too_large"),
        )


def test_the_body_limit_counts_utf8_bytes():
    from checkout.api.payloads import MAX_BODY_BYTES
    from checkout.errors import PayloadTooLarge

    frame = len('{"a": ""}')
    json_object('{"a": "' + "x" * (MAX_BODY_BYTES - frame) + '"}')
    for text in (
        '{"a": "' + "x" * (MAX_BODY_BYTES - frame + 1) + '"}',
        '{"a": "' + "가" * (MAX_BODY_BYTES // 3) + '"}',
    ):
        with pytest.raises(PayloadTooLarge) as refused:
            json_object(text)
        assert refused.value.status == 413 and refused.value.code == "body_too_large"


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"reason": "x" * 1_000_000}),
        '{"quantity": 1' + " " * 2_000_000 + "}",
        json.dumps({f"k{i}": i for i in range(100_000)}),
    ],
    ids=["one-mb-string", "two-mb-whitespace", "many-keys"],
)
def test_a_body_no_request_can_be_is_a_413(body):
    from checkout.errors import PayloadTooLarge

    with pytest.raises(PayloadTooLarge) as refused:
        json_object(body)
    assert refused.value.status == 413 and refused.value.code == "body_too_large"


def test_the_webhook_body_is_bounded_plain_or_base64_before_it_is_decoded():
    from checkout.api.payloads import MAX_BODY_BYTES
    from checkout.errors import PayloadTooLarge

    form = "imp_uid=imp_1&merchant_uid=ord_1&status=paid&pad=" + "x" * MAX_BODY_BYTES
    ct = "application/x-www-form-urlencoded"
    for event in (
        _event(form, content_type=ct),
        _event(base64.b64encode(form.encode()).decode(), content_type=ct, b64=True),
    ):
        with pytest.raises(PayloadTooLarge):
            form_or_json_fields(event)
    # Megabytes of base64 are refused by their length, without being decoded.
    with pytest.raises(PayloadTooLarge):
        body_text({"body": "!" * 10_000_000, "isBase64Encoded": True})


def test_a_webhook_form_has_a_bounded_number_of_fields():
    from checkout.api.payloads import MAX_FORM_FIELDS

    ct = "application/x-www-form-urlencoded"
    fields = [f"f{i}=1" for i in range(MAX_FORM_FIELDS - 3)]
    many = "&".join(["imp_uid=imp_1", "merchant_uid=ord_1", "status=paid", *fields])
    assert len(form_or_json_fields(_event(many, content_type=ct))) == MAX_FORM_FIELDS
    with pytest.raises(BadRequest) as refused:
        form_or_json_fields(_event(many + "&one=more", content_type=ct))
    assert refused.value.code == "malformed_body"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"imp_uid": ' + "9" * 5000 + ', "merchant_uid": "m", "status": "paid"}', "application/json"),
        ('{"imp_uid": "i", "merchant_uid": "m", "status": 1e999}', "application/json"),
        ('{"imp_uid": "i", "merchant_uid": "m", "status": NaN}', None),
    ],
)
def test_webhook_json_numbers_are_bounded_too(body, content_type):
    with pytest.raises(BadRequest) as refused:
        form_or_json_fields(_event(body, content_type=content_type))
    assert refused.value.status == 400


def test_webhook_form_values_stay_text_and_the_model_bounds_them():
    from pydantic import ValidationError

    from checkout.inputs import WebhookInput

    form = f"imp_uid={'9' * 5000}&merchant_uid=ord_1&status=1e999"
    fields = form_or_json_fields(_event(form, content_type="application/x-www-form-urlencoded"))
    assert fields["imp_uid"] == "9" * 5000 and fields["status"] == "1e999"  # never read as numbers
    with pytest.raises(ValidationError):
        WebhookInput.model_validate(fields)


def test_every_text_field_of_every_request_model_has_a_length_limit():
    """A new field without a limit fails here: every string the API accepts is bounded."""
    from pydantic import BaseModel

    from checkout import inputs

    models = [
        m
        for m in vars(inputs).values()
        if isinstance(m, type) and issubclass(m, BaseModel) and m is not BaseModel
    ]
    assert models
    unbounded = []
    for model in models:
        schema = model.model_json_schema()
        for definition in [schema, *schema.get("$defs", {}).values()]:
            for name, prop in definition.get("properties", {}).items():
                for option in prop.get("anyOf", [prop]):
                    text = option.get("type") == "string" and not {"enum", "const"} & set(option)
                    if text and "maxLength" not in option:
                        unbounded.append(f"{model.__name__}.{name}")
    assert not unbounded, unbounded
