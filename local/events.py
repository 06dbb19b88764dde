"""HTTP API (API Gateway v2) Lambda proxy integration, payload format 2.0, in both directions.

`build_event` turns an HTTP request into the event API Gateway would send; `lambda_response` turns
what the handler returned into the HTTP response API Gateway would send back.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import string
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from local.intrinsics import ACCOUNT_ID

# Content types API Gateway hands to Lambda as UTF-8 text; every other body (also a missing
# Content-Type and, notably, application/x-www-form-urlencoded) arrives base64 with isBase64Encoded.
TEXT_MEDIA_TYPES = ("application/json", "application/xml", "application/javascript")
# Hop-by-hop headers never reach the integration.
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ALNUM = string.ascii_letters + string.digits


@dataclass
class HttpRequest:
    method: str
    target: str  # the request line's target: raw path plus "?query"
    headers: Sequence[tuple[str, str]]
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    server_port: int = 443
    protocol: str = "HTTP/1.1"

    @property
    def raw_path(self) -> str:
        return self.target.split("?", 1)[0] or "/"

    @property
    def raw_query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ",".join(values) if values else None


@dataclass
class Authorization:
    claims: dict[str, str]
    scopes: list[str] | None


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def new_request_id() -> str:
    # Shaped like API Gateway's (`Mc7UVioPPHcEKPA=`), which also answers it as `apigw-requestid`.
    return "".join(secrets.choice(_ALNUM) for _ in range(15)) + "="


def is_text_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in TEXT_MEDIA_TYPES


def apigw_time(epoch_ms: int) -> str:
    t = time.gmtime(epoch_ms / 1000)
    clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{clock} +0000"


def _trace_id(epoch_ms: int) -> str:
    return f"Root=1-{epoch_ms // 1000:08x}-{secrets.token_hex(12)}"


def build_event(
    request: HttpRequest,
    *,
    route_key: str,
    path_parameters: Mapping[str, str] | None,
    authorization: Authorization | None,
    api_id: str = "local",
    request_id: str | None = None,
    epoch_ms: int | None = None,
) -> dict[str, Any]:
    epoch_ms = int(time.time() * 1000) if epoch_ms is None else epoch_ms
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            # 2.0 moves cookies out of the headers into their own list.
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        if key in _HOP_BY_HOP:
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {request.source_ip}" if forwarded else request.source_ip
    headers["x-forwarded-port"] = str(request.server_port)
    headers["x-forwarded-proto"] = "http"
    headers.setdefault("x-amzn-trace-id", _trace_id(epoch_ms))

    host = headers.get("host", "localhost")
    domain = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": domain if domain.replace(".", "").isdigit() else domain.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id or new_request_id(),
        "routeKey": route_key,
        "stage": "$default",
        "time": apigw_time(epoch_ms),
        "timeEpoch": epoch_ms,
    }
    if authorization is not None:
        context["authorizer"] = {"jwt": {"claims": authorization.claims, "scopes": authorization.scopes}}

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if request.raw_query:
        query: dict[str, str] = {}
        for key, value in parse_qsl(request.raw_query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        event["queryStringParameters"] = query
    event["requestContext"] = context
    if request.body:
        text = _as_text(request.body) if is_text_media_type(headers.get("content-type")) else None
        event["body"] = text if text is not None else base64.b64encode(request.body).decode()
        event["isBase64Encoded"] = text is None
    else:
        event["isBase64Encoded"] = False
    if path_parameters:
        event["pathParameters"] = {k: unquote(v) for k, v in path_parameters.items()}
    return event


def _as_text(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


class MalformedLambdaResponse(ValueError):
    pass


def lambda_response(result: Any) -> HttpResponse:
    """The HTTP response API Gateway derives from a 2.0 handler's return value."""
    if not isinstance(result, dict) or "statusCode" not in result:
        # No statusCode: API Gateway assumes 200, application/json, and the return value as the body.
        text = result if isinstance(result, str) else json.dumps(result)
        return HttpResponse(200, [("content-type", "application/json")], text.encode())
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError) as exc:
        raise MalformedLambdaResponse(f"statusCode {result['statusCode']!r} is not a number") from exc
    if not 100 <= status <= 599:
        raise MalformedLambdaResponse(f"statusCode {status} is out of range")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name), _header_value(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values if isinstance(values, list) else [values]:
            headers.append((str(name), _header_value(value)))
    for cookie in result.get("cookies") or []:
        headers.append(("set-cookie", str(cookie)))
    body = result.get("body")
    if body is None:
        raw = b""
    elif not isinstance(body, str):
        raise MalformedLambdaResponse("body must be a string")
    elif result.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedLambdaResponse("isBase64Encoded body is not base64") from exc
    else:
        raw = body.encode("utf-8")
    return HttpResponse(status, headers, raw)


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def json_response(status: int, payload: Any, headers: Sequence[tuple[str, str]] = ()) -> HttpResponse:
    return HttpResponse(
        status,
        [("content-type", "application/json"), *headers],
        json.dumps(payload, separators=(",", ":")).encode(),
    )
