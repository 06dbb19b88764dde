"""The I'mport sandbox answers every emulated endpoint the way PortOne's official V1 spec says.

Every response, success or failure, is validated with jsonschema against the response schema the
spec gives that operation and status (statuses without a schema: the envelope with `response: null`),
after the narrow repair in tests/support/portone_spec.py. Behaviour the spec leaves to prose comes
from docs/iamport-v1.md (the assertions' messages name its sections by anchor).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from tests.support.iamport_wire import DEV_IMP_KEY, DEV_IMP_SECRET, IamportWire, Reply, new_merchant_uid
from tests.support.portone_spec import FIND_ALL_PATH, FIND_PATH, PortOneSpec, load_raw_spec, load_spec

NOT_FOUND = "존재하지 않는 결제정보입니다."
PREPARE_NOT_FOUND = "사전등록된 결제정보가 존재하지 않습니다."
PREPARE_DUPLICATE = "결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다)."
CANCEL_NOT_FOUND = "취소할 결제건이 존재하지 않습니다."
ALREADY_CANCELLED = "이미 전액취소된 주문입니다."
MISSING_CREDENTIALS = "imp_key, imp_secret 파라메터가 누락되었습니다."
BAD_STATUS = "지원되지 않는 상태값입니다."

TIMESTAMPS = ("started_at", "paid_at", "failed_at", "cancelled_at", "vbank_date", "vbank_issued_at")


@pytest.fixture(scope="module")
def spec() -> PortOneSpec:
    return load_spec()


@pytest.fixture
def wire(sandbox: Any) -> Iterator[IamportWire]:
    client = IamportWire(sandbox.url)
    try:
        yield client
    finally:
        client.close()


def conforms(spec: PortOneSpec, path: str, method: str, reply: Reply) -> Reply:
    """Validate the reply against the spec's schema for its status; return it for further checks."""
    assert isinstance(reply.body, dict), (
        f"{method} {path}: HTTP {reply.status} body is not JSON: {reply.body!r}"
    )
    assert {"code", "message", "response"} <= reply.body.keys(), f"envelope fields missing: {reply.body!r}"
    assert reply.headers.get("Content-Type", "").startswith("application/json"), reply.headers
    spec.validate(path, method, reply.status, reply.body)
    return reply


def succeeded(spec: PortOneSpec, path: str, method: str, reply: Reply, status: int = 200) -> Any:
    assert reply.status == status, (
        f"{method} {path}: expected HTTP {status}, got {reply.status} {reply.body!r}"
    )
    conforms(spec, path, method, reply)
    assert reply.code == 0 and reply.message is None, f"success envelope (#envelope): {reply.body!r}"
    assert reply.response is not None
    return reply.response


def failed(
    spec: PortOneSpec, path: str, method: str, reply: Reply, status: int, message: str | None = None
) -> None:
    assert reply.status == status, (
        f"{method} {path}: expected HTTP {status}, got {reply.status} {reply.body!r}"
    )
    conforms(spec, path, method, reply)
    assert reply.code != 0 and reply.response is None, f"failure envelope (#envelope): {reply.body!r}"
    if message is not None:
        assert reply.message == message, f"message: {reply.message!r} != {message!r}"


def assert_complete_payment(spec: PortOneSpec, payment: dict[str, Any]) -> None:
    """Every PaymentAnnotation property is present (maybe null); timestamps are ints, 0 when unset."""
    missing = spec.payment_properties - payment.keys()
    assert not missing, f"Payment lacks {sorted(missing)} (#payment-model: present-but-null, never absent)"
    for field in TIMESTAMPS:
        value = payment[field]
        assert type(value) is int and value >= 0, (
            f"{field}={value!r}: unix seconds, 0 when unset (#payment-model)"
        )
    assert payment["started_at"] > 0
    status = payment["status"]
    assert status in {"ready", "paid", "failed", "cancelled"}
    assert (payment["failed_at"] > 0) == (status == "failed"), payment
    if status in {"ready", "failed"}:
        assert payment["paid_at"] == 0 and payment["cancelled_at"] == 0, payment
    if status == "paid":
        assert payment["paid_at"] > 0, payment
    if status == "cancelled":
        assert payment["cancelled_at"] > 0, payment
    assert payment["custom_data"] is None or isinstance(payment["custom_data"], str)
    assert isinstance(payment["cancel_history"], list)
    assert sum(entry["amount"] for entry in payment["cancel_history"]) == payment["cancel_amount"]


def seed(wire: IamportWire, label: str, amount: int = 50000, outcome: str = "paid") -> dict[str, Any]:
    return wire.seed_payment(new_merchant_uid(label), amount, outcome, force=True)


def lookup(wire: IamportWire, spec: PortOneSpec, imp_uid: str) -> dict[str, Any]:
    payment = succeeded(spec, "/payments/{imp_uid}", "get", wire.call("GET", f"/payments/{imp_uid}"))
    assert_complete_payment(spec, payment)
    return payment


