"""The batch lookup and the listing by status and time against the sandbox: batches of 100, partial
answers, paging to the end, status times (a payment is listed by the time of its current status) and
retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from checkout.gateway import IamportUnavailable

pytestmark = pytest.mark.integration


def window(iamport) -> tuple[datetime, datetime]:
    """The last day up to now by the sandbox's clock (it may run ahead of the real one)."""
    now = datetime.fromtimestamp(iamport.control("GET", "/sandbox/clock")["now"], UTC)
    return now - timedelta(days=1), now + timedelta(seconds=1)


def list_all(iamport, status: str, since: datetime, until: datetime, limit: int) -> tuple[list, int]:
    """Every page of a listing, and how many pages it took."""
    found, page, pages = [], 1, 0
    while page is not None:
        payments, page = iamport.gateway.list_payments(status, since, until, page, limit)
        found.extend(payments)
        pages += 1
    return found, pages


# ---------------------------------------------------------------- get_payments


def test_batch_lookup_finds_known_payments_and_leaves_unknown_ids_out(iamport):
    paid = iamport.pay(15000)
    failed = iamport.pay(8000, outcome="failed")

    payments = iamport.gateway.get_payments([paid["imp_uid"], "imp_000000000000", failed["imp_uid"]])

    assert {p.imp_uid: p.status for p in payments} == {paid["imp_uid"]: "paid", failed["imp_uid"]: "failed"}
    # some ids unknown: I'mport answers 207 with the ones it found
    assert iamport.session.seen("GET", "/payments") == [207]


def test_batch_lookup_by_merchant_uid_answers_each_orders_latest_attempt(iamport):
    first = iamport.pay(9000, outcome="failed")
    again = iamport.pay(9000, merchant_uid=first["merchant_uid"])  # the buyer tried again and paid
    other = iamport.pay(4000)

    payments = iamport.gateway.get_payments(
        [other["imp_uid"]], merchant_uids=[first["merchant_uid"], "no-such-order"]
    )

    assert {p.imp_uid: p.status for p in payments} == {again["imp_uid"]: "paid", other["imp_uid"]: "paid"}
    assert len(iamport.session.seen("GET", "/payments")) == 1  # one call for both kinds of id


def test_batch_lookup_of_unknown_ids_only_is_empty(iamport):
    assert iamport.gateway.get_payments(["imp_000000000000", "imp_000000000001"]) == []
    assert iamport.session.seen("GET", "/payments") == [404]


def test_batch_lookup_of_more_than_100_ids_goes_in_batches(iamport):
    paid = [iamport.pay(1000 + n)["imp_uid"] for n in range(3)]
    ids = paid + [f"imp_unknown{n:04d}" for n in range(150)]

    payments = iamport.gateway.get_payments(ids)

    assert sorted(p.imp_uid for p in payments) == sorted(paid)
    assert iamport.session.seen("GET", "/payments") == [207, 404]  # 100 ids, then 53


def test_batch_lookup_survives_a_server_error(iamport):
    paid = iamport.pay(15000)
    iamport.fault(r"^/payments$", "http_500")

    assert [p.imp_uid for p in iamport.gateway.get_payments([paid["imp_uid"]])] == [paid["imp_uid"]]
    assert iamport.session.seen("GET", "/payments") == [500, 200]


# ---------------------------------------------------------------- list_payments


def test_listing_pages_through_every_payment_of_the_window(iamport):
    made = {iamport.pay(1000 + n)["imp_uid"] for n in range(5)}
    made.add(iamport.pay(9000, outcome="failed")["imp_uid"])
    made.add(iamport.pay(7000, outcome="vbank")["imp_uid"])
    since, until = window(iamport)

    listed, pages = list_all(iamport, "all", since, until, limit=2)

    assert {p.imp_uid for p in listed} == made and len(listed) == len(made)
    assert pages == 4


def test_listing_by_status_only_lists_that_status(iamport):
    paid = iamport.pay(1000)
    iamport.pay(2000, outcome="failed")
    since, until = window(iamport)

    listed, _ = list_all(iamport, "paid", since, until, limit=20)

    assert [p.imp_uid for p in listed] == [paid["imp_uid"]]


def test_a_payment_is_listed_by_the_time_of_its_current_status(iamport):
    """Paid three days ago and cancelled in the console now: not in the window of its payment any more,
    in today's window as cancelled."""
    paid = iamport.pay(15000)
    paid_at = datetime.fromtimestamp(paid["paid_at"], UTC)
    iamport.advance(3 * 24 * 3600)
    iamport.control("POST", f"/sandbox/payments/{paid['imp_uid']}/console-cancel", {})
    since, until = window(iamport)

    today, _ = list_all(iamport, "all", since, until, limit=20)
    back_then, _ = list_all(
        iamport, "all", paid_at - timedelta(minutes=1), paid_at + timedelta(minutes=1), limit=20
    )

    assert [(p.imp_uid, p.status) for p in today] == [(paid["imp_uid"], "cancelled")]
    assert back_then == []


def test_a_window_with_nothing_in_it_is_one_empty_page(iamport):
    iamport.pay(1000)
    since, _ = window(iamport)

    assert iamport.gateway.list_payments("all", since - timedelta(days=30), since) == ([], None)


def test_a_window_of_90_days_is_accepted_by_iamport(iamport):
    iamport.pay(1000)
    _, until = window(iamport)

    listed, _ = list_all(iamport, "all", until - timedelta(days=90), until, limit=20)

    assert len(listed) == 1


def test_listing_survives_one_server_error_and_gives_up_after_its_retries(iamport):
    iamport.pay(1000)
    since, until = window(iamport)
    iamport.fault(r"^/payments/status/", "http_500")

    assert len(iamport.gateway.list_payments("all", since, until)[0]) == 1

    iamport.fault(r"^/payments/status/", "http_500", count=5)
    with pytest.raises(IamportUnavailable):
        iamport.gateway.list_payments("all", since, until)
