"""The adapter's events are HTTP API payload-2.0 events: the SAM CLI's field list, the committed sample
events' shapes, and API Gateway's encoding rules (headers, query strings, cookies, base64 bodies)."""

from __future__ import annotations

import base64
import json
import pathlib
import re
from typing import Any

import pytest

from local.events import Authorization, HttpRequest, build_event
from local.routing import select_route
from local.scheduler import scheduled_event
from local.stack import LocalUrls, load_local_app
from local.tables import local_table_names

ROOT = pathlib.Path(__file__).resolve().parents[3]

# The fields of `sam local generate-event apigateway http-api-proxy` (the SAM CLI's HttpApi.json event
# template), written down level by level. `authentication` (mTLS client certificates) and
# `stageVariables` (no stage variables on the $default stage) are the two the adapter never sends.
SAM_HTTP_API_PROXY_FIELDS = {
    "": {
        "version",
        "routeKey",
        "rawPath",
        "rawQueryString",
        "cookies",
        "headers",
        "queryStringParameters",
        "requestContext",
        "body",
        "pathParameters",
        "isBase64Encoded",
        "stageVariables",
    },
    "requestContext": {
        "accountId",
        "apiId",
        "authentication",
        "authorizer",
        "domainName",
        "domainPrefix",
        "http",
        "requestId",
        "routeKey",
        "stage",
        "time",
        "timeEpoch",
    },
    "requestContext.authorizer": {"jwt"},
    "requestContext.authorizer.jwt": {"claims", "scopes"},
    "requestContext.http": {"method", "path", "protocol", "sourceIp", "userAgent"},
}
NOT_SENT = {"stageVariables", "requestContext.authentication"}
# Maps whose keys are data (header names, parameter names, claim names), not part of the shape.
DATA_MAPS = {
    "headers",
    "queryStringParameters",
    "pathParameters",
    "stageVariables",
    "requestContext.authorizer.jwt.claims",
}


def _shape(value: Any, prefix: str = "") -> dict[str, set[str]]:
    """Every object's key set, by dotted path (data maps count as leaves)."""
    if not isinstance(value, dict) or prefix in DATA_MAPS:
        return {}
    out = {prefix: set(value)}
    for key, child in value.items():
        out |= _shape(child, f"{prefix}.{key}" if prefix else key)
    return out


def _echo(fixture_api: Any, path: str, **kwargs: Any) -> dict[str, Any]:
    reply = fixture_api.call(path, **kwargs)
    assert reply.status == 200, reply.body
    return reply.json()["event"]


def test_event_has_every_field_of_the_sam_cli_http_api_proxy_event(fixture_api: Any) -> None:
    event = _echo(
        fixture_api,
        "/scoped?parameter1=value1&parameter1=value2&parameter2=value",
        method="GET",
        headers={
            "Authorization": f"Bearer {fixture_api.token(extra={'scope': 'orders/write'})}",
            "Cookie": "cookie1=1; cookie2=2",
            "Header2": "value1",
        },
    )
    with_body = _echo(
        fixture_api,
        "/public/parameter1",
        method="POST",
        body=b"{}",
        headers={"content-type": "application/json"},
    )
    shape = _shape(event)
    shape[""] |= set(with_body)  # a GET has no body
    for level, fields in SAM_HTTP_API_PROXY_FIELDS.items():
        expected = {f for f in fields if f"{level}.{f}".lstrip(".") not in NOT_SENT}
        assert shape[level] == expected, level