def test_real_sandbox_responses_fail_the_unrepaired_spec_and_pass_the_repaired_one(
    wire: IamportWire, spec: PortOneSpec
) -> None:
    raw = PortOneSpec(load_raw_spec(), adapt=False)
    payment = wire.call("GET", f"/payments/{seed(wire, 'raw-spec')['imp_uid']}")
    prepared = wire.call(
        "POST", "/payments/prepare", json={"merchant_uid": new_merchant_uid("raw"), "amount": 100}
    )
    for path, method, reply in (("/payments/{imp_uid}", "get", payment), (PREPARE, "post", prepared)):
        with pytest.raises((TypeError, jsonschema.ValidationError)):
            raw.validate(path, method, 200, reply.body)
        succeeded(spec, path, method, reply)


# --- POST /users/getToken (#tokens) -------------------------------------------------------

TOKEN = "/users/getToken"


def test_get_token_issues_a_30_minute_token_and_reuses_it(wire: IamportWire, spec: PortOneSpec) -> None:
    first = succeeded(spec, TOKEN, "post", wire.get_token(imp_key=DEV_IMP_KEY, imp_secret=DEV_IMP_SECRET))
    assert first["expired_at"] - first["now"] == 1800, first
    form = wire.call("POST", TOKEN, data={"imp_key": DEV_IMP_KEY, "imp_secret": DEV_IMP_SECRET}, auth=False)
    again = succeeded(spec, TOKEN, "post", form)
    assert (again["access_token"], again["expired_at"]) == (first["access_token"], first["expired_at"]), (
        "a still-valid token is returned unchanged (#token-lifetime)"
    )


def test_get_token_with_a_wrong_secret_is_a_401_envelope(wire: IamportWire, spec: PortOneSpec) -> None:
    failed(spec, TOKEN, "post", wire.get_token(imp_key=DEV_IMP_KEY, imp_secret="not-the-secret"), 401)


def test_get_token_without_credentials_names_the_missing_parameters(
    wire: IamportWire, spec: PortOneSpec
) -> None:
    reply = wire.get_token()
    assert reply.status in {200, 400} and reply.status != 401, "missing credentials are not a 401 (#tokens)"
    if reply.status == 200:
        failed(spec, TOKEN, "post", reply, 200, MISSING_CREDENTIALS)
    else:
        spec.validate_error_envelope(reply.body)
        assert reply.code != 0 and reply.message == MISSING_CREDENTIALS


def test_an_expired_token_is_refused_and_get_token_then_issues_a_new_one(
    wire: IamportWire, spec: PortOneSpec
) -> None:
    issued = succeeded(spec, TOKEN, "post", wire.get_token(imp_key=DEV_IMP_KEY, imp_secret=DEV_IMP_SECRET))
    wire.advance_clock(1801)
    stale = wire.call("GET", "/payments/status/paid", headers={"Authorization": issued["access_token"]})
    failed(spec, STATUS, "get", stale, 401)
    fresh = succeeded(spec, TOKEN, "post", wire.get_token(imp_key=DEV_IMP_KEY, imp_secret=DEV_IMP_SECRET))
    assert fresh["access_token"] != issued["access_token"] and fresh["expired_at"] - fresh["now"] == 1800


def test_get_token_in_the_last_minute_extends_the_same_token_by_5_minutes(
    wire: IamportWire, spec: PortOneSpec
) -> None:
    issued = succeeded(spec, TOKEN, "post", wire.get_token(imp_key=DEV_IMP_KEY, imp_secret=DEV_IMP_SECRET))
    wire.advance_clock(1800 - 30)
    extended = succeeded(spec, TOKEN, "post", wire.get_token(imp_key=DEV_IMP_KEY, imp_secret=DEV_IMP_SECRET))
    assert extended["access_token"] == issued["access_token"]
    assert extended["expired_at"] == issued["expired_at"] + 300, (
        "#token-lifetime: within 1 minute of expiry, +5 minutes"
    )


# --- tokens on protected routes (#token-header, #tokens) ----------------------------------

PROTECTED = [
    ("GET", "/payments/imp_000000000000", "/payments/{imp_uid}", "get"),
    ("GET", "/payments?imp_uid[]=imp_000000000000", "/payments", "get"),
    ("GET", "/payments/find/ct-none", FIND_PATH, "get"),
    ("GET", "/payments/find/ct-none/paid", FIND_PATH, "get"),
    ("GET", "/payments/findAll/ct-none", FIND_ALL_PATH, "get"),
    ("GET", "/payments/findAll/ct-none/paid", FIND_ALL_PATH, "get"),
    ("GET", "/payments/status/paid", "/payments/status/{payment_status}", "get"),
    ("POST", "/payments/prepare", "/payments/prepare", "post"),
    ("PUT", "/payments/prepare", "/payments/prepare", "put"),
    ("GET", "/payments/prepare/ct-none", "/payments/prepare/{merchant_uid}", "get"),
    ("POST", "/payments/cancel", "/payments/cancel", "post"),
    ("POST", "/vbanks", "/vbanks", "post"),
    ("PUT", "/vbanks/imp_000000000000", "/vbanks/{imp_uid}", "put"),
    ("DELETE", "/vbanks/imp_000000000000", "/vbanks/{imp_uid}", "delete"),
]


