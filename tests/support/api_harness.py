"""Running the Lambda handlers the way API Gateway and Lambda do: events, context, responses."""

from __future__ import annotations

import copy
import importlib.util
import json
import pathlib
import sys
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

ROOT = pathlib.Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
EVENTS = ROOT / "events"

BUYER = "4f1c9e2a-7b3d-4c8e-9a61-2d5f0b7c3e18"  # the `sub` in the sample events


@dataclass
class LambdaContext:
    function_name: str = "checkout-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:ap-northeast-2:123456789012:function:checkout-test"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/checkout-test"
    log_stream_name: str = "2026/01/01/[$LATEST]test"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000  # as much as the longest function (the sweeper) gets


def load_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py under a unique module name: every function's module is `app`."""
    path = FUNCTIONS / name / "app.py"
    module_name = f"checkout_function_{name}_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def sample_event(relative: str) -> dict[str, Any]:
    """A committed sample event (events/<function>/<name>.json), deep-copied so tests may edit it."""
    return copy.deepcopy(json.loads((EVENTS / relative).read_text(encoding="utf-8")))


def http_event(
    method: str,
    path: str,
    *,
    route: str | None = None,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    claims: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    b64: bool = False,
    source_ip: str = "211.234.18.77",
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A payload-2.0 event shaped like API Gateway's, for requests the samples don't cover."""
    all_headers = {"host": "api.example.test", "user-agent": "pytest"}
    if body is not None:
        all_headers["content-type"] = "application/json"
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "xmpl",
        "domainName": "api.example.test",
        "domainPrefix": "api",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": "pytest",
        },
        "requestId": uuid.uuid4().hex,
        "routeKey": route or f"{method} {path}",
        "stage": "$default",
        "time": "01/Jan/2026:05:00:00 +0000",
        "timeEpoch": 1767243600000,
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route or f"{method} {path}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": all_headers,
        "requestContext": context,
        "isBase64Encoded": b64,
    }
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body
    if path_parameters:
        event["pathParameters"] = path_parameters
    return event


def without_claims(event: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(event)
    event["requestContext"].pop("authorizer", None)
    return event


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any
    raw: dict[str, Any]

    @property
    def error_code(self) -> str | None:
        return self.body.get("error", {}).get("code") if isinstance(self.body, dict) else None


def invoke(module: ModuleType, event: dict[str, Any]) -> Reply:
    raw = module.lambda_handler(event, LambdaContext())
    headers = {k.lower(): v for k, v in (raw.get("headers") or {}).items()}
    text = raw.get("body") or ""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = text
    return Reply(status=raw["statusCode"], headers=headers, body=body, raw=raw)
