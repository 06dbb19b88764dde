"""Which calls the gateway repeats after a transient failure: lookups and checksum-guarded cancels, never a
cancel that could refund twice."""

from __future__ import annotations

import pytest

from checkout.errors import GatewayUnavailable
from checkout.gateway import (
    CancelRejected,
    IamportMalformedResponse,
    IamportRejected,
    IamportUnavailable,
    PaymentNotFound,
    RetryPolicy,
    Timeouts,
)
from tests.support.fake_iamport import Reply, ok

SERVER_ERROR = Reply(500, {"code": -1, "message": "일시적인 오류", "response": None})
SLOW = Reply(200, {"code": 0, "message": None, "response": None}, delay_s=1.5)  # read timeout is 0.5 s
STALE_CHECKSUM = Reply(200, {"code": 1, "message": "checksum mismatch", "response": None})


def test_get_is_retried_after_a_500_and_succeeds(fake_iamport, make_gateway, sleeps, payment_sample):
    fake_iamport.on("GET", "/payments/imp_1", SERVER_ERROR, SERVER_ERROR, ok(payment_sample(imp_uid="imp_1")))
    gateway = make_gateway()

    assert gateway.get_payment("imp_1").imp_uid == "imp_1"
    assert len(fake_iamport.calls("GET", "/payments/imp_1")) == 3
    assert len(sleeps.delays) == 2


def test_get_is_retried_after_a_read_timeout(fake_iamport, make_gateway, payment_sample):
    fake_iamport.on("GET", "/payments/imp_1", SLOW, ok(payment_sample(imp_uid="imp_1")))
    gateway = make_gateway()

    assert gateway.get_payment("imp_1").imp_uid == "imp_1"
    assert len(fake_iamport.calls("GET", "/payments/imp_1")) == 2


def test_get_gives_up_after_the_attempt_limit_with_a_gateway_unavailable(fake_iamport, make_gateway, sleeps):
    fake_iamport.on("GET", "/payments/imp_1", SERVER_ERROR)
    gateway = make_gateway()

    with pytest.raises(IamportUnavailable) as caught:
        gateway.get_payment("imp_1")

    assert isinstance(caught.value, GatewayUnavailable)
    assert caught.value.http_status == 500 and caught.value.iamport_message == "일시적인 오류"
    assert len(fake_iamport.calls("GET", "/payments/imp_1")) == 3
    assert len(sleeps.delays) == 2


def test_connection_refused_is_unavailable(make_gateway):
    gateway = make_gateway(base_url="http://127.0.0.1:9", retry=RetryPolicy(attempts=2, sleep=lambda _: None))

    with pytest.raises(IamportUnavailable) as caught:
        gateway.get_payment("imp_1")

    assert caught.value.http_status is None
    assert "ConnectionError" in str(caught.value)


def test_not_found_is_not_retried(fake_iamport, make_gateway, sleeps):
    gateway = make_gateway()

    with pytest.raises(PaymentNotFound) as caught:
        gateway.get_payment("imp_missing")

    assert caught.value.http_status == 404 and caught.value.message == "존재하지 않는 결제정보입니다."
    assert len(fake_iamport.calls("GET", "/payments/imp_missing")) == 1
    assert sleeps.delays == []


def test_malformed_answer_is_not_retried(fake_iamport, make_gateway, sleeps):
    fake_iamport.on("GET", "/payments/imp_1", Reply(200, b"<html>maintenance</html>"))
    gateway = make_gateway()

    with pytest.raises(IamportMalformedResponse):
        gateway.get_payment("imp_1")

    assert len(fake_iamport.calls("GET", "/payments/imp_1")) == 1


def test_cancel_without_checksum_is_never_retried(fake_iamport, make_gateway, sleeps):
    fake_iamport.on("POST", "/payments/cancel", SERVER_ERROR)
    gateway = make_gateway()

    with pytest.raises(IamportUnavailable):
        gateway.cancel(imp_uid="imp_1", amount=1000, checksum=None, reason="buyer asked")

    assert len(fake_iamport.calls("POST", "/payments/cancel")) == 1
    assert sleeps.delays == []


def test_cancel_without_checksum_is_not_retried_after_a_timeout(fake_iamport, make_gateway):
    fake_iamport.on("POST", "/payments/cancel", SLOW)
    gateway = make_gateway()

    with pytest.raises(IamportUnavailable):
        gateway.cancel(imp_uid="imp_1", amount=1000, checksum=None, reason="buyer asked")

    assert len(fake_iamport.calls("POST", "/payments/cancel")) == 1