@pytest.mark.parametrize(("method", "url", "spec_path", "spec_method"), PROTECTED)
def test_every_protected_route_answers_401_without_a_valid_token(
    wire: IamportWire, spec: PortOneSpec, method: str, url: str, spec_path: str, spec_method: str
) -> None:
    body = {"merchant_uid": "ct-none", "amount": 1000}
    failed(spec, spec_path, spec_method, wire.call(method, url, json=body, auth=False), 401)
    unknown = wire.call(method, url, json=body, headers={"Authorization": "0" * 40})
    failed(spec, spec_path, spec_method, unknown, 401)


def test_raw_bearer_and_legacy_token_headers_are_all_accepted(wire: IamportWire, spec: PortOneSpec) -> None:
    payment = seed(wire, "headers")
    url = f"/payments/{payment['imp_uid']}"
    token = wire.token()
    for headers in (
        {"Authorization": token},
        {"Authorization": f"Bearer {token}"},
        {"X-ImpTokenHeader": token},
    ):
        reply = wire.call("GET", url, headers=headers, auth=False)
        assert succeeded(spec, "/payments/{imp_uid}", "get", reply)["imp_uid"] == payment["imp_uid"], headers
    both = wire.call("GET", url, headers={"Authorization": "0" * 40, "X-ImpTokenHeader": token}, auth=False)
    # Authorization wins over X-ImpTokenHeader (#token-header).
    failed(spec, "/payments/{imp_uid}", "get", both, 401)


MALFORMED = [
    ("POST", "/payments/prepare", {"merchant_uid": "ct-malformed"}),
    ("POST", "/payments/prepare", {"merchant_uid": "ct-malformed", "amount": "abc"}),
    ("PUT", "/payments/prepare", {"merchant_uid": "ct-malformed"}),
    ("POST", "/vbanks", {"merchant_uid": "ct-malformed", "amount": 1000}),
    ("GET", "/payments", None),
]


@pytest.mark.parametrize(("method", "url", "body"), MALFORMED)
def test_malformed_requests_get_an_error_envelope_never_a_server_error(
    wire: IamportWire, spec: PortOneSpec, method: str, url: str, body: Any
) -> None:
    # The spec documents no status for bad parameters on these operations; whatever the status, the
    # body must still be the envelope with code != 0 and response null (docs/iamport-v1.md#failures,
    # #envelope).
    reply = wire.call(method, url, json=body)
    assert reply.status in {200, 400}, f"{method} {url}: HTTP {reply.status} {reply.body!r}"
    spec.validate_error_envelope(reply.body)
    assert reply.code != 0 and isinstance(reply.message, str) and reply.message


# --- GET /payments/{imp_uid} (#lookup) ----------------------------------------------------


@pytest.mark.parametrize("outcome", ["paid", "failed", "vbank"])
def test_payment_lookup_returns_a_complete_payment_for_each_outcome(
    wire: IamportWire, spec: PortOneSpec, outcome: str
) -> None:
    seeded = seed(wire, outcome, 32000, outcome)
    payment = lookup(wire, spec, seeded["imp_uid"])
    assert (payment["merchant_uid"], payment["amount"], payment["cancel_amount"]) == (
        seeded["merchant_uid"],
        32000,
        0,
    )
    assert payment["currency"] == "KRW"
    expected = {"paid": "paid", "failed": "failed", "vbank": "ready"}[outcome]
    assert payment["status"] == expected
    if outcome == "failed":
        assert payment["fail_reason"], "a failed payment says why (#status-lifecycle)"
    if outcome == "vbank":
        assert payment["pay_method"] == "vbank"
        for field in ("vbank_code", "vbank_name", "vbank_num", "vbank_holder"):
            assert payment[field], f"an issued vbank carries {field} (#vbanks)"
        assert payment["vbank_date"] > 0 and payment["vbank_issued_at"] > 0


def test_custom_data_sent_as_an_object_comes_back_as_json_text(wire: IamportWire, spec: PortOneSpec) -> None:
    cart = {"cart_id": "c-17", "points": 1500, "note": "문 앞에 놓아주세요"}
    seeded = wire.seed_payment(new_merchant_uid("custom-data"), 8000, "paid", force=True, custom_data=cart)
    payment = lookup(wire, spec, seeded["imp_uid"])
    assert isinstance(payment["custom_data"], str), (
        "custom_data is a JSON string on the REST API (#custom-data)"
    )
    assert json.loads(payment["custom_data"]) == cart
    assert lookup(wire, spec, seed(wire, "no-custom-data")["imp_uid"])["custom_data"] is None


