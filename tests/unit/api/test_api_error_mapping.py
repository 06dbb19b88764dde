"""One error mapping for the whole API: domain errors keep their status, bad input is a clear 4xx
JSON error, and only a genuine fault is a 500."""

from __future__ import annotations

import base64
import json
from typing import Annotated

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, ConfigDict, Field

from checkout.api.resolver import adopt_public_api_url, build_resolver, describe_validation_errors
from checkout.errors import (
    GatewayUnavailable,
    InsufficientPoints,
    OrderNotFound,
    RequestInProgress,
    ValidationFailed,
)
from tests.support.api_harness import LambdaContext, http_event


class Quantity(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    quantity: int = Field(ge=1, le=99)


def _app(raise_error=None):
    app = build_resolver()

    @app.put("/cart/items/<product_id>")
    def put_item(product_id: str, item: Annotated[Quantity, Body()]) -> dict:
        return {"product_id": product_id, "quantity": item.quantity}

    @app.get("/orders")
    def list_orders(limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict:
        return {"limit": limit}

    @app.post("/boom")
    def boom() -> dict:
        raise raise_error

    return app


def _call(app, event):
    raw = app.resolve(event, LambdaContext())
    body = json.loads(raw["body"]) if raw.get("body") else None
    headers = {k.lower(): v for k, v in (raw.get("headers") or {}).items()}
    return raw["statusCode"], headers, body


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (OrderNotFound("No such order."), 404, "order_not_found"),
        (InsufficientPoints("Not enough points."), 409, "insufficient_points"),
        (ValidationFailed("Bad."), 422, "validation_failed"),
        (GatewayUnavailable("I'mport did not answer."), 502, "payment_gateway_unavailable"),
    ],
)
def test_domain_errors_keep_their_status_code_and_message(error, status, code):
    got_status, _, body = _call(_app(error), http_event("POST", "/boom"))
    assert got_status == status
    assert body == {"error": {"code": code, "message": error.message}}


def test_request_in_progress_tells_the_client_when_to_retry():
    status, headers, body = _call(_app(RequestInProgress(retry_after_s=3)), http_event("POST", "/boom"))
    assert status == 409
    assert headers["retry-after"] == "3"
    assert body["error"]["code"] == "request_in_progress"


def test_invalid_body_is_422_with_a_message_naming_the_field():
    event = http_event("PUT", "/cart/items/p1", body=json.dumps({"quantity": 0}))
    status, _, body = _call(_app(), event)
    assert status == 422
    assert body["error"]["code"] == "validation_failed"
    assert "quantity" in body["error"]["message"]
    assert "greater than or equal to 1" in body["error"]["message"]
    assert body["error"]["details"] == [
        {"field": "quantity", "message": "Input should be greater than or equal to 1"}
    ]


def test_missing_body_and_wrong_types_are_422_not_500():
    status, _, body = _call(_app(), http_event("PUT", "/cart/items/p1"))
    assert status == 422 and body["error"]["code"] == "validation_failed"
    status, _, body = _call(_app(), http_event("PUT", "/cart/items/p1", body='{"quantity": "2"}'))
    assert status == 422 and "quantity" in body["error"]["message"]
    status, _, body = _call(_app(), http_event("GET", "/orders", query={"limit": "many"}))
    assert status == 422 and "limit" in body["error"]["message"]


def test_submitted_values_are_not_echoed_in_validation_errors():
    secret_looking = "4111-1111-1111-1111"
    status, _, body = _call(
        _app(), http_event("PUT", "/cart/items/p1", body=json.dumps({"quantity": secret_looking}))
    )
    assert status == 422
    assert secret_looking not in json.dumps(body)


def test_malformed_json_is_400():
    status, _, body = _call(_app(), http_event("PUT", "/cart/items/p1", body='{"quantity": 2'))
    assert status == 400
    assert body["error"]["code"] == "malformed_body"


