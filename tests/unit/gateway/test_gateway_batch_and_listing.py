"""The batch lookup (`GET /payments?imp_uid[]=`) and the listing by status and time
(`GET /payments/status/{status}`) on the wire: batches of 100, partial answers (HTTP 207), ids nobody
knows, paging fields, the 90-day window, argument guards and retries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from checkout.gateway import IamportMalformedResponse, IamportRejected, IamportUnavailable
from tests.support.fake_iamport import FakeIamport, Reply, Seen, ok

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2026, 1, 3, tzinfo=UTC)


def route(fake: FakeIamport, method: str, path: str, answer: Callable[[Seen], Reply]) -> list[Seen]:
    """Answer `method path` whatever its query string; the requests seen there."""
    seen: list[Seen] = []
    scripted = fake.reply_for

    def reply_for(request: Seen) -> Reply:
        if request.method == method and urlsplit(request.path).path == path:
            with fake.lock:
                seen.append(request)
            return answer(request)
        return scripted(request)

    fake.reply_for = reply_for  # type: ignore[method-assign]
    return seen


def query(request: Seen) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.path).query)


def not_found() -> Reply:
    return Reply(404, {"code": -1, "message": "존재하지 않는 결제정보입니다.", "response": None})


def batch_answer(known: set[str], payment_sample: Callable[..., dict[str, Any]]) -> Callable[[Seen], Reply]:
    """What I'mport answers a batch lookup: 200 all found, 207 some found, 404 none found."""

    def answer(request: Seen) -> Reply:
        asked = query(request).get("imp_uid[]", [])
        found = [payment_sample(imp_uid=i, merchant_uid=f"order-{i}") for i in asked if i in known]
        if not found:
            return not_found()
        status = 207 if len(found) < len(asked) else 200
        return Reply(status, {"code": 0, "message": None, "response": found})

    return answer


# ---------------------------------------------------------------- get_payments


def test_batch_lookup_asks_every_id_in_one_call(fake_iamport, make_gateway, payment_sample):
    ids = ["imp_1", "imp_2", "imp_3"]
    seen = route(fake_iamport, "GET", "/payments", batch_answer(set(ids), payment_sample))

    payments = make_gateway().get_payments(ids)

    assert [p.imp_uid for p in payments] == ids
    assert len(seen) == 1 and query(seen[0]) == {"imp_uid[]": ids}


def test_a_partial_answer_207_gives_the_payments_found_and_leaves_the_unknown_out(
    fake_iamport, make_gateway, payment_sample
):
    route(fake_iamport, "GET", "/payments", batch_answer({"imp_1", "imp_3"}, payment_sample))

    payments = make_gateway().get_payments(["imp_1", "imp_2", "imp_3"])

    assert [p.imp_uid for p in payments] == ["imp_1", "imp_3"]


def test_no_id_known_is_an_empty_list_not_an_error(fake_iamport, make_gateway, payment_sample):
    route(fake_iamport, "GET", "/payments", batch_answer(set(), payment_sample))

    assert make_gateway().get_payments(["imp_nope"]) == []


def test_more_than_100_ids_are_asked_in_batches_of_100(fake_iamport, make_gateway, payment_sample):
    ids = [f"imp_{n:03d}" for n in range(250)]
    known = set(ids) - {"imp_150"}
    seen = route(fake_iamport, "GET", "/payments", batch_answer(known, payment_sample))

    payments = make_gateway().get_payments(ids)

    assert [len(query(s)["imp_uid[]"]) for s in seen] == [100, 100, 50]
    assert [p.imp_uid for p in payments] == [i for i in ids if i in known]


def test_a_batch_where_nothing_is_known_does_not_hide_the_other_batches(
    fake_iamport, make_gateway, payment_sample
):
    ids = [f"imp_{n:03d}" for n in range(150)]
    known = set(ids[100:])  # the first batch is all unknown: 404
    route(fake_iamport, "GET", "/payments", batch_answer(known, payment_sample))

    assert [p.imp_uid for p in make_gateway().get_payments(ids)] == ids[100:]


def test_repeated_and_empty_ids_are_asked_once_and_nothing_is_asked_for_none(
    fake_iamport, make_gateway, payment_sample
):
    seen = route(fake_iamport, "GET", "/payments", batch_answer({"imp_1", "imp_2"}, payment_sample))
    gateway = make_gateway()

    assert gateway.get_payments([]) == [] and gateway.get_payments([""]) == []
    assert seen == []
    assert [p.imp_uid for p in gateway.get_payments(["imp_1", "imp_2", "imp_1", ""])] == ["imp_1", "imp_2"]
    assert query(seen[0]) == {"imp_uid[]": ["imp_1", "imp_2"]}


def test_ids_travel_in_the_query_string_only(fake_iamport, make_gateway, payment_sample):
    seen = route(fake_iamport, "GET", "/payments", batch_answer({"imp_a&b=c"}, payment_sample))

    payments = make_gateway().get_payments(["imp_a&b=c"])

    assert [p.imp_uid for p in payments] == ["imp_a&b=c"]
    assert query(seen[0]) == {"imp_uid[]": ["imp_a&b=c"]}


