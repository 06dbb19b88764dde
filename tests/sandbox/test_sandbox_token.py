"""Access tokens (docs/iamport-v1.md#tokens): issue, reuse, extension near expiry, expiry, and how they are
sent."""

from __future__ import annotations

from typing import Any

import requests

TIMEOUT = (3, 10)


def get_token(sandbox: Any, **body: str) -> requests.Response:
    payload = body or sandbox.credentials
    return requests.post(f"{sandbox.url}/users/getToken", json=payload, timeout=TIMEOUT)


def token_of(sandbox: Any) -> dict:
    reply = get_token(sandbox)
    assert reply.status_code == 200
    body = reply.json()
    assert body["code"] == 0 and body["message"] is None
    return body["response"]


def lookup(sandbox: Any, headers: dict[str, str]) -> requests.Response:
    return requests.get(f"{sandbox.url}/payments/imp_000000000000", headers=headers, timeout=TIMEOUT)


def test_token_lives_30_minutes_and_reports_server_time(sandbox: Any) -> None:
    token = token_of(sandbox)
    assert len(token["access_token"]) == 40
    assert token["expired_at"] - token["now"] == 1800
    assert abs(token["now"] - sandbox.control.clock()["now"]) <= 1


def test_token_is_reused_with_the_same_expiry_while_valid(sandbox: Any) -> None:
    first = token_of(sandbox)
    sandbox.control.advance_clock(600)
    again = token_of(sandbox)
    assert again["access_token"] == first["access_token"]
    assert again["expired_at"] == first["expired_at"]


def test_token_asked_in_its_last_minute_is_extended_by_five_minutes(sandbox: Any) -> None:
    first = token_of(sandbox)
    sandbox.control.advance_clock(1800 - 30)
    extended = token_of(sandbox)
    assert extended["access_token"] == first["access_token"]
    assert extended["expired_at"] == first["expired_at"] + 300
    # Still valid past the original expiry.
    sandbox.control.advance_clock(60)
    assert lookup(sandbox, {"Authorization": first["access_token"]}).status_code == 404


def test_expired_token_gets_401_and_a_new_token_is_issued(sandbox: Any) -> None:
    first = token_of(sandbox)
    sandbox.control.advance_clock(1800)
    reply = lookup(sandbox, {"Authorization": first["access_token"]})
    assert reply.status_code == 401
    assert reply.json() == {"code": -1, "message": "Unauthorized", "response": None}
    fresh = token_of(sandbox)
    assert fresh["access_token"] != first["access_token"]
    assert fresh["expired_at"] == fresh["now"] + 1800


def test_token_accepts_a_form_body(sandbox: Any) -> None:
    reply = requests.post(f"{sandbox.url}/users/getToken", data=sandbox.credentials, timeout=TIMEOUT)
    assert reply.status_code == 200 and reply.json()["response"]["access_token"]


def test_wrong_secret_is_401_in_the_envelope(sandbox: Any) -> None:
    reply = get_token(sandbox, imp_key=sandbox.imp_key, imp_secret="wrong")
    assert reply.status_code == 401
    body = reply.json()
    assert body["code"] == -1 and body["response"] is None and body["message"]


def test_missing_key_or_secret_gets_the_real_message(sandbox: Any) -> None:
    reply = get_token(sandbox, imp_key=sandbox.imp_key)
    assert reply.status_code == 400
    assert reply.json() == {
        "code": -1,
        "message": "imp_key, imp_secret 파라메터가 누락되었습니다.",
        "response": None,
    }


def test_raw_bearer_and_legacy_headers_are_all_accepted(sandbox: Any) -> None:
    access = token_of(sandbox)["access_token"]
    for headers in (
        {"Authorization": access},
        {"Authorization": f"Bearer {access}"},
        {"X-ImpTokenHeader": access},
    ):
        reply = lookup(sandbox, headers)
        assert reply.status_code == 404, headers  # authenticated: the payment simply does not exist
        assert reply.json()["message"] == "존재하지 않는 결제정보입니다."


def test_authorization_wins_over_the_legacy_header(sandbox: Any) -> None:
    access = token_of(sandbox)["access_token"]
    assert lookup(sandbox, {"Authorization": "not-a-token", "X-ImpTokenHeader": access}).status_code == 401
    assert lookup(sandbox, {"Authorization": access, "X-ImpTokenHeader": "not-a-token"}).status_code == 404


def test_missing_or_unknown_token_is_401(sandbox: Any) -> None:
    assert lookup(sandbox, {}).status_code == 401
    assert lookup(sandbox, {"Authorization": "Bearer 0123"}).status_code == 401


def test_tokens_belong_to_their_account(sandbox: Any) -> None:
    sandbox.control.add_account("imp11111111", "other-key", "other-secret")
    mine = sandbox.control.pay("shared-order", 1000)
    other = get_token(sandbox, imp_key="other-key", imp_secret="other-secret").json()["response"]
    reply = requests.get(
        f"{sandbox.url}/payments/{mine['imp_uid']}",
        headers={"Authorization": other["access_token"]},
        timeout=TIMEOUT,
    )
    assert reply.status_code == 404
    assert other["access_token"] != token_of(sandbox)["access_token"]