def test_base64_body_that_is_not_utf8_is_400():
    event = http_event("PUT", "/cart/items/p1", body=base64.b64encode(b"\xff\xfe{}").decode(), b64=True)
    status, _, body = _call(_app(), event)
    assert status == 400
    assert body["error"]["code"] == "malformed_body"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ('{"quantity": ' + "9" * 5000 + "}", 400, "number_out_of_range"),  # was a 500 with a traceback
        ('{"quantity": -' + "9" * 5000 + "}", 400, "number_out_of_range"),
        ('{"quantity": 1e999}', 400, "number_out_of_range"),
        ('{"quantity": NaN}', 400, "malformed_body"),
        ('{"quantity": -Infinity}', 400, "malformed_body"),
        ('{"a": ' * 5_000 + "1" + "}" * 5_000, 400, "malformed_body"),
        ('{"quantity": 1, "pad": "' + "x" * 1_000_000 + '"}', 413, "body_too_large"),
    ],
    ids=["5000-digits", "minus-5000-digits", "1e999", "NaN", "Infinity", "5000-deep", "one-mb"],
)
def test_a_body_no_field_can_hold_is_a_clean_4xx_and_the_handler_never_runs(monkeypatch, body, status, code):
    import checkout.api.resolver as resolver

    logged: list[str] = []
    monkeypatch.setattr(resolver.logger, "exception", lambda msg, *a, **k: logged.append(msg))
    event = http_event("PUT", "/cart/items/p1", body=body, headers={"origin": "https://shop.example.test"})
    got_status, headers, reply = _call(_app(), event)
    assert got_status == status
    assert reply["error"]["code"] == code and reply["error"]["message"]
    assert not logged


def test_unsupported_content_type_is_415():
    event = http_event("PUT", "/cart/items/p1", body="quantity: 2", headers={"content-type": "text/yaml"})
    status, _, body = _call(_app(), event)
    assert status == 415
    assert body["error"]["code"] == "unsupported_media_type"


def test_unknown_route_is_404_json():
    status, _, body = _call(_app(), http_event("GET", "/nowhere"))
    assert status == 404
    assert body["error"]["code"] == "route_not_found"


def test_the_functions_carry_no_cors_and_no_405_api_gateway_answers_those():
    """On AWS the HTTP API answers preflights, sets the CORS headers of every reply and answers an
    unknown route or method with its own 404 before a function runs (local/api.py does the same
    offline: tests/integration/local/test_local_api_cors.py)."""
    event = http_event("GET", "/orders", headers={"origin": "https://shop.example.test"})
    status, headers, _ = _call(_app(), event)
    assert status == 200
    assert not [name for name in headers if name.startswith("access-control-")]
    status, headers, body = _call(_app(), http_event("DELETE", "/orders"))
    assert status == 404 and "allow" not in headers
    assert body["error"]["code"] == "route_not_found"


def test_unexpected_failure_is_500_json_and_logged(monkeypatch):
    import checkout.api.resolver as resolver

    logged: list[str] = []
    monkeypatch.setattr(resolver.logger, "exception", lambda msg, *a, **k: logged.append(msg))
    status, _, body = _call(_app(KeyError("bug")), http_event("POST", "/boom"))
    assert status == 500
    assert body["error"]["code"] == "internal_error"
    assert "bug" not in body["error"]["message"]
    assert logged == ["unhandled error while serving the request"]


@pytest.mark.parametrize("refusal", ["auth", "rejected"])
def test_an_unexpected_iamport_refusal_is_a_502_not_a_500(monkeypatch, refusal):
    import checkout.api.resolver as resolver
    from checkout.payment_errors import IamportAuthError, IamportRejected

    error = (
        IamportAuthError("Unauthorized", http_status=401, code=-1)
        if refusal == "auth"
        else IamportRejected("알 수 없는 오류", http_status=200, code=1)
    )
    logged: list[str] = []
    monkeypatch.setattr(resolver.logger, "error", lambda msg, *a, **k: logged.append(msg))
    status, _, body = _call(_app(error), http_event("POST", "/boom"))
    assert status == 502
    assert body["error"]["code"] == "payment_gateway_error"
    assert logged == ["I'mport refused a call the request needed"]


def test_validation_messages_fall_back_to_the_error_type():
    message, details = describe_validation_errors([{"loc": ("body",), "type": "missing"}])
    assert message == "body: Field required"
    assert details == [{"field": "body", "message": "Field required"}]


def test_public_api_url_is_learned_from_the_request_when_not_configured(monkeypatch):
    monkeypatch.setenv("PUBLIC_API_URL", "")
    adopt_public_api_url(
        {
            "requestContext": {
                "domainName": "r3pm.execute-api.ap-northeast-2.amazonaws.com",
                "stage": "$default",
            },
            "rawPath": "/orders",
        }
    )
    import os

    assert os.environ["PUBLIC_API_URL"] == "https://r3pm.execute-api.ap-northeast-2.amazonaws.com"


def test_configured_public_api_url_wins(monkeypatch):
    monkeypatch.setenv("PUBLIC_API_URL", "https://api.shop.example.com")
    adopt_public_api_url({"requestContext": {"domainName": "other.example.com"}, "rawPath": "/"})
    import os

    assert os.environ["PUBLIC_API_URL"] == "https://api.shop.example.com"