def test_payment_lookup_of_an_unknown_imp_uid_is_404(wire: IamportWire, spec: PortOneSpec) -> None:
    failed(spec, "/payments/{imp_uid}", "get", wire.call("GET", "/payments/imp_999999999999"), 404, NOT_FOUND)


# --- GET /payments (multi, docs/iamport-v1.md#lookups) ------------------------------------------------------


def test_multi_lookup_answers_200_when_all_found_207_when_some_404_when_none(
    wire: IamportWire, spec: PortOneSpec
) -> None:
    first, second = seed(wire, "multi-a"), seed(wire, "multi-b", outcome="failed")
    both = wire.call(
        "GET",
        "/payments",
        params={"imp_uid[]": [first["imp_uid"]], "merchant_uid[]": [second["merchant_uid"]]},
    )
    found = succeeded(spec, "/payments", "get", both)
    assert sorted(p["imp_uid"] for p in found) == sorted([first["imp_uid"], second["imp_uid"]])
    for payment in found:
        assert_complete_payment(spec, payment)

    partial = wire.call("GET", "/payments", params={"imp_uid[]": [first["imp_uid"], "imp_999999999999"]})
    some = succeeded(spec, "/payments", "get", partial, status=207)
    assert [p["imp_uid"] for p in some] == [first["imp_uid"]]
    assert_complete_payment(spec, some[0])

    none = wire.call("GET", "/payments", params={"imp_uid[]": ["imp_999999999998", "imp_999999999999"]})
    failed(spec, "/payments", "get", none, 404)


def test_multi_lookup_of_more_than_100_ids_is_refused(wire: IamportWire, spec: PortOneSpec) -> None:
    payment = seed(wire, "multi-101")
    ids = [payment["imp_uid"]] + [f"imp_{n:012d}" for n in range(100)]
    reply = wire.call("GET", "/payments", params={"imp_uid[]": ids})
    assert reply.status not in {200, 207}, "at most 100 ids per multi lookup (#lookups)"
    spec.validate_error_envelope(reply.body)
    assert reply.code != 0


# --- GET /payments/find/{merchant_uid}[/{payment_status}] (#find-by-merchant-uid) ---------


def test_find_by_merchant_uid_with_and_without_status(wire: IamportWire, spec: PortOneSpec) -> None:
    payment = seed(wire, "find")
    merchant_uid = payment["merchant_uid"]
    found = succeeded(spec, FIND_PATH, "get", wire.call("GET", f"/payments/find/{merchant_uid}"))
    assert found["imp_uid"] == payment["imp_uid"]
    assert_complete_payment(spec, found)
    paid = succeeded(spec, FIND_PATH, "get", wire.call("GET", f"/payments/find/{merchant_uid}/paid"))
    assert paid["imp_uid"] == payment["imp_uid"]
    assert_complete_payment(spec, paid)
    # A merchant_uid with no payment in the asked status is a 404 (official client's live test,
    # docs/iamport-v1.md#find-by-merchant-uid).
    failed(spec, FIND_PATH, "get", wire.call("GET", f"/payments/find/{merchant_uid}/failed"), 404, NOT_FOUND)
    failed(spec, FIND_PATH, "get", wire.call("GET", "/payments/find/ct-never-seen"), 404, NOT_FOUND)


def test_find_returns_the_latest_attempt_by_default_sorting(wire: IamportWire, spec: PortOneSpec) -> None:
    merchant_uid = new_merchant_uid("retry")
    first = wire.seed_payment(merchant_uid, 15000, "failed", force=True)
    second = wire.seed_payment(merchant_uid, 15000, "paid", force=True)
    latest = succeeded(spec, FIND_PATH, "get", wire.call("GET", f"/payments/find/{merchant_uid}"))
    assert latest["imp_uid"] == second["imp_uid"], "default sorting is -started: newest attempt first"
    failed_one = succeeded(spec, FIND_PATH, "get", wire.call("GET", f"/payments/find/{merchant_uid}/failed"))
    assert failed_one["imp_uid"] == first["imp_uid"]
    oldest = wire.call("GET", f"/payments/find/{merchant_uid}", params={"sorting": "started"})
    assert succeeded(spec, FIND_PATH, "get", oldest)["imp_uid"] == first["imp_uid"], (
        "sorting=started: oldest first"
    )


# --- GET /payments/findAll/{merchant_uid}[/{payment_status}] (#lookups) -------------------


