"""Each function on its sample event (events/), with a recording facade: routing, parsing,
authorization and the shape of the reply."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from checkout.errors import (
    BadRequest,
    GatewayUnavailable,
    OrderNotFound,
    OrderStateConflict,
    RequestInProgress,
    StaleOrder,
    StoreUnavailable,
)
from checkout.services.results import Actor
from tests.support.api_fakes import IMP_UID, MERCHANT_UID, FakeCheckout
from tests.support.api_harness import (
    BUYER,
    LambdaContext,
    http_event,
    invoke,
    load_function,
    sample_event,
    without_claims,
)

# A request that records no business metric is normal; Powertools warns about it on every flush.
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


# ---------------------------------------------------------------- cart


def test_products_are_public(handler, facade):
    reply = invoke(handler("cart"), sample_event("cart/list-products.json"))
    assert reply.status == 200
    assert reply.body == {
        "products": [{"product_id": "tee-white-m", "name": "화이트 티셔츠 M", "price": 19000, "stock": 12}]
    }


def test_cart_is_read_for_the_token_subject(handler, facade):
    reply = invoke(handler("cart"), sample_event("cart/get-cart.json"))
    assert reply.status == 200
    assert facade.called("get_cart") == (BUYER,)
    assert reply.body["total"] == 19000


def test_putting_a_cart_item_passes_the_path_product_and_quantity(handler, facade):
    reply = invoke(handler("cart"), sample_event("cart/put-cart-item.json"))
    assert reply.status == 200
    assert facade.called("put_cart_item") == (BUYER, "tee-white-m", 2)
    assert reply.body["items"][0]["quantity"] == 2


def test_cart_item_quantity_out_of_range_is_422(handler, facade):
    event = sample_event("cart/put-cart-item.json")
    event["body"] = json.dumps({"quantity": 0})
    reply = invoke(handler("cart"), event)
    assert reply.status == 422
    assert "quantity" in reply.body["error"]["message"]
    assert facade.calls == []


def test_deleting_a_cart_item(handler, facade):
    reply = invoke(handler("cart"), sample_event("cart/delete-cart-item.json"))
    assert reply.status == 200
    assert facade.called("delete_cart_item") == (BUYER, "tee-white-m")
    assert reply.body == {"items": [], "total": 0}


@pytest.mark.parametrize(
    ("function", "event_file"),
    [
        ("cart", "cart/get-cart.json"),
        ("cart", "cart/put-cart-item.json"),
        ("create_order", "create_order/create-order.json"),
        ("orders", "orders/list-orders.json"),
        ("orders", "orders/get-order.json"),
        ("orders", "orders/get-points.json"),
        ("refund", "refund/refund-order.json"),
        ("refund", "refund/cancel-order.json"),
        ("complete", "complete/complete-payment.json"),
    ],
)
def test_user_routes_without_claims_are_401(handler, facade, function, event_file):
    reply = invoke(handler(function), without_claims(sample_event(event_file)))
    assert reply.status == 401
    assert reply.error_code == "unauthorized"
    assert facade.calls == []


# ---------------------------------------------------------------- create_order


def test_order_creation_is_201_with_the_payment_parameters(handler, facade):
    reply = invoke(handler("create_order"), sample_event("create_order/create-order.json"))
    assert reply.status == 201
    user_id, req, key = facade.called("create_order")
    assert user_id == BUYER
    assert key == "0c7e6a52-3f0d-4b7e-9d1a-6b2f8e4c1a90"
    assert req.points_to_use == 1000 and req.buyer.name == "김민지"
    assert set(reply.body) == {"order", "payment"}
    assert reply.body["payment"]["merchant_uid"] == reply.body["order"]["merchant_uid"]


def test_order_creation_without_idempotency_key_passes_none(handler, facade):
    event = sample_event("create_order/create-order.json")
    del event["headers"]["idempotency-key"]
    assert invoke(handler("create_order"), event).status == 201
    assert facade.called("create_order")[2] is None


def test_order_with_a_float_amount_of_points_is_refused(handler, facade):
    event = sample_event("create_order/create-order.json")
    body = json.loads(event["body"])
    body["points_to_use"] = 1000.5
    event["body"] = json.dumps(body)
    reply = invoke(handler("create_order"), event)
    assert reply.status == 422
    assert "points_to_use" in reply.body["error"]["message"]


def test_order_in_progress_answers_409_with_retry_after(handler, facade):
    facade.errors["create_order"] = RequestInProgress(retry_after_s=2)
    reply = invoke(handler("create_order"), sample_event("create_order/create-order.json"))
    assert reply.status == 409
    assert reply.headers["retry-after"] == "2"
    assert reply.error_code == "request_in_progress"


# ---------------------------------------------------------------- complete


def test_browser_completion_is_the_signed_in_buyers_report(handler, facade):
    reply = invoke(handler("complete"), sample_event("complete/complete-payment.json"))
    assert reply.status == 200
    assert facade.called("complete_payment") == (IMP_UID, MERCHANT_UID, Actor(user_id=BUYER, is_admin=False))
    assert reply.body["order"]["status"] == "paid"


def test_owner_cancel_passes_the_actor(handler, facade):
    reply = invoke(handler("refund"), sample_event("refund/cancel-order.json"))
    assert reply.status == 200
    assert facade.called("cancel_order") == (Actor(user_id=BUYER, is_admin=False), MERCHANT_UID)
    assert reply.body["order"]["status"] == "failed"


def test_redirect_reconciles_then_sends_the_buyer_to_the_result_page(handler, facade):
    reply = invoke(handler("complete"), sample_event("complete/payment-redirect.json"))
    assert reply.status == 302
    assert facade.called("complete_payment") == (IMP_UID, MERCHANT_UID)
    location = urlsplit(reply.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://shop.example.test/result"
    assert parse_qs(location.query) == {"merchant_uid": [MERCHANT_UID], "status": ["paid"]}


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (GatewayUnavailable("I'mport did not answer."), "payment_gateway_unavailable"),
        (OrderNotFound("No such order."), "order_not_found"),
        (RuntimeError("bug"), "internal_error"),
    ],
)
def test_redirect_that_cannot_reconcile_still_redirects_with_an_error(handler, facade, error, code):
    facade.errors["complete_payment"] = error
    reply = invoke(handler("complete"), sample_event("complete/payment-redirect-failed.json"))
    assert reply.status == 302
    query = parse_qs(urlsplit(reply.headers["location"]).query)
    # Only what the caller sent and a status: the reason stays in the logs (the page reads the order).
    assert query == {"merchant_uid": ["ord_20260101_5c2e7a9f1b"], "status": ["error"]}


def test_redirect_without_merchant_uid_is_400_json(handler, facade):
    event = sample_event("complete/payment-redirect.json")
    del event["queryStringParameters"]["merchant_uid"]
    reply = invoke(handler("complete"), event)
    assert reply.status == 400
    assert reply.error_code == "missing_merchant_uid"
    assert facade.calls == []


def test_redirect_without_imp_uid_reconciles_by_merchant_uid(handler, facade):
    event = sample_event("complete/payment-redirect.json")
    event["queryStringParameters"] = {"merchant_uid": MERCHANT_UID}
    assert invoke(handler("complete"), event).status == 302
    assert facade.called("complete_payment") == (None, MERCHANT_UID)


def test_browser_completion_with_a_malformed_merchant_uid_is_422(handler, facade):
    event = sample_event("complete/complete-payment.json")
    event["body"] = json.dumps({"imp_uid": IMP_UID, "merchant_uid": "../../etc"})
    reply = invoke(handler("complete"), event)
    assert reply.status == 422
    assert facade.calls == []


# ---------------------------------------------------------------- webhook


def test_json_webhook_is_acknowledged_after_reconcile(handler, facade):
    reply = invoke(handler("webhook"), sample_event("webhook/webhook-json.json"))
    assert reply.status == 200
    (note,) = facade.called("handle_webhook")
    assert (note.imp_uid, note.merchant_uid, note.status) == (IMP_UID, MERCHANT_UID, "paid")
    assert reply.body["order_status"] == "paid"


def test_form_webhook_base64_encoded_by_api_gateway_is_understood(handler, facade):
    reply = invoke(handler("webhook"), sample_event("webhook/webhook-form-base64.json"))
    assert reply.status == 200
    (note,) = facade.called("handle_webhook")
    assert note.status == "cancelled"
    assert note.cancellation_id == "cancel_20260101_1a2b3c"


def test_webhook_for_an_unknown_order_is_200(handler, facade):
    facade.webhook_result = "unknown"
    reply = invoke(handler("webhook"), sample_event("webhook/webhook-json.json"))
    assert reply.status == 200
    assert reply.body == {"status": "ignored", "reason": "unknown_order"}


def test_webhook_from_a_source_outside_the_allowlist_is_403(handler, facade):
    event = sample_event("webhook/webhook-json.json")
    event["requestContext"]["http"]["sourceIp"] = "203.0.113.50"
    # A forged X-Forwarded-For must not help: only API Gateway's sourceIp counts.
    event["headers"]["x-forwarded-for"] = "52.78.100.19"
    reply = invoke(handler("webhook"), event)
    assert reply.status == 403
    assert reply.error_code == "source_not_allowed"
    assert facade.calls == []


def test_empty_allowlist_accepts_any_source(handler, facade, monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOWED_IPS", "")
    event = sample_event("webhook/webhook-json.json")
    event["requestContext"]["http"]["sourceIp"] = "203.0.113.50"
    assert invoke(handler("webhook"), event).status == 200


@pytest.mark.parametrize(
    ("body", "content_type", "b64", "status"),
    [
        ("", "application/json", False, 400),
        ("{oops", "application/json", False, 400),
        (json.dumps({"status": "paid"}), "application/json", False, 422),
        (
            json.dumps({"imp_uid": "imp 1", "merchant_uid": "x", "status": "paid"}),
            "application/json",
            False,
            422,
        ),
        (base64.b64encode(b"\xff\xfe\x00").decode(), "application/x-www-form-urlencoded", True, 400),
    ],
)
def test_garbage_webhook_is_4xx(handler, facade, body, content_type, b64, status):
    event = sample_event("webhook/webhook-json.json")
    event.update(body=body, isBase64Encoded=b64)
    event["headers"]["content-type"] = content_type
    reply = invoke(handler("webhook"), event)
    assert reply.status == status
    assert facade.calls == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (GatewayUnavailable("I'mport timed out."), 502),
        (StoreUnavailable("Throttled."), 503),
        (StaleOrder("The order moved on."), 503),
        (RequestInProgress(), 503),
    ],
)
def test_transient_webhook_failures_are_5xx_so_iamport_resends(handler, facade, error, status):
    facade.errors["handle_webhook"] = error
    reply = invoke(handler("webhook"), sample_event("webhook/webhook-json.json"))
    assert reply.status == status
    assert reply.headers["retry-after"] == "60"


@pytest.mark.parametrize(
    "error",
    [
        BadRequest("the payment does not belong to this order", code="payment_order_mismatch"),
        BadRequest("I'mport knows no payment imp_x", code="unknown_payment"),
    ],
)
def test_a_webhook_pair_i_mport_never_sends_is_acknowledged_without_telling_why(handler, facade, error):
    facade.errors["handle_webhook"] = error
    reply = invoke(handler("webhook"), sample_event("webhook/webhook-json.json"))
    assert reply.status == 200
    assert reply.body == {"status": "ignored", "reason": "not_applicable"}


def test_webhook_that_cannot_change_anything_is_acknowledged(handler, facade):
    facade.errors["handle_webhook"] = OrderStateConflict("Already cancelled.")
    reply = invoke(handler("webhook"), sample_event("webhook/webhook-json.json"))
    assert reply.status == 200
    assert reply.body == {"status": "ignored", "reason": "order_state_conflict"}


@pytest.mark.parametrize(
    ("function", "event_file", "parameter", "value"),
    [
        # DynamoDB refuses a key over 2048 bytes: unchecked, such an id reached it and came back as a 503.
        ("cart", "cart/put-cart-item.json", "product_id", "p" * 3000),
        ("cart", "cart/delete-cart-item.json", "product_id", "p" * 3000),
        ("cart", "cart/put-cart-item.json", "product_id", "티셔츠"),
        ("orders", "orders/get-order.json", "merchant_uid", "o" * 3000),
        ("orders", "orders/get-order.json", "merchant_uid", "ord 1;drop"),
        ("refund", "refund/refund-order.json", "merchant_uid", "o" * 41),
    ],
)
def test_malformed_ids_in_the_path_are_422_and_reach_nothing(
    handler, facade, function, event_file, parameter, value
):
    event = sample_event(event_file)
    original = event["pathParameters"][parameter]
    event["pathParameters"][parameter] = value
    # HTTP API hands the path over decoded (rawPath included).
    event["rawPath"] = event["rawPath"].replace(original, value)
    event["requestContext"]["http"]["path"] = event["requestContext"]["http"]["path"].replace(original, value)
    reply = invoke(handler(function), event)
    assert reply.status == 422, reply.body
    assert reply.error_code == "validation_failed"
    assert parameter in reply.body["error"]["message"]
    assert value not in json.dumps(reply.body)
    assert facade.calls == []


# ---------------------------------------------------------------- orders


def test_order_history_passes_limit_and_cursor(handler, facade):
    event = sample_event("orders/list-orders.json")
    event["queryStringParameters"]["cursor"] = "eyJrIjoxfQ"
    reply = invoke(handler("orders"), event)
    assert reply.status == 200
    assert facade.called("list_orders") == (BUYER, 10, "eyJrIjoxfQ")
    assert reply.body["next_cursor"] == "eyJrIjoxfQ"
    assert reply.body["orders"][0]["merchant_uid"] == MERCHANT_UID


@pytest.mark.parametrize("limit", ["0", "51", "ten"])
def test_order_history_limit_out_of_range_is_422(handler, facade, limit):
    event = sample_event("orders/list-orders.json")
    event["queryStringParameters"]["limit"] = limit
    reply = invoke(handler("orders"), event)
    assert reply.status == 422
    assert reply.error_code == "validation_failed"
    assert "limit" in reply.body["error"]["message"]


def test_someone_elses_order_is_404(handler, facade):
    facade.errors["get_order"] = OrderNotFound("No such order.")
    reply = invoke(handler("orders"), sample_event("orders/get-order.json"))
    assert reply.status == 404
    assert reply.error_code == "order_not_found"
    assert facade.called("get_order") == (BUYER, MERCHANT_UID, False)


def test_an_admin_may_read_any_order(handler, facade):
    event = sample_event("orders/get-order.json")
    event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = "[admin]"
    reply = invoke(handler("orders"), event)
    assert reply.status == 200
    assert facade.called("get_order") == (BUYER, MERCHANT_UID, True)


def test_points_balance_and_ledger(handler, facade):
    reply = invoke(handler("orders"), sample_event("orders/get-points.json"))
    assert reply.status == 200
    assert facade.called("get_points") == (BUYER, 20, None)  # the first page, as big as the orders'
    assert reply.body["available"] == 4370 and reply.body["held"] == 1000
    assert reply.body["ledger"][0]["merchant_uid"] == MERCHANT_UID
    assert reply.body["next_cursor"] == "eyJrIjoyfQ"


def _points_event(query: dict[str, str]) -> dict:
    event = sample_event("orders/get-points.json")
    event["queryStringParameters"] = query
    event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    return event


def test_points_pass_limit_and_cursor(handler, facade):
    reply = invoke(handler("orders"), _points_event({"limit": "5", "cursor": "eyJrIjoxfQ"}))
    assert reply.status == 200
    assert facade.called("get_points") == (BUYER, 5, "eyJrIjoxfQ")
    assert reply.body["next_cursor"] == "eyJrIjoyfQ"


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "51"},
        {"limit": "ten"},
        {"limit": "1.5"},
        {"cursor": ""},
        {"cursor": "A" * 2049},
    ],
)
def test_points_limit_or_cursor_out_of_range_is_422_and_reaches_nothing(handler, facade, query):
    reply = invoke(handler("orders"), _points_event(query))
    assert reply.status == 422, reply.body
    assert reply.error_code == "validation_failed"
    assert next(iter(query)) in reply.body["error"]["message"]
    assert facade.calls == []


def test_a_cursor_the_store_refuses_is_400_invalid_cursor(handler, facade):
    facade.errors["get_points"] = BadRequest("invalid cursor", code="invalid_cursor")
    reply = invoke(handler("orders"), _points_event({"cursor": "bm90LW1pbmU"}))
    assert reply.status == 400
    assert reply.error_code == "invalid_cursor"


def test_a_route_the_function_does_not_serve_is_404_json(handler, facade):
    # API Gateway answers these itself on AWS; a direct invocation still gets the error shape.
    event = http_event("DELETE", "/points", claims={"sub": BUYER})
    reply = invoke(handler("orders"), event)
    assert reply.status == 404
    assert reply.error_code == "route_not_found"


# ---------------------------------------------------------------- refund


def test_owner_refund_passes_actor_lines_and_key(handler, facade):
    reply = invoke(handler("refund"), sample_event("refund/refund-order.json"))
    assert reply.status == 200
    actor, merchant_uid, req, key = facade.called("refund")
    assert actor == Actor(user_id=BUYER, is_admin=False)
    assert merchant_uid == MERCHANT_UID
    assert [(line.product_id, line.quantity) for line in req.lines] == [("tee-white-m", 1)]
    assert key == "7d3b9f10-2c4e-4a8b-b6e1-93f0c2d5a7e4"
    assert reply.body["order"]["status"] == "partially_cancelled"


@pytest.mark.parametrize("groups", ["[admin]", "[staff admin]", "admin", ["admin"]])
def test_admin_group_claim_makes_an_admin_actor(handler, facade, groups):
    event = sample_event("refund/refund-order.json")
    event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = groups
    assert invoke(handler("refund"), event).status == 200
    assert facade.called("refund")[0] == Actor(user_id=BUYER, is_admin=True)


def test_refund_without_reason_is_422(handler, facade):
    event = sample_event("refund/refund-order.json")
    event["body"] = json.dumps({"lines": [{"product_id": "tee-white-m", "quantity": 1}]})
    reply = invoke(handler("refund"), event)
    assert reply.status == 422
    assert "reason" in reply.body["error"]["message"]
    assert facade.calls == []


# ---------------------------------------------------------------- reconcile


def test_sweeper_runs_one_sweep_and_reports_it(handler, facade):
    module = handler("reconcile")
    report = module.lambda_handler(sample_event("reconcile/scheduled-sweep.json"), LambdaContext())
    assert facade.called("sweep") == (None,)
    assert report["examined"] == 3 and report["errors"] == 1