def test_cancel_with_checksum_is_retried_and_sends_the_same_checksum(
    fake_iamport, make_gateway, payment_sample
):
    fake_iamport.on("POST", "/payments/cancel", SERVER_ERROR, ok(payment_sample(cancel_amount=1000)))
    gateway = make_gateway()

    payment = gateway.cancel(imp_uid="imp_1", amount=1000, checksum=27000, reason="buyer asked")

    assert payment.cancel_amount == 1000
    bodies = [c.body for c in fake_iamport.calls("POST", "/payments/cancel")]
    assert bodies == [{"imp_uid": "imp_1", "amount": 1000, "checksum": 27000, "reason": "buyer asked"}] * 2


def test_cancel_with_checksum_is_retried_after_a_timeout(fake_iamport, make_gateway, payment_sample):
    fake_iamport.on("POST", "/payments/cancel", SLOW, ok(payment_sample(cancel_amount=1000)))
    gateway = make_gateway()

    gateway.cancel(imp_uid="imp_1", amount=1000, checksum=27000, reason="buyer asked")

    assert len(fake_iamport.calls("POST", "/payments/cancel")) == 2


def test_retried_cancel_refused_as_stale_is_flagged_ambiguous(fake_iamport, make_gateway):
    # The first attempt may have refunded before timing out: the refusal alone does not prove it failed
    fake_iamport.on("POST", "/payments/cancel", SLOW, STALE_CHECKSUM)
    gateway = make_gateway()

    with pytest.raises(CancelRejected) as caught:
        gateway.cancel(imp_uid="imp_1", amount=1000, checksum=27000, reason="buyer asked")

    assert caught.value.ambiguous is True
    assert (caught.value.code, caught.value.message) == (1, "checksum mismatch")


def test_first_attempt_cancel_refusal_is_not_ambiguous(fake_iamport, make_gateway):
    fake_iamport.on("POST", "/payments/cancel", STALE_CHECKSUM)
    gateway = make_gateway()

    with pytest.raises(CancelRejected) as caught:
        gateway.cancel(imp_uid="imp_1", amount=1000, checksum=27000, reason="buyer asked")

    assert caught.value.ambiguous is False and caught.value.http_status == 200


def test_void_vbank_is_not_retried(fake_iamport, make_gateway):
    fake_iamport.on("DELETE", "/vbanks/imp_1", SERVER_ERROR)
    gateway = make_gateway()

    with pytest.raises(IamportUnavailable):
        gateway.void_vbank("imp_1")

    assert len(fake_iamport.calls("DELETE", "/vbanks/imp_1")) == 1


def test_retries_stop_when_the_time_budget_is_spent(fake_iamport, make_gateway):
    fake_iamport.on("GET", "/payments/imp_1", SERVER_ERROR)
    gateway = make_gateway(retry=RetryPolicy(attempts=10, budget_s=0.0, sleep=lambda _: None))

    with pytest.raises(IamportUnavailable):
        gateway.get_payment("imp_1")

    assert len(fake_iamport.calls("GET", "/payments/imp_1")) == 1