def test_find_all_pages_every_attempt_of_a_merchant_uid(wire: IamportWire, spec: PortOneSpec) -> None:
    merchant_uid = new_merchant_uid("findall")
    failed_attempt = wire.seed_payment(merchant_uid, 21000, "failed", force=True)
    paid_attempt = wire.seed_payment(merchant_uid, 21000, "paid", force=True)

    page = succeeded(spec, FIND_ALL_PATH, "get", wire.call("GET", f"/payments/findAll/{merchant_uid}"))
    assert page["total"] == 2 and page["previous"] == 0 and page["next"] == 0, page
    assert [p["imp_uid"] for p in page["list"]] == [paid_attempt["imp_uid"], failed_attempt["imp_uid"]]
    for payment in page["list"]:
        assert_complete_payment(spec, payment)

    one = wire.call("GET", f"/payments/findAll/{merchant_uid}", params={"limit": 1, "page": 1})
    first_page = succeeded(spec, FIND_ALL_PATH, "get", one)
    assert (first_page["total"], first_page["previous"], first_page["next"], len(first_page["list"])) == (
        2,
        0,
        2,
        1,
    )

    only_paid = succeeded(
        spec, FIND_ALL_PATH, "get", wire.call("GET", f"/payments/findAll/{merchant_uid}/paid")
    )
    assert [p["imp_uid"] for p in only_paid["list"]] == [paid_attempt["imp_uid"]]


def test_find_all_rejects_unknown_merchant_uid_and_bad_parameters(
    wire: IamportWire, spec: PortOneSpec
) -> None:
    failed(spec, FIND_ALL_PATH, "get", wire.call("GET", "/payments/findAll/ct-never-seen"), 404, NOT_FOUND)
    payment = seed(wire, "findall-bad")
    bad_status = wire.call("GET", f"/payments/findAll/{payment['merchant_uid']}/refunded")
    failed(spec, FIND_ALL_PATH, "get", bad_status, 400)
    too_many = wire.call("GET", f"/payments/findAll/{payment['merchant_uid']}", params={"limit": 1001})
    failed(spec, FIND_ALL_PATH, "get", too_many, 400)


# --- GET /payments/status/{payment_status} (#lookups) -------------------------------------

STATUS = "/payments/status/{payment_status}"


def test_status_list_pages_payments_in_that_status(wire: IamportWire, spec: PortOneSpec) -> None:
    paid, failed_payment = seed(wire, "status-paid"), seed(wire, "status-failed", outcome="failed")
    listed = succeeded(spec, STATUS, "get", wire.call("GET", "/payments/status/paid", params={"limit": 1000}))
    imp_uids = {p["imp_uid"] for p in listed["list"]}
    assert paid["imp_uid"] in imp_uids and failed_payment["imp_uid"] not in imp_uids
    for payment in listed["list"]:
        assert payment["status"] == "paid"
        assert_complete_payment(spec, payment)
    everything = succeeded(
        spec, STATUS, "get", wire.call("GET", "/payments/status/all", params={"limit": 1000})
    )
    assert {paid["imp_uid"], failed_payment["imp_uid"]} <= {p["imp_uid"] for p in everything["list"]}
    assert everything["total"] >= 2

    first = succeeded(spec, STATUS, "get", wire.call("GET", "/payments/status/all", params={"limit": 1}))
    assert len(first["list"]) == 1 and first["previous"] == 0 and first["next"] == 2, first
    second = succeeded(
        spec, STATUS, "get", wire.call("GET", "/payments/status/all", params={"limit": 1, "page": 2})
    )
    assert second["previous"] == 1 and second["list"][0]["imp_uid"] != first["list"][0]["imp_uid"]


def test_status_list_filters_by_the_from_to_window(wire: IamportWire, spec: PortOneSpec) -> None:
    paid = lookup(wire, spec, seed(wire, "window")["imp_uid"])
    before = {"from": paid["paid_at"] - 7200, "to": paid["paid_at"] - 3600, "limit": 1000}
    earlier = succeeded(spec, STATUS, "get", wire.call("GET", "/payments/status/paid", params=before))
    assert paid["imp_uid"] not in {p["imp_uid"] for p in earlier["list"]}
    around = {"from": paid["paid_at"], "to": paid["paid_at"], "limit": 1000}
    inclusive = succeeded(spec, STATUS, "get", wire.call("GET", "/payments/status/paid", params=around))
    assert paid["imp_uid"] in {p["imp_uid"] for p in inclusive["list"]}, (
        "from and to are inclusive (#lookups)"
    )


def test_status_list_rejects_an_unsupported_status_and_an_out_of_range_page(
    wire: IamportWire, spec: PortOneSpec
) -> None:
    failed(spec, STATUS, "get", wire.call("GET", "/payments/status/refunded"), 400, BAD_STATUS)
    failed(spec, STATUS, "get", wire.call("GET", "/payments/status/paid", params={"page": 0}), 400)


# --- /payments/prepare (#prepare) ---------------------------------------------------------

PREPARE = "/payments/prepare"
PREPARED = "/payments/prepare/{merchant_uid}"