def test_headers_are_lower_cased_and_repeated_headers_and_query_keys_joined_with_commas(
    fixture_api: Any,
) -> None:
    import http.client
    from urllib.parse import urlsplit

    # urllib cannot send a header twice; http.client can.
    conn = http.client.HTTPConnection(urlsplit(fixture_api.url).netloc, timeout=10)
    conn.putrequest("GET", "/public/item-1?size=m&size=l&empty=&plus=a+b&enc=%ED%95%9C")
    conn.putheader("X-Trace-Tag", "one")
    conn.putheader("x-trace-tag", "two")
    conn.putheader("Cookie", "a=1; b=2")
    conn.putheader("Cookie", "c=3")
    conn.endheaders()
    event = json.loads(conn.getresponse().read())["event"]
    conn.close()
    assert event["headers"]["x-trace-tag"] == "one,two"
    assert all(name == name.lower() for name in event["headers"])
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["a=1", "b=2", "c=3"]
    assert event["rawQueryString"] == "size=m&size=l&empty=&plus=a+b&enc=%ED%95%9C"
    assert event["queryStringParameters"] == {"size": "m,l", "empty": "", "plus": "a b", "enc": "한"}
    assert event["routeKey"] == "ANY /public/{item}"
    assert event["pathParameters"] == {"item": "item-1"}
    assert event["requestContext"]["http"] == {
        "method": "GET",
        "path": "/public/item-1",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "",
    }
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", event["headers"]["x-amzn-trace-id"])


