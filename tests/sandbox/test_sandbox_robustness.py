"""Requests a careless client or a curl one-liner sends: every one gets a clear 4xx JSON envelope (never a
5xx or an HTML page), and none can leave the sandbox in a state that breaks later requests."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests

from tests.support.imp_api import ImpApi

CURL_FORM = {"Content-Type": "application/x-www-form-urlencoded"}  # what `curl -d` sends by default


def _raw_request(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(request)
        chunks = []
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("method", ["PATCH", "TRACE", "PROPFIND"])
def test_methods_no_route_has_are_a_405_or_404_envelope(sandbox: Any, api: ImpApi, method: str) -> None:
    on_a_route = api.call(method, "/payments/prepare")
    assert on_a_route.status_code == 405, on_a_route.text
    assert on_a_route.json() == {"code": -1, "message": on_a_route.json()["message"], "response": None}
    nowhere = api.call(method, "/no/such/route")
    assert nowhere.status_code == 404 and nowhere.json()["response"] is None


def test_head_answers_like_get_without_a_body(sandbox: Any) -> None:
    reply = _raw_request(
        sandbox.url, b"HEAD /sandbox/iamport.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert b"application/javascript" in head and body == b""


def test_a_json_body_sent_with_curls_default_form_type_is_read_as_json(sandbox: Any) -> None:
    # sandbox/README.md's one-liners are `curl URL -d '{...}'`: curl labels that body as a form.
    created = requests.post(
        f"{sandbox.url}/sandbox/payments",
        data='{"merchant_uid": "order-curl-1", "amount": 1000, "outcome": "vbank"}',
        headers=CURL_FORM,
        timeout=5,
    )
    assert created.status_code == 200, created.text
    assert created.json()["response"]["status"] == "ready"
    fault = requests.post(
        f"{sandbox.url}/sandbox/faults",
        data='{"route": "^/payments/cancel$", "kind": "http_500", "count": 2}',
        headers=CURL_FORM,
        timeout=5,
    )
    assert fault.status_code == 200 and fault.json()["response"]["count"] == 2
    clock = requests.post(
        f"{sandbox.url}/sandbox/clock", data='{"advance_s": 1800}', headers=CURL_FORM, timeout=5
    )
    assert clock.status_code == 200 and clock.json()["response"]["offset_s"] == 1800


def test_a_real_form_body_starting_with_a_brace_stays_a_form(sandbox: Any, api: ImpApi) -> None:
    token = api.call(
        "POST",
        "/users/getToken",
        form="{x=1&imp_key=sandbox-key&imp_secret=sandbox-secret",
        headers=CURL_FORM,
        auth=False,
    )
    assert token.status_code == 200 and token.json()["response"]["access_token"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_refused_as_bad_bodies(sandbox: Any, api: ImpApi, constant: str) -> None:
    reply = api.call(
        "POST",
        "/payments/prepare",
        form=f'{{"merchant_uid": "order-nan", "amount": {constant}}}',
        headers={"Content-Type": "application/json"},
    )
    assert reply.status_code == 400 and reply.json()["code"] == -1


@pytest.mark.parametrize("advance", ["NaN", "Infinity", "1e308"])
def test_the_clock_refuses_absurd_advances_and_keeps_working(sandbox: Any, api: ImpApi, advance: str) -> None:
    reply = requests.post(
        f"{sandbox.url}/sandbox/clock",
        data=f'{{"advance_s": {advance}}}',
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert reply.status_code == 400, reply.text
    assert sandbox.control.clock()["offset_s"] == 0
    assert api.token()  # a broken clock would turn every later request into a 500


@pytest.mark.parametrize("field", ["notice_url", "confirm_url"])
@pytest.mark.parametrize("url", ["garbage", "ftp://127.0.0.1/hook", "http://"])
def test_a_webhook_or_confirm_url_that_is_not_http_is_refused_before_any_payment(
    sandbox: Any, field: str, url: str
) -> None:
    reply = requests.post(
        f"{sandbox.url}/sandbox/payments",
        json={"merchant_uid": "order-url-1", "amount": 1000, field: url},
        timeout=5,
    )
    assert reply.status_code == 409, reply.text
    assert reply.json()["error_code"] == "INVALID_PARAM" and field in reply.json()["message"]
    assert sandbox.control.payments() == []


def test_api_issued_vbank_with_a_bad_notice_url_is_a_400(sandbox: Any, api: ImpApi) -> None:
    due = sandbox.control.clock()["now"] + 86400
    reply = api.call(
        "POST",
        "/vbanks",
        json_body={
            "merchant_uid": "order-url-2",
            "amount": 1000,
            "vbank_code": "088",
            "vbank_due": due,
            "notice_url": "not a url",
        },
    )
    assert reply.status_code == 400 and "notice_url" in reply.json()["message"]
    assert sandbox.control.payments() == []


@pytest.mark.parametrize(("sent", "escrow"), [("false", False), ("true", True), (False, False), (True, True)])
def test_escrow_sent_as_text_means_what_it_says(sandbox: Any, sent: Any, escrow: bool) -> None:
    paid = sandbox.control.pay(f"order-escrow-{sent}", 1000, escrow=sent)
    assert paid["escrow"] is escrow