def test_prepare_registers_updates_and_reads_back_an_amount(wire: IamportWire, spec: PortOneSpec) -> None:
    merchant_uid = new_merchant_uid("prepare")
    created = succeeded(
        spec,
        PREPARE,
        "post",
        wire.call("POST", PREPARE, json={"merchant_uid": merchant_uid, "amount": 12000}),
    )
    assert created["merchant_uid"] == merchant_uid and created["amount"] == 12000
    assert created["currency"] is None, "no currency registered means it is not checked (#prepare)"
    duplicate = wire.call("POST", PREPARE, json={"merchant_uid": merchant_uid, "amount": 12000})
    failed(spec, PREPARE, "post", duplicate, 200, PREPARE_DUPLICATE)

    changed = succeeded(
        spec, PREPARE, "put", wire.call("PUT", PREPARE, json={"merchant_uid": merchant_uid, "amount": 13000})
    )
    assert changed["amount"] == 13000
    read = succeeded(spec, PREPARED, "get", wire.call("GET", f"/payments/prepare/{merchant_uid}"))
    assert (read["merchant_uid"], read["amount"]) == (merchant_uid, 13000)


def test_prepare_accepts_a_form_body_and_a_currency(wire: IamportWire, spec: PortOneSpec) -> None:
    merchant_uid = new_merchant_uid("prepare-form")
    form = {"merchant_uid": merchant_uid, "amount": "7000", "currency": "KRW"}
    created = succeeded(spec, PREPARE, "post", wire.call("POST", PREPARE, data=form))
    assert (created["amount"], created["currency"]) == (7000, "KRW")


def test_prepare_lookups_and_updates_of_an_unregistered_merchant_uid_are_404(
    wire: IamportWire, spec: PortOneSpec
) -> None:
    missing = new_merchant_uid("prepare-missing")
    failed(
        spec, PREPARE, "put", wire.call("PUT", PREPARE, json={"merchant_uid": missing, "amount": 1000}), 404
    )
    # The spec documents no 404 for this GET; the live server sends one (docs/iamport-v1.md#failures,
    # #messages): envelope only.
    reply = wire.call("GET", f"/payments/prepare/{missing}")
    assert reply.status == 404
    spec.validate_error_envelope(reply.body)
    assert reply.code != 0 and reply.message == PREPARE_NOT_FOUND


def test_control_api_enforces_the_prepared_amount_unless_forced(wire: IamportWire, spec: PortOneSpec) -> None:
    merchant_uid = new_merchant_uid("prepare-enforced")
    succeeded(
        spec, PREPARE, "post", wire.call("POST", PREPARE, json={"merchant_uid": merchant_uid, "amount": 9000})
    )
    with pytest.raises(AssertionError, match="refused"):
        wire.seed_payment(merchant_uid, 8000, "paid")
    payment = wire.seed_payment(merchant_uid, 9000, "paid")
    assert lookup(wire, spec, payment["imp_uid"])["amount"] == 9000


# --- POST /payments/cancel (#cancel) ------------------------------------------------------

CANCEL = "/payments/cancel"


def cancel(wire: IamportWire, **body: Any) -> Reply:
    return wire.call("POST", CANCEL, json=body)


def test_full_cancel_cancels_the_remaining_balance(wire: IamportWire, spec: PortOneSpec) -> None:
    payment = seed(wire, "cancel-full", 30000)
    result = succeeded(spec, CANCEL, "post", cancel(wire, imp_uid=payment["imp_uid"], reason="고객 변심"))
    assert_complete_payment(spec, result)
    assert (result["status"], result["cancel_amount"], result["cancel_reason"]) == (
        "cancelled",
        30000,
        "고객 변심",
    )
    assert result["cancelled_at"] > 0
    (entry,) = result["cancel_history"]
    assert entry["amount"] == 30000 and entry["reason"] == "고객 변심" and entry["cancellation_id"]
    assert lookup(wire, spec, payment["imp_uid"]) == result

    again = cancel(wire, imp_uid=payment["imp_uid"], reason="again")
    failed(spec, CANCEL, "post", again, 200, ALREADY_CANCELLED)