def test_request_context_carries_api_gateway_formats_for_time_and_ids(fixture_api: Any) -> None:
    event = _echo(fixture_api, "/public/x")
    ctx = event["requestContext"]
    assert ctx["stage"] == "$default"
    assert ctx["routeKey"] == event["routeKey"] == "ANY /public/{item}"
    assert ctx["accountId"] == "123456789012"
    assert re.fullmatch(r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000", ctx["time"])
    assert isinstance(ctx["timeEpoch"], int) and ctx["timeEpoch"] > 1_600_000_000_000
    assert re.fullmatch(r"[A-Za-z0-9]{15}=", ctx["requestId"])
    assert "authorizer" not in ctx  # an open route has no authorizer context
    assert "body" not in event and event["isBase64Encoded"] is False
    assert "queryStringParameters" not in event and "cookies" not in event
    assert event["rawQueryString"] == ""


def test_literal_route_beats_path_parameter_route_and_greedy_paths_keep_slashes(fixture_api: Any) -> None:
    assert _echo(fixture_api, "/public/special")["routeKey"] == "GET /public/special"
    assert "pathParameters" not in _echo(fixture_api, "/public/special")
    files = _echo(fixture_api, "/files/a/b%2Fc/d.txt")
    assert files["routeKey"] == "GET /files/{path+}"
    assert files["pathParameters"] == {"path": "a/b/c/d.txt"}


def test_form_bodies_arrive_base64_encoded_as_api_gateway_sends_them(fixture_api: Any) -> None:
    form = b"imp_uid=imp_123&merchant_uid=order-1&status=paid"
    event = _echo(
        fixture_api,
        "/public/webhook",
        method="POST",
        body=form,
        headers={"content-type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == form


def test_json_and_text_bodies_arrive_as_is_and_binary_or_untyped_bodies_base64(fixture_api: Any) -> None:
    body = json.dumps({"merchant_uid": "order-1", "memo": "빠른 배송"}, ensure_ascii=False).encode()
    as_json = _echo(
        fixture_api,
        "/public/j",
        method="POST",
        body=body,
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert as_json["isBase64Encoded"] is False and json.loads(as_json["body"])["memo"] == "빠른 배송"
    text = _echo(
        fixture_api, "/public/t", method="PUT", body=b"plain", headers={"content-type": "text/plain"}
    )
    assert text["body"] == "plain" and text["isBase64Encoded"] is False
    raw = bytes(range(256))
    binary = _echo(
        fixture_api,
        "/public/b",
        method="POST",
        body=raw,
        headers={"content-type": "application/octet-stream"},
    )
    assert binary["isBase64Encoded"] is True and base64.b64decode(binary["body"]) == raw
    untyped = _echo(fixture_api, "/public/u", method="POST", body=b"x=1")
    assert untyped["isBase64Encoded"] is True


# -- the committed sample events (events/**/*.json) -----------------------------------------------------

SAMPLES = sorted(
    p for p in (ROOT / "events").rglob("*.json") if json.loads(p.read_text()).get("version") == "2.0"
)
SCHEDULED_SAMPLES = sorted(
    p
    for p in (ROOT / "events").rglob("*.json")
    if json.loads(p.read_text()).get("detail-type") == "Scheduled Event"
)


def _request_like(sample: dict[str, Any]) -> tuple[HttpRequest, Authorization | None]:
    headers = [
        (k, v)
        for k, v in sample["headers"].items()
        if k not in ("x-forwarded-for", "x-forwarded-port", "x-forwarded-proto")
    ]
    if sample.get("cookies"):
        headers.append(("cookie", "; ".join(sample["cookies"])))
    body = sample.get("body")
    raw = b"" if body is None else base64.b64decode(body) if sample["isBase64Encoded"] else body.encode()
    target = sample["rawPath"] + (f"?{sample['rawQueryString']}" if sample["rawQueryString"] else "")
    ctx = sample["requestContext"]
    jwt = (ctx.get("authorizer") or {}).get("jwt")
    auth = Authorization(claims=jwt["claims"], scopes=jwt["scopes"]) if jwt else None
    return HttpRequest(ctx["http"]["method"], target, headers, raw, source_ip=ctx["http"]["sourceIp"]), auth


@pytest.mark.skipif(not SAMPLES, reason="no payload-2.0 sample events committed under events/")
@pytest.mark.parametrize("sample_path", SAMPLES, ids=lambda p: p.stem)
def test_adapter_builds_the_same_event_shape_as_each_committed_sample(sample_path: pathlib.Path) -> None:
    sample = json.loads(sample_path.read_text())
    request, auth = _request_like(sample)
    # The route comes from template.yaml exactly as the adapter would select it.
    app = load_local_app(
        _template(),
        LocalUrls("http://127.0.0.1:3000", "http://127.0.0.1:4000", "http://127.0.0.1:8090"),
        local_table_names(),
    )
    match = select_route(app.routes, request.method, request.raw_path)
    assert match is not None, f"template.yaml has no route for {request.method} {request.raw_path}"
    assert match.route.route_key == sample["routeKey"]
    assert (match.route.authorizer is not None) == (auth is not None)
    event = build_event(
        request, route_key=match.route.route_key, path_parameters=match.path_parameters, authorization=auth
    )
    assert _shape(event) == _shape(sample)
    for key in (
        "routeKey",
        "rawPath",
        "rawQueryString",
        "cookies",
        "queryStringParameters",
        "pathParameters",
        "isBase64Encoded",
        "body",
    ):
        assert event.get(key) == sample.get(key), key
    assert event["requestContext"]["http"] == sample["requestContext"]["http"]
    for name, value in sample["headers"].items():
        if name not in ("x-forwarded-port", "x-forwarded-proto"):
            assert event["headers"][name] == value, name


@pytest.mark.skipif(not SCHEDULED_SAMPLES, reason="no scheduled-event sample committed under events/")
@pytest.mark.parametrize("sample_path", SCHEDULED_SAMPLES, ids=lambda p: p.stem)
def test_scheduled_invocations_send_the_same_envelope_as_the_committed_sample(
    sample_path: pathlib.Path,
) -> None:
    sample = json.loads(sample_path.read_text())
    app = load_local_app(
        _template(),
        LocalUrls("http://127.0.0.1:3000", "http://127.0.0.1:4000", "http://127.0.0.1:8090"),
        local_table_names(),
    )
    assert app.schedules, "template.yaml declares no Schedule event"
    event = scheduled_event(app.schedules[0], "ap-northeast-2")
    assert set(event) == set(sample)
    assert {k: event[k] for k in ("version", "detail-type", "source", "account", "region", "detail")} == {
        k: sample[k] for k in ("version", "detail-type", "source", "account", "region", "detail")
    }
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", event["time"])


def _template() -> dict[str, Any]:
    from local.cfn import load_template

    return load_template()


def test_request_with_an_unreadable_content_length_is_400(fixture_api: Any) -> None:
    import http.client
    from urllib.parse import urlsplit

    conn = http.client.HTTPConnection(urlsplit(fixture_api.url).netloc, timeout=10)
    conn.putrequest("POST", "/public/x")
    conn.putheader("Content-Length", "lots")
    conn.endheaders()
    resp = conn.getresponse()
    assert (resp.status, json.loads(resp.read())) == (400, {"message": "Bad Request"})
    conn.close()
