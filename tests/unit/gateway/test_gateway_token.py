"""The access token: cached, refreshed a minute before expiry on the server's clock, fetched once for many
threads, and replaced once when I'mport answers 401."""

from __future__ import annotations

import threading

import pytest

from checkout.gateway import IamportAuthError, IamportUnavailable
from checkout.gateway.token import AccessToken, TokenCache
from tests.support.fake_iamport import KEY, SECRET, Reply, ok


class FakeClock:
    def __init__(self) -> None:
        self.t = 5000.0

    def __call__(self) -> float:
        return self.t


def issuing(tokens: list[AccessToken]):
    issued: list[AccessToken] = []

    def fetch() -> AccessToken:
        issued.append(tokens[len(issued)])
        return issued[-1]

    return fetch, issued


def test_token_is_reused_until_sixty_seconds_before_server_expiry():
    # Given a server whose clock is years away from ours: only expired_at - now matters
    clock = FakeClock()
    fetch, issued = issuing(
        [
            AccessToken(access_token="a", now=1_000_000, expired_at=1_001_800),
            AccessToken(access_token="b", now=1_001_740, expired_at=1_003_540),
        ]
    )
    cache = TokenCache(fetch, clock=clock)

    assert cache.get() == "a"
    clock.t += 1739
    assert cache.get() == "a"
    assert len(issued) == 1
    clock.t += 1  # 1740 s after issue = 60 s before the server's expiry
    assert cache.get() == "b"
    assert len(issued) == 2


def test_short_lived_token_is_kept_for_half_its_life_not_refetched_every_call():
    clock = FakeClock()
    fetch, issued = issuing(
        [
            AccessToken(access_token="a", now=100, expired_at=140),
            AccessToken(access_token="b", now=120, expired_at=420),
        ]
    )
    cache = TokenCache(fetch, clock=clock)

    assert cache.get() == "a"
    clock.t += 19
    assert cache.get() == "a"
    clock.t += 1
    assert cache.get() == "b"


def test_invalidate_drops_only_the_refused_token():
    clock = FakeClock()
    fetch, issued = issuing(
        [
            AccessToken(access_token="a", now=0, expired_at=1800),
            AccessToken(access_token="b", now=0, expired_at=1800),
        ]
    )
    cache = TokenCache(fetch, clock=clock)
    assert cache.get() == "a"

    cache.invalidate("not-the-cached-one")
    assert cache.get() == "a"
    cache.invalidate("a")
    assert cache.get() == "b"
    cache.invalidate("a")  # a late 401 on the old token must not throw away the fresh one
    assert cache.get() == "b"
    assert len(issued) == 2


def test_gateway_sends_the_raw_token_and_reuses_it_across_calls(fake_iamport, make_gateway, payment_sample):
    fake_iamport.on("GET", "/payments/imp_1", ok(payment_sample(imp_uid="imp_1")))
    gateway = make_gateway()

    gateway.get_payment("imp_1")
    gateway.get_payment("imp_1")

    token_calls = fake_iamport.calls("POST", "/users/getToken")
    assert len(token_calls) == 1
    assert token_calls[0].body == {"imp_key": KEY, "imp_secret": SECRET}
    assert [c.headers["Authorization"] for c in fake_iamport.calls("GET", "/payments/imp_1")] == [
        "token-1"
    ] * 2


def test_twenty_threads_needing_a_token_at_once_cause_one_token_call(
    fake_iamport, make_gateway, payment_sample
):
    # Given a slow getToken, so every thread arrives while the first fetch is in flight
    fake_iamport.token_delay_s = 0.3
    fake_iamport.on("GET", "/payments/imp_1", ok(payment_sample(imp_uid="imp_1")))
    gateway = make_gateway()
    barrier = threading.Barrier(20)
    results: list[str] = []
    errors: list[BaseException] = []

    def buyer() -> None:
        try:
            barrier.wait()
            results.append(gateway.get_payment("imp_1").imp_uid)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=buyer) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)

    assert errors == []
    assert results == ["imp_1"] * 20
    assert fake_iamport.tokens_issued == 1
    assert {c.headers["Authorization"] for c in fake_iamport.calls("GET", "/payments/imp_1")} == {"token-1"}


def test_401_refreshes_the_token_once_and_retries(fake_iamport, make_gateway, payment_sample):
    fake_iamport.on(
        "GET",
        "/payments/imp_1",
        Reply(401, {"code": -1, "message": "Unauthorized", "response": None}),
        ok(payment_sample(imp_uid="imp_1")),
    )
    gateway = make_gateway()

    payment = gateway.get_payment("imp_1")

    assert payment.imp_uid == "imp_1"
    assert fake_iamport.tokens_issued == 2
    assert [c.headers["Authorization"] for c in fake_iamport.calls("GET", "/payments/imp_1")] == [
        "token-1",
        "token-2",
    ]


def test_second_401_in_a_row_is_an_auth_error(fake_iamport, make_gateway, sleeps):
    fake_iamport.on(
        "GET", "/payments/imp_1", Reply(401, {"code": -1, "message": "Unauthorized", "response": None})
    )
    gateway = make_gateway()

    with pytest.raises(IamportAuthError) as caught:
        gateway.get_payment("imp_1")

    assert caught.value.http_status == 401 and caught.value.message == "Unauthorized"
    assert len(fake_iamport.calls("GET", "/payments/imp_1")) == 2
    assert fake_iamport.tokens_issued == 2
    assert sleeps.delays == []


def test_401_retry_applies_to_a_cancel_without_checksum(fake_iamport, make_gateway, payment_sample):
    # A 401 is decided before I'mport does anything, so repeating even an unguarded cancel is safe
    fake_iamport.on(
        "POST",
        "/payments/cancel",
        Reply(401, {"code": -1, "message": "Unauthorized", "response": None}),
        ok(payment_sample(cancel_amount=27000, status="cancelled")),
    )
    gateway = make_gateway()

    payment = gateway.cancel(imp_uid="imp_448280090638", amount=27000, checksum=None, reason="buyer asked")

    assert payment.status == "cancelled"
    assert len(fake_iamport.calls("POST", "/payments/cancel")) == 2


def test_wrong_credentials_are_an_auth_error_not_retried(fake_iamport, make_gateway, sleeps):
    fake_iamport.on(
        "POST", "/users/getToken", Reply(401, {"code": -1, "message": "잘못된 키", "response": None})
    )
    gateway = make_gateway()

    with pytest.raises(IamportAuthError) as caught:
        gateway.get_payment("imp_1")

    assert caught.value.message == "잘못된 키"
    assert len(fake_iamport.calls("POST", "/users/getToken")) == 1
    assert fake_iamport.calls("GET", "/payments/imp_1") == []


def test_token_endpoint_outage_is_retried_then_unavailable(fake_iamport, make_gateway, sleeps):
    fake_iamport.on("POST", "/users/getToken", Reply(503, b"Service Unavailable"))
    gateway = make_gateway()

    with pytest.raises(IamportUnavailable):
        gateway.access_token()

    assert len(fake_iamport.calls("POST", "/users/getToken")) == 3
    assert len(sleeps.delays) == 2
