"""The PortOne spec loader and its schema repair: each repair is needed, and none goes further."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from jsonschema import Draft4Validator

from tests.support.portone_spec import (
    BOGUS_REQUIRED,
    FIND_ALL_PATH,
    FIND_PATH,
    NUMERIC_KEYWORDS,
    PortOneSpec,
    adapt_definitions,
    load_raw_spec,
    load_spec,
)

# (spec path, method) -> the statuses the spec documents for it; the sandbox emulates all of these.
EMULATED_OPERATIONS = {
    ("/users/getToken", "post"): {200, 401},
    ("/payments/{imp_uid}", "get"): {200, 401, 404},
    ("/payments", "get"): {200, 207, 401, 404},
    (FIND_PATH, "get"): {200, 401, 404},
    (FIND_ALL_PATH, "get"): {200, 400, 401, 404},
    ("/payments/status/{payment_status}", "get"): {200, 400, 401},
    ("/payments/prepare", "post"): {200, 401},
    ("/payments/prepare", "put"): {200, 401, 404},
    ("/payments/prepare/{merchant_uid}", "get"): {200, 401},
    ("/payments/cancel", "post"): {200, 401},
    ("/vbanks", "post"): {200, 401},
    ("/vbanks/{imp_uid}", "put"): {200, 400, 401, 404},
    ("/vbanks/{imp_uid}", "delete"): {200, 400, 401, 404},
}


@pytest.fixture(scope="module")
def raw_spec() -> dict[str, Any]:
    return load_raw_spec()


@pytest.fixture(scope="module")
def spec() -> PortOneSpec:
    return load_spec()


@pytest.fixture(scope="module")
def unadapted(raw_spec: dict[str, Any]) -> PortOneSpec:
    return PortOneSpec(raw_spec, adapt=False)


def card_payment(**changes: Any) -> dict[str, Any]:
    """A paid card payment shaped like the live API's: every field present, unused ones null."""
    payment: dict[str, Any] = {
        name: None for name in load_raw_spec()["definitions"]["PaymentAnnotation"]["properties"]
    }
    payment.update(
        imp_uid="imp_448280090638",
        merchant_uid="order-20240101-0001",
        pay_method="card",
        channel="pc",
        pg_provider="html5_inicis",
        pg_tid="StdpayCARDINIpayTest20240101000000000001",
        pg_id="INIpayTest",
        escrow=False,
        apply_num="30012345",
        card_code="366",
        card_name="신한카드",
        card_quota=0,
        card_number="536181*********5",
        name="티셔츠 외 1건",
        amount=39000,
        cancel_amount=0,
        currency="KRW",
        buyer_name="홍길동",
        custom_data='{"cart":"c-1"}',
        status="paid",
        started_at=1704067200,
        paid_at=1704067260,
        failed_at=0,
        cancelled_at=0,
        vbank_date=0,
        vbank_issued_at=0,
        receipt_url="https://iniweb.inicis.com/receipt/1",
        cancel_history=[],
        cancel_receipt_urls=[],
        cash_receipt_issued=False,
    )
    payment.update(changes)
    return payment


def envelope(response: Any, code: int = 0, message: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "response": response}


def test_spec_is_the_swagger_2_document_with_every_emulated_operation_and_status(
    raw_spec: dict[str, Any],
) -> None:
    assert raw_spec["swagger"] == "2.0"
    for (path, method), statuses in EMULATED_OPERATIONS.items():
        documented = {int(code) for code in raw_spec["paths"][path][method]["responses"]}
        assert statuses <= documented, (method, path, documented)


# --- each repair is needed -------------------------------------------------------------------------


def test_raw_spec_writes_numeric_limits_as_strings_that_jsonschema_cannot_apply(
    raw_spec: dict[str, Any], unadapted: PortOneSpec
) -> None:
    payment_schema = raw_spec["definitions"]["PaymentAnnotation"]
    assert payment_schema["properties"]["imp_uid"]["maxLength"] == "32"
    with pytest.raises(jsonschema.SchemaError):
        Draft4Validator.check_schema(payment_schema)
    # Validation itself crashes comparing a length with "32", so no payment could ever pass.
    with pytest.raises(TypeError):
        unadapted.definition_validator("PaymentAnnotation").validate(card_payment())


def test_raw_spec_rejects_null_in_fields_the_api_leaves_null(unadapted: PortOneSpec) -> None:
    success_envelope = {"code": 0, "message": None}
    with pytest.raises(jsonschema.ValidationError, match="None is not of type 'string'"):
        unadapted.definition_validator("ResponseAnnotation").validate(success_envelope)
    cancel = {
        "pg_tid": "c-1",
        "amount": 1000,
        "reason": "고객 요청",
        "cancelled_at": 1704067300,
        "cancellation_id": "cn-1",
        "receipt_url": None,
    }
    with pytest.raises(jsonschema.ValidationError):
        unadapted.definition_validator("PaymentCancelAnnotation").validate(cancel)
    card_type = unadapted.raw["definitions"]["PaymentAnnotation"]["properties"]["card_type"]
    with pytest.raises(jsonschema.ValidationError):
        Draft4Validator(card_type).validate(None)


def test_raw_spec_requires_paging_fields_on_a_prepared_amount(unadapted: PortOneSpec) -> None:
    prepared = {"merchant_uid": "order-1", "amount": 39000, "currency": "KRW"}
    with pytest.raises(jsonschema.ValidationError, match="'total' is a required property"):
        unadapted.definition_validator("PaymentPrepareAnnotation").validate(prepared)


# --- the repaired schema accepts real responses -----------------------------------------------------