def test_partial_cancels_keep_status_paid_until_the_balance_is_zero(
    wire: IamportWire, spec: PortOneSpec
) -> None:
    payment = seed(wire, "cancel-partial", 10000)
    first = succeeded(
        spec,
        CANCEL,
        "post",
        cancel(wire, imp_uid=payment["imp_uid"], amount=1000, checksum=10000, reason="부분 환불"),
    )
    assert_complete_payment(spec, first)
    assert (first["status"], first["cancel_amount"], len(first["cancel_history"])) == ("paid", 1000, 1)

    second = succeeded(
        spec,
        CANCEL,
        "post",
        cancel(wire, merchant_uid=payment["merchant_uid"], amount=4000, checksum=9000, reason="부분 환불 2"),
    )
    assert (second["status"], second["cancel_amount"], len(second["cancel_history"])) == ("paid", 5000, 2)
    ids = {entry["cancellation_id"] for entry in second["cancel_history"]}
    assert len(ids) == 2, "each cancel has its own cancellation_id"

    rest = succeeded(
        spec,
        CANCEL,
        "post",
        cancel(wire, imp_uid=payment["imp_uid"], amount=0, checksum=5000, reason="잔액 환불"),
    )
    assert_complete_payment(spec, rest)
    assert (rest["status"], rest["cancel_amount"], len(rest["cancel_history"])) == ("cancelled", 10000, 3)
    assert rest["cancel_history"][-1]["amount"] == 5000, "amount 0 cancels the remaining balance (#cancel)"


def test_cancel_with_a_stale_checksum_is_refused_without_side_effects(
    wire: IamportWire, spec: PortOneSpec
) -> None:
    payment = seed(wire, "cancel-checksum", 10000)
    succeeded(spec, CANCEL, "post", cancel(wire, imp_uid=payment["imp_uid"], amount=1000, checksum=10000))
    stale = cancel(wire, imp_uid=payment["imp_uid"], amount=1000, checksum=10000, reason="double refund")
    failed(spec, CANCEL, "post", stale, 200)
    after = lookup(wire, spec, payment["imp_uid"])
    assert (after["cancel_amount"], len(after["cancel_history"]), after["status"]) == (1000, 1, "paid")


def test_cancel_of_more_than_the_remaining_balance_is_refused(wire: IamportWire, spec: PortOneSpec) -> None:
    payment = seed(wire, "cancel-too-much", 10000)
    too_much = cancel(wire, imp_uid=payment["imp_uid"], amount=10001)
    failed(spec, CANCEL, "post", too_much, 200)
    assert too_much.message.startswith("결제취소에 실패하였습니다."), too_much.message
    assert lookup(wire, spec, payment["imp_uid"])["cancel_amount"] == 0


def test_cancel_of_an_unknown_payment_is_200_with_code_1(wire: IamportWire, spec: PortOneSpec) -> None:
    unknown = cancel(wire, imp_uid="imp_999999999999", reason="x")
    failed(spec, CANCEL, "post", unknown, 200, CANCEL_NOT_FOUND)
    assert unknown.code == 1
    by_merchant = cancel(wire, merchant_uid="ct-never-seen", reason="x")
    failed(spec, CANCEL, "post", by_merchant, 200, CANCEL_NOT_FOUND)


def test_cancel_uses_imp_uid_over_merchant_uid(wire: IamportWire, spec: PortOneSpec) -> None:
    payment = seed(wire, "cancel-precedence")
    wrong_imp_uid = cancel(wire, imp_uid="imp_999999999999", merchant_uid=payment["merchant_uid"])
    failed(spec, CANCEL, "post", wrong_imp_uid, 200, CANCEL_NOT_FOUND)
    assert lookup(wire, spec, payment["imp_uid"])["status"] == "paid", (
        "an invalid imp_uid fails the cancel (#cancel)"
    )


def test_cancel_without_any_identifier_is_refused(wire: IamportWire, spec: PortOneSpec) -> None:
    reply = cancel(wire, reason="x")
    failed(spec, CANCEL, "post", reply, 200)
    assert reply.message.endswith("지정해주셔야합니다."), reply.message


def test_partial_cancel_accepts_a_form_encoded_body(wire: IamportWire, spec: PortOneSpec) -> None:
    payment = seed(wire, "cancel-form", 10000)
    form = {"imp_uid": payment["imp_uid"], "amount": "2500", "checksum": "10000", "reason": "부분 환불"}
    result = succeeded(spec, CANCEL, "post", wire.call("POST", CANCEL, data=form))
    assert (result["status"], result["cancel_amount"]) == ("paid", 2500)
    assert_complete_payment(spec, result)


@pytest.mark.parametrize("outcome", ["failed", "abandoned"])
def test_cancel_of_a_payment_that_never_took_money_is_refused(
    wire: IamportWire, spec: PortOneSpec, outcome: str
) -> None:
    payment = seed(wire, f"cancel-{outcome}", 10000, outcome)
    failed(spec, CANCEL, "post", cancel(wire, imp_uid=payment["imp_uid"], reason="x"), 200)
    after = lookup(wire, spec, payment["imp_uid"])
    assert (after["status"], after["cancel_amount"], after["cancel_history"]) == (payment["status"], 0, [])


def test_cancel_of_an_unpaid_vbank_is_refused(wire: IamportWire, spec: PortOneSpec) -> None:
    vbank = seed(wire, "cancel-vbank", outcome="vbank")
    failed(spec, CANCEL, "post", cancel(wire, imp_uid=vbank["imp_uid"], reason="x"), 200)
    assert lookup(wire, spec, vbank["imp_uid"])["status"] == "ready"