def test_batch_lookup_is_retried_after_a_server_error(fake_iamport, make_gateway, payment_sample, sleeps):
    answers = iter([Reply(500, {"code": -1, "message": "busy", "response": None})])
    known = batch_answer({"imp_1"}, payment_sample)
    seen = route(fake_iamport, "GET", "/payments", lambda s: next(answers, None) or known(s))

    assert [p.imp_uid for p in make_gateway().get_payments(["imp_1"])] == ["imp_1"]
    assert len(seen) == 2 and len(sleeps.delays) == 1


def test_batch_answer_that_is_not_a_list_is_malformed(fake_iamport, make_gateway, payment_sample):
    route(fake_iamport, "GET", "/payments", lambda s: ok(payment_sample()))

    with pytest.raises(IamportMalformedResponse):
        make_gateway().get_payments(["imp_1"])


# ---------------------------------------------------------------- list_payments


def page_of(payments: list[dict[str, Any]], page: int, last: int) -> Reply:
    return ok(
        {
            "total": 99,
            "previous": page - 1,
            "next": page + 1 if page < last else 0,
            "list": payments,
        }
    )


def test_listing_sends_status_window_paging_and_sorting(fake_iamport, make_gateway, payment_sample):
    seen = route(
        fake_iamport, "GET", "/payments/status/all", lambda s: page_of([payment_sample()], page=1, last=3)
    )

    payments, next_page = make_gateway().list_payments("all", SINCE, UNTIL, 1, 50)

    assert [p.imp_uid for p in payments] == ["imp_448280090638"] and next_page == 2
    assert query(seen[0]) == {
        "from": [str(int(SINCE.timestamp()))],
        "to": [str(int(UNTIL.timestamp()))],
        "page": ["1"],
        "limit": ["50"],
        "sorting": ["started"],
    }


def test_the_last_page_has_no_next(fake_iamport, make_gateway, payment_sample):
    route(fake_iamport, "GET", "/payments/status/paid", lambda s: page_of([payment_sample()], page=3, last=3))

    assert make_gateway().list_payments("paid", SINCE, UNTIL, 3, 20)[1] is None


def test_an_empty_window_is_an_empty_page(fake_iamport, make_gateway):
    route(
        fake_iamport,
        "GET",
        "/payments/status/cancelled",
        lambda s: ok({"total": 0, "previous": 0, "next": 0, "list": []}),
    )

    assert make_gateway().list_payments("cancelled", SINCE, UNTIL) == ([], None)


def test_a_next_page_that_does_not_move_forward_ends_the_paging(fake_iamport, make_gateway, payment_sample):
    route(
        fake_iamport,
        "GET",
        "/payments/status/all",
        lambda s: ok({"total": 1, "previous": 0, "next": 1, "list": [payment_sample()]}),
    )

    assert make_gateway().list_payments("all", SINCE, UNTIL, 1, 20)[1] is None


def test_listing_is_retried_after_a_server_error(fake_iamport, make_gateway, payment_sample, sleeps):
    answers = iter([Reply(503, b"<html>busy</html>")])
    seen = route(
        fake_iamport,
        "GET",
        "/payments/status/all",
        lambda s: next(answers, None) or page_of([payment_sample()], 1, 1),
    )

    assert len(make_gateway().list_payments("all", SINCE, UNTIL)[0]) == 1
    assert len(seen) == 2 and len(sleeps.delays) == 1


def test_listing_gives_up_as_unavailable_after_its_retries(fake_iamport, make_gateway):
    route(fake_iamport, "GET", "/payments/status/all", lambda s: Reply(500, b""))

    with pytest.raises(IamportUnavailable):
        make_gateway().list_payments("all", SINCE, UNTIL)


def test_a_refused_listing_keeps_iamports_message(fake_iamport, make_gateway):
    route(
        fake_iamport,
        "GET",
        "/payments/status/all",
        lambda s: Reply(400, {"code": -1, "message": "page 범위를 벗어났습니다.", "response": None}),
    )

    with pytest.raises(IamportRejected) as refused:
        make_gateway().list_payments("all", SINCE, UNTIL, 9, 20)
    assert refused.value.http_status == 400 and refused.value.iamport_message == "page 범위를 벗어났습니다."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("everything", SINCE, UNTIL), "unknown payment status"),
        (("all", UNTIL, SINCE), "since must not be after until"),
        (("all", UNTIL - timedelta(days=91), UNTIL), "90 days"),
        (("all", SINCE.replace(tzinfo=None), UNTIL), "timezone-aware"),
        (("all", SINCE, UNTIL, 0), "page"),
        (("all", SINCE, UNTIL, 1, 0), "limit"),
        (("all", SINCE, UNTIL, 1, 1001), "limit"),
    ],
)
def test_listing_arguments_are_checked_before_any_call(fake_iamport, make_gateway, args, message):
    with pytest.raises(ValueError, match=message):
        make_gateway().list_payments(*args)

    assert fake_iamport.seen == []


def test_exactly_90_days_is_allowed(fake_iamport, make_gateway):
    route(
        fake_iamport,
        "GET",
        "/payments/status/all",
        lambda s: ok({"total": 0, "previous": 0, "next": 0, "list": []}),
    )

    assert make_gateway().list_payments("all", UNTIL - timedelta(days=90), UNTIL) == ([], None)
