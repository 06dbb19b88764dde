"""PortOne's own Python client (`iamport-rest-client` 0.9.0, module `iamport`) works against the sandbox.

Nobody here wrote that client, so it checks the sandbox from the outside: URLs, the token header,
the envelope and both layers of failure exactly as the real API presents them to it
(docs/iamport-v1.md#official-client).
Its `find_by_status` always raises TypeError upstream (docs/iamport-v1.md#lookups), so it is not used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from iamport import Iamport

from tests.support.iamport_wire import DEV_IMP_KEY, DEV_IMP_SECRET, IamportWire, new_merchant_uid


@pytest.fixture
def iamport(sandbox: Any) -> Iamport:
    # The client formats URLs as '{}payments/...', so the base URL must end with a slash
    # (docs/iamport-v1.md#official-client).
    return Iamport(imp_key=DEV_IMP_KEY, imp_secret=DEV_IMP_SECRET, imp_url=sandbox.url.rstrip("/") + "/")


@pytest.fixture
def control(sandbox: Any) -> Iterator[IamportWire]:
    client = IamportWire(sandbox.url)
    try:
        yield client
    finally:
        client.close()


def test_client_gets_a_token_from_the_sandbox(iamport: Iamport) -> None:
    token = iamport._get_token()
    assert isinstance(token, str) and token
    assert iamport.get_headers() == {"Authorization": token}, "a valid token is handed out again unchanged"


def test_client_with_wrong_credentials_gets_http_401(sandbox: Any) -> None:
    wrong = Iamport(imp_key=DEV_IMP_KEY, imp_secret="wrong-secret", imp_url=sandbox.url.rstrip("/") + "/")
    with pytest.raises(Iamport.HttpError) as err:
        wrong.find_by_imp_uid("imp_000000000000")
    assert err.value.code == 401


def test_client_finds_a_payment_by_imp_uid_and_merchant_uid(iamport: Iamport, control: IamportWire) -> None:
    seeded = control.seed_payment(new_merchant_uid("client-find"), 27000, "paid", force=True)
    by_imp_uid = iamport.find(imp_uid=seeded["imp_uid"])
    by_merchant_uid = iamport.find(merchant_uid=seeded["merchant_uid"])
    assert by_imp_uid["imp_uid"] == by_merchant_uid["imp_uid"] == seeded["imp_uid"]
    assert (by_imp_uid["status"], by_imp_uid["amount"]) == ("paid", 27000)
    assert iamport.is_paid(27000, imp_uid=seeded["imp_uid"])
    assert iamport.is_paid(27000, merchant_uid=seeded["merchant_uid"])
    assert not iamport.is_paid(26999, imp_uid=seeded["imp_uid"]), "a tampered amount is not 'paid'"


def test_client_sees_a_failed_payment_as_not_paid(iamport: Iamport, control: IamportWire) -> None:
    seeded = control.seed_payment(new_merchant_uid("client-failed"), 5000, "failed", force=True)
    assert iamport.find(imp_uid=seeded["imp_uid"])["status"] == "failed"
    assert not iamport.is_paid(5000, imp_uid=seeded["imp_uid"])


def test_client_lookups_of_unknown_payments_raise_http_404(iamport: Iamport) -> None:
    with pytest.raises(Iamport.HttpError) as by_imp_uid:
        iamport.find(imp_uid="imp_999999999999")
    assert by_imp_uid.value.code == 404
    with pytest.raises(Iamport.HttpError) as by_merchant_uid:
        iamport.find(merchant_uid="ct-never-seen")
    assert by_merchant_uid.value.code == 404
    with pytest.raises(Iamport.HttpError) as prepared:
        iamport.prepare_validate(merchant_uid="ct-never-prepared", amount=1000)
    assert prepared.value.code == 404


def test_client_prepares_and_validates_an_amount(iamport: Iamport, control: IamportWire) -> None:
    merchant_uid = new_merchant_uid("client-prepare")
    prepared = iamport.prepare(merchant_uid=merchant_uid, amount=18000)
    assert (prepared["merchant_uid"], prepared["amount"]) == (merchant_uid, 18000)
    assert iamport.prepare_validate(merchant_uid=merchant_uid, amount=18000)
    assert not iamport.prepare_validate(merchant_uid=merchant_uid, amount=1800)

    with pytest.raises(Iamport.ResponseError) as duplicate:
        iamport.prepare(merchant_uid=merchant_uid, amount=18000)
    assert duplicate.value.code == 1
    assert duplicate.value.message == "결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다)."

    paid = control.seed_payment(merchant_uid, 18000, "paid")
    assert iamport.is_paid(18000, merchant_uid=merchant_uid)
    assert iamport.find(merchant_uid=merchant_uid)["imp_uid"] == paid["imp_uid"]


def test_client_cancels_in_full(iamport: Iamport, control: IamportWire) -> None:
    seeded = control.seed_payment(new_merchant_uid("client-full"), 40000, "paid", force=True)
    cancelled = iamport.cancel("고객 변심", imp_uid=seeded["imp_uid"], checksum=40000)
    assert (cancelled["status"], cancelled["cancel_amount"]) == ("cancelled", 40000)
    assert cancelled["cancel_history"][0]["amount"] == 40000
    assert not iamport.is_paid(40000, imp_uid=seeded["imp_uid"])

    with pytest.raises(Iamport.ResponseError) as again:
        iamport.cancel("again", imp_uid=seeded["imp_uid"])
    assert again.value.code != 0 and again.value.message == "이미 전액취소된 주문입니다."


def test_client_cancels_partially_with_checksum_and_a_stale_checksum_is_rejected(
    iamport: Iamport, control: IamportWire
) -> None:
    seeded = control.seed_payment(new_merchant_uid("client-partial"), 10000, "paid", force=True)
    first = iamport.cancel("부분 환불", merchant_uid=seeded["merchant_uid"], amount=1000, checksum=10000)
    assert (first["status"], first["cancel_amount"]) == ("paid", 1000)

    # A merchant whose records missed the first refund still believes 10000 is cancellable
    # (docs/iamport-v1.md#cancel).
    with pytest.raises(Iamport.ResponseError) as stale:
        iamport.cancel("중복 환불", imp_uid=seeded["imp_uid"], amount=1000, checksum=10000)
    assert stale.value.code != 0 and stale.value.message
    assert iamport.find(imp_uid=seeded["imp_uid"])["cancel_amount"] == 1000, (
        "a rejected cancel changes nothing"
    )

    rest = iamport.cancel("잔액 환불", imp_uid=seeded["imp_uid"], amount=9000, checksum=9000)
    assert (rest["status"], rest["cancel_amount"], len(rest["cancel_history"])) == ("cancelled", 10000, 2)


def test_client_cancel_of_an_unknown_imp_uid_is_a_response_error(iamport: Iamport) -> None:
    with pytest.raises(Iamport.ResponseError) as err:
        iamport.cancel("x", imp_uid="imp_999999999999")
    assert err.value.code == 1
    assert err.value.message == "취소할 결제건이 존재하지 않습니다."


def test_client_revokes_an_unpaid_virtual_account(iamport: Iamport, control: IamportWire) -> None:
    vbank = control.seed_payment(new_merchant_uid("client-vbank"), 33000, "vbank", force=True)
    assert iamport.find(imp_uid=vbank["imp_uid"])["status"] == "ready"
    voided = iamport.revoke_vbank_by_imp_uid(vbank["imp_uid"])
    assert voided["imp_uid"] == vbank["imp_uid"] and voided["status"] != "ready"
    with pytest.raises(Iamport.HttpError) as again:
        iamport.revoke_vbank_by_imp_uid(vbank["imp_uid"])
    assert again.value.code == 400
