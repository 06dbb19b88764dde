"""Every reply is checked against its route's model (checkout.api.replies) before it leaves: a reply the
model does not describe is our bug, answered 500 `internal_error` and logged without its content, never
sent as it is; an optional field with no value stays absent; a header names the key case-insensitively."""

from __future__ import annotations

import json

import pytest

from checkout import views
from checkout.domain.order import VbankAccount
from checkout.domain.status import OrderStatus
from tests.support.api_fakes import FakeCheckout
from tests.support.api_harness import BUYER, invoke, load_function, sample_event
from tests.support.samples import NOW, sample_order

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


@pytest.fixture
def facade() -> FakeCheckout:
    return FakeCheckout(user_id=BUYER)


@pytest.fixture
def handler(facade, monkeypatch):
    def load(name: str):
        module = load_function(name)
        monkeypatch.setattr(module, "get_checkout", lambda: facade)
        return module

    return load


def test_a_reply_with_a_field_the_model_does_not_know_is_a_500_that_hides_it(
    handler, monkeypatch, capsys, caplog
):
    original = views.cart_json

    def leaky(cart):
        return {**original(cart), "internal_note": "card 4111-1111-1111-1111"}

    module = handler("cart")
    monkeypatch.setattr(module.views, "cart_json", leaky)
    reply = invoke(module, sample_event("cart/get-cart.json"))
    assert reply.status == 500
    assert reply.error_code == "internal_error"
    assert "4111" not in json.dumps(reply.body)
    [record] = [r for r in caplog.records if r.getMessage() == "reply does not match its schema"]
    assert record.levelname == "ERROR"
    assert record.problems == [{"loc": "response.internal_note", "type": "extra_forbidden"}]
    # Where and why only, never the reply's content.
    assert "4111" not in json.dumps(record.__dict__, default=str)
    assert "ReplySchemaMismatch" in capsys.readouterr().out  # the metric (EMF on stdout)


def test_a_reply_missing_a_field_is_a_500_too(handler, monkeypatch):
    module = handler("orders")
    original = views.points_json
    monkeypatch.setattr(
        module.views, "points_json", lambda s: {k: v for k, v in original(s).items() if k != "held"}
    )
    reply = invoke(module, sample_event("orders/get-points.json"))
    assert reply.status == 500 and reply.error_code == "internal_error"


def test_optional_order_fields_are_absent_without_a_value_and_present_with_one(handler, facade, monkeypatch):
    module = handler("orders")
    bare = sample_order(BUYER, OrderStatus.READY)
    monkeypatch.setattr(facade, "get_order", lambda *a, **k: bare)
    body = invoke(module, sample_event("orders/get-order.json")).body["order"]
    assert not {"vbank", "failure_reason", "paid_at"} & set(body)
    assert body["imp_uid"] is None  # always there, null until a payment is known

    account = VbankAccount(bank="국민은행", number="12345678901234", holder="(주)체크아웃", due=NOW)
    full = sample_order(BUYER, OrderStatus.AWAITING_DEPOSIT, vbank=account, imp_uid="imp_1")
    monkeypatch.setattr(facade, "get_order", lambda *a, **k: full)
    body = invoke(module, sample_event("orders/get-order.json")).body["order"]
    assert body["vbank"] == {
        "bank": "국민은행",
        "number": "12345678901234",
        "holder": "(주)체크아웃",
        "due": views.iso(NOW),
    }
    assert body["status"] == "awaiting_deposit"


@pytest.mark.parametrize("name", ["Idempotency-Key", "idempotency-key", "IDEMPOTENCY-KEY"])
def test_the_idempotency_key_header_is_read_whatever_its_case(handler, facade, name):
    event = sample_event("create_order/create-order.json")
    event["headers"].pop("idempotency-key")
    event["headers"][name] = "key-123"
    assert invoke(handler("create_order"), event).status == 201
    assert facade.called("create_order")[2] == "key-123"


def test_an_invalid_idempotency_key_keeps_its_own_code(handler, facade):
    event = sample_event("create_order/create-order.json")
    event["headers"]["idempotency-key"] = "no spaces allowed"
    reply = invoke(handler("create_order"), event)
    assert reply.status == 422 and reply.error_code == "invalid_idempotency_key"


def test_the_webhooks_retry_later_refusal_keeps_its_header(handler, facade, monkeypatch):
    from checkout.errors import GatewayUnavailable

    def unavailable(note):
        raise GatewayUnavailable("I'mport is down")

    monkeypatch.setattr(facade, "handle_webhook", unavailable)
    event = sample_event("webhook/webhook-json.json")
    reply = invoke(handler("webhook"), event)
    assert reply.status == 502 and reply.headers.get("retry-after") == "60"
    assert json.dumps(reply.body)  # an ErrorBody, not checked against the acknowledgement's model
    assert reply.error_code == "payment_gateway_unavailable"


def test_an_order_paid_entirely_with_points_is_a_valid_reply(handler, facade, monkeypatch):
    # Found by the reply check itself: such an order's pay_method is `points`, which no window takes.
    points_only = sample_order(BUYER, OrderStatus.PAID, pay_method="points", amount=0, points_used=38000)
    monkeypatch.setattr(facade, "get_order", lambda *a, **k: points_only)
    reply = invoke(handler("orders"), sample_event("orders/get-order.json"))
    assert reply.status == 200 and reply.body["order"]["pay_method"] == "points"