# --- /vbanks (#vbanks) --------------------------------------------------------------------

VBANKS = "/vbanks"
VBANK = "/vbanks/{imp_uid}"


def issue_vbank(wire: IamportWire, spec: PortOneSpec, amount: int = 25000) -> dict[str, Any]:
    due = wire.get_token(imp_key=DEV_IMP_KEY, imp_secret=DEV_IMP_SECRET).response["now"] + 3 * 86400
    body = {
        "merchant_uid": new_merchant_uid("vbank"),
        "amount": amount,
        "vbank_code": "088",
        "vbank_due": due,
        "vbank_holder": "테스트상점",
        "name": "주문 1건",
        "buyer_name": "홍길동",
    }
    vbank = succeeded(spec, VBANKS, "post", wire.call("POST", VBANKS, json=body))
    assert_complete_payment(spec, vbank)
    assert (vbank["status"], vbank["pay_method"], vbank["amount"], vbank["paid_at"]) == (
        "ready",
        "vbank",
        amount,
        0,
    )
    assert (vbank["vbank_code"], vbank["vbank_date"], vbank["vbank_holder"]) == ("088", due, "테스트상점")
    assert vbank["vbank_num"] and vbank["vbank_name"] and vbank["vbank_issued_at"] > 0
    return vbank


def test_issue_edit_and_void_a_virtual_account(wire: IamportWire, spec: PortOneSpec) -> None:
    vbank = issue_vbank(wire, spec)
    url = f"/vbanks/{vbank['imp_uid']}"
    new_due = vbank["vbank_date"] + 86400
    edited = succeeded(
        spec, VBANK, "put", wire.call("PUT", url, json={"amount": 26000, "vbank_due": new_due})
    )
    assert_complete_payment(spec, edited)
    assert (edited["amount"], edited["vbank_date"], edited["status"]) == (26000, new_due, "ready")

    voided = succeeded(spec, VBANK, "delete", wire.call("DELETE", url))
    assert_complete_payment(spec, voided)
    assert voided["status"] != "ready" and voided["paid_at"] == 0
    # Once voided it is no longer `ready`, so it can be neither edited nor voided again
    # (#vbanks).
    failed(spec, VBANK, "delete", wire.call("DELETE", url), 400)
    failed(spec, VBANK, "put", wire.call("PUT", url, json={"amount": 1000}), 400)


def test_vbank_edit_and_void_reject_non_vbanks_and_unknown_imp_uids(
    wire: IamportWire, spec: PortOneSpec
) -> None:
    card = seed(wire, "not-a-vbank")
    failed(spec, VBANK, "put", wire.call("PUT", f"/vbanks/{card['imp_uid']}", json={"amount": 1000}), 400)
    failed(spec, VBANK, "delete", wire.call("DELETE", f"/vbanks/{card['imp_uid']}"), 400)
    failed(spec, VBANK, "put", wire.call("PUT", "/vbanks/imp_999999999999", json={"amount": 1000}), 404)
    failed(spec, VBANK, "delete", wire.call("DELETE", "/vbanks/imp_999999999999"), 404)
    assert lookup(wire, spec, card["imp_uid"])["status"] == "paid"


def test_vbank_cannot_reuse_a_paid_merchant_uid(wire: IamportWire, spec: PortOneSpec) -> None:
    paid = seed(wire, "vbank-paid-uid")
    due = wire.get_token(imp_key=DEV_IMP_KEY, imp_secret=DEV_IMP_SECRET).response["now"] + 86400
    body = {
        "merchant_uid": paid["merchant_uid"],
        "amount": 50000,
        "vbank_code": "088",
        "vbank_due": due,
        "vbank_holder": "테스트상점",
    }
    failed(spec, VBANKS, "post", wire.call("POST", VBANKS, json=body), 200)


def test_a_paid_vbank_is_refunded_only_with_a_refund_account(wire: IamportWire, spec: PortOneSpec) -> None:
    vbank = seed(wire, "vbank-refund", 20000, "vbank")
    deposited = wire.deposit(vbank["imp_uid"])
    assert deposited["status"] == "paid" and deposited["paid_at"] > 0
    assert_complete_payment(spec, lookup(wire, spec, vbank["imp_uid"]))
    no_account = cancel(wire, imp_uid=vbank["imp_uid"], reason="환불")
    failed(spec, CANCEL, "post", no_account, 200)
    assert lookup(wire, spec, vbank["imp_uid"])["cancel_amount"] == 0
    refund = {"refund_holder": "홍길동", "refund_bank": "88", "refund_account": "110123456789"}
    refunded = succeeded(
        spec, CANCEL, "post", cancel(wire, imp_uid=vbank["imp_uid"], reason="환불", **refund)
    )
    assert (refunded["status"], refunded["cancel_amount"]) == ("cancelled", 20000)