def test_backoff_is_exponential_jittered_and_capped():
    policy = RetryPolicy(base_delay_s=0.2, max_delay_s=1.0)

    for retry_number, ceiling in [(1, 0.2), (2, 0.4), (3, 0.8), (4, 1.0), (9, 1.0)]:
        delays = [policy.delay_before(retry_number) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1


def test_other_4xx_is_a_rejection_and_not_retried(fake_iamport, make_gateway, sleeps):
    fake_iamport.on(
        "DELETE",
        "/vbanks/imp_1",
        Reply(400, {"code": -1, "message": "가상계좌가 아닙니다.", "response": None}),
    )
    gateway = make_gateway()

    with pytest.raises(IamportRejected) as caught:
        gateway.void_vbank("imp_1")

    assert (caught.value.http_status, caught.value.message) == (400, "가상계좌가 아닙니다.")
    assert sleeps.delays == []


def test_no_call_starts_when_the_invocation_has_no_time_left(fake_iamport, make_gateway, payment_sample):
    from checkout.deadline import DEADLINE_RESERVE_S, deadline_in

    fake_iamport.on("GET", "/payments/imp_1", ok(payment_sample(imp_uid="imp_1")))
    gateway = make_gateway()
    gateway.access_token()  # the token is fetched beforehand

    with deadline_in(DEADLINE_RESERVE_S + 0.5), pytest.raises(IamportUnavailable) as caught:
        gateway.get_payment("imp_1")

    assert "no time left" in str(caught.value)
    assert fake_iamport.calls("GET", "/payments/imp_1") == []


def test_a_slow_answer_is_cut_at_the_deadline_and_not_retried_past_it(fake_iamport, make_gateway, sleeps):
    from checkout.deadline import DEADLINE_RESERVE_S, deadline_in

    slow = Reply(200, {"code": 0, "message": None, "response": None}, delay_s=3.0)
    fake_iamport.on("GET", "/payments/imp_1", slow)
    # Without a deadline this read waits 10 s and is retried three times.
    gateway = make_gateway(timeouts=Timeouts(read_s=10.0))
    gateway.access_token()

    # The answer takes 3 s, well inside the 10 s read timeout: only the deadline (2.2 s) can cut it.
    with deadline_in(DEADLINE_RESERVE_S + 2.2), pytest.raises(IamportUnavailable):
        gateway.get_payment("imp_1")

    assert len(fake_iamport.calls("GET", "/payments/imp_1")) == 1
    assert sleeps.delays == []


def test_an_answer_trickled_byte_by_byte_is_cut_at_the_whole_requests_limit(
    fake_iamport, make_gateway, sleeps, payment_sample
):
    import time

    # Each byte comes well inside the 0.5 s read timeout, so no single read ever times out; the whole
    # answer would take minutes. The request as a whole may take connect + read (1.5 s).
    trickle = Reply(200, {"code": 0, "message": None, "response": payment_sample()}, trickle_s=0.05)
    fake_iamport.on("GET", "/payments/imp_1", trickle)
    gateway = make_gateway(retry=RetryPolicy(attempts=1, sleep=sleeps))
    gateway.access_token()

    started = time.monotonic()
    with pytest.raises(IamportUnavailable) as caught:
        gateway.get_payment("imp_1")

    assert "still arriving" in str(caught.value)
    assert time.monotonic() - started < 4.0


def test_a_token_fetch_that_eats_the_time_left_stops_the_call_cleanly(
    fake_iamport, make_gateway, payment_sample
):
    from checkout.deadline import DEADLINE_RESERVE_S, deadline_in

    fake_iamport.on("GET", "/payments/imp_1", ok(payment_sample(imp_uid="imp_1")))
    # The token answers in time (1.0 s of the 1.8 s left), leaving less than a call needs.
    fake_iamport.token_delay_s = 1.0
    gateway = make_gateway(timeouts=Timeouts(connect_s=1.0, read_s=5.0), retry=RetryPolicy(attempts=1))

    with deadline_in(DEADLINE_RESERVE_S + 1.8), pytest.raises(IamportUnavailable) as caught:
        gateway.get_payment("imp_1")

    assert "no time left" in str(caught.value)
    assert fake_iamport.calls("GET", "/payments/imp_1") == []


def test_consecutive_calls_share_one_connection(fake_iamport, make_gateway, payment_sample):
    fake_iamport.on("GET", "/payments/imp_1", ok(payment_sample(imp_uid="imp_1")))
    gateway = make_gateway()

    for _ in range(5):
        assert gateway.get_payment("imp_1").imp_uid == "imp_1"

    assert len(fake_iamport.peers) == 1  # the answer is read to its end and the connection kept


@pytest.mark.parametrize("left", [-5.0, 0.0, 0.004, 0.9, 2.0, 30.0])
def test_request_limits_are_positive_and_never_outlast_the_time_left(left):
    timeouts = Timeouts(connect_s=3.0, read_s=10.0)
    connect, read = timeouts.as_requests(left)

    assert connect > 0 and read > 0
    assert timeouts.total_s(left) == connect + read
    assert connect + read <= max(left, 0.02) + 1e-9
    assert connect <= 3.0 and read <= 10.0


def test_a_call_that_gives_up_on_i_mport_is_reported_once_for_the_alarm(fake_iamport, make_gateway, sleeps):
    fake_iamport.on("GET", "/payments/imp_1", SERVER_ERROR)
    fake_iamport.on("GET", "/payments/imp_2", Reply(404, {"code": -1, "message": "없음", "response": None}))
    told: list[str] = []
    gateway = make_gateway(on_unavailable=told.append)

    with pytest.raises(IamportUnavailable):
        gateway.get_payment("imp_1")
    with pytest.raises(PaymentNotFound):
        gateway.get_payment("imp_2")

    assert told == ["GET /payments/imp_1"]  # once, after its three attempts; a clear answer is not counted