def test_adapted_schema_accepts_live_shaped_responses_of_every_kind(spec: PortOneSpec) -> None:
    Draft4Validator.check_schema(spec.definitions["PaymentAnnotation"])
    payment = card_payment()
    spec.validate("/payments/{imp_uid}", "get", 200, envelope(payment))
    spec.validate("/payments", "get", 207, envelope([payment]))
    spec.validate(
        FIND_ALL_PATH, "get", 200, envelope({"total": 1, "previous": 0, "next": 0, "list": [payment]})
    )
    spec.validate(
        "/payments/prepare", "post", 200, envelope({"merchant_uid": "o-1", "amount": 100, "currency": None})
    )
    spec.validate(
        "/users/getToken",
        "post",
        200,
        envelope({"access_token": "a" * 40, "now": 1704067200, "expired_at": 1704069000}),
    )
    spec.validate("/payments/cancel", "post", 200, envelope(None, 1, "취소할 결제건이 존재하지 않습니다."))
    spec.validate("/payments/{imp_uid}", "get", 404, envelope(None, -1, "존재하지 않는 결제정보입니다."))


# --- and is narrow ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "payment"),
    [
        ("imp_uid missing", {k: v for k, v in card_payment().items() if k != "imp_uid"}),
        ("status missing", {k: v for k, v in card_payment().items() if k != "status"}),
        ("required amount null", card_payment(amount=None)),
        ("amount as a string", card_payment(amount="39000")),
        ("timestamp as a string", card_payment(paid_at="1704067260")),
        ("timestamp as a float", card_payment(paid_at=1704067260.5)),
        ("imp_uid over 32 chars", card_payment(imp_uid="imp_" + "1" * 29)),
        ("custom_data as an object", card_payment(custom_data={"cart": "c-1"})),
        ("card_type as a string", card_payment(card_type="null")),
        (
            "cancel entry without cancellation_id",
            card_payment(cancel_history=[{"pg_tid": "c", "amount": 1, "reason": "r", "cancelled_at": 1}]),
        ),
    ],
)
def test_adapted_schema_still_rejects_a_wrong_payment(
    spec: PortOneSpec, label: str, payment: dict[str, Any]
) -> None:
    with pytest.raises(jsonschema.ValidationError):
        spec.validate("/payments/{imp_uid}", "get", 200, envelope(payment))


def test_adapted_schema_still_rejects_wrong_envelopes(spec: PortOneSpec) -> None:
    wrong = [
        ("/users/getToken", "post", 200, envelope({"now": 1, "expired_at": 2})),
        (FIND_ALL_PATH, "get", 200, envelope({"previous": 0, "next": 0, "list": []})),
        ("/payments/{imp_uid}", "get", 404, envelope(card_payment(), -1, "존재하지 않는 결제정보입니다.")),
        ("/payments/{imp_uid}", "get", 401, {"code": -1, "message": "Unauthorized"}),
        ("/payments/{imp_uid}", "get", 200, {"code": "0", "message": None, "response": None}),
        ("/payments", "get", 200, envelope(card_payment())),
        ("/payments/prepare", "post", 200, envelope({"merchant_uid": "o-1", "amount": "100"})),
    ]
    for path, method, status, body in wrong:
        with pytest.raises(jsonschema.ValidationError):
            spec.validate(path, method, status, body)


def _differences(
    raw: Any, adapted: Any, pointer: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], Any, Any]]:
    if raw == adapted:
        return []
    if isinstance(raw, dict) and isinstance(adapted, dict):
        if "anyOf" in adapted and "anyOf" not in raw:
            return [(pointer, raw, adapted)]
        found = []
        for key in raw.keys() | adapted.keys():
            if key in raw and key in adapted:
                found += _differences(raw[key], adapted[key], (*pointer, key))
            else:
                found.append(((*pointer, key), raw.get(key), adapted.get(key)))
        return found
    if isinstance(raw, list) and isinstance(adapted, list) and len(raw) == len(adapted):
        return [
            d
            for i, (r, a) in enumerate(zip(raw, adapted, strict=True))
            for d in _differences(r, a, (*pointer, str(i)))
        ]
    return [(pointer, raw, adapted)]


def _schema_at(root: dict[str, Any], pointer: tuple[str, ...]) -> Any:
    node: Any = root
    for part in pointer:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def test_adaptation_changes_only_the_three_known_defects(raw_spec: dict[str, Any]) -> None:
    raw = raw_spec["definitions"]
    adapted = adapt_definitions(copy.deepcopy(raw))
    seen = {"numeric": 0, "nullable": 0, "required": 0}
    for pointer, before, after in _differences(raw, adapted):
        if pointer[-1] in NUMERIC_KEYWORDS:
            assert isinstance(before, str) and after == int(before), pointer
            seen["numeric"] += 1
        elif pointer[-1] == "required":
            assert pointer == ("PaymentPrepareAnnotation", "required") and after is None, pointer
            assert tuple(before) == BOGUS_REQUIRED["PaymentPrepareAnnotation"]
            seen["required"] += 1
        else:
            # A property made nullable: either its type gains "null", or a bare $ref is wrapped.
            prop_pointer = pointer[:-1] if pointer[-1] == "type" else pointer
            assert prop_pointer[-2] == "properties", pointer
            owner = _schema_at(raw, prop_pointer[:-2])
            assert prop_pointer[-1] not in owner.get("required", []), (
                f"required field made nullable: {pointer}"
            )
            if pointer[-1] == "type":
                assert after == [before, "null"], pointer
            else:
                assert "$ref" in before and after == {"anyOf": [before, {"type": "null"}]}, pointer
            seen["nullable"] += 1
    assert all(seen.values()), seen
    # The adaptation leaves the raw spec untouched for the tests that need it.
    assert raw["PaymentAnnotation"]["properties"]["imp_uid"]["maxLength"] == "32"
