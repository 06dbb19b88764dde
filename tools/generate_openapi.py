"""Write docs/openapi.json: the checkout API as one OpenAPI 3.1 document, generated from the handlers.

    python tools/generate_openapi.py [--output PATH] [--check]
    make openapi

Every function builds its own Powertools resolver, so each describes only its own routes; their
documents are merged into one. Powertools describes what the handlers declare (path and query
parameters, pydantic request bodies). What it cannot see is written down here: the replies (handlers
return plain dicts from `checkout.views`), what a handler reads by hand (the webhook's JSON-or-form
notification, the payment window's redirect query, `Idempotency-Key`), the `{"error": {...}}` body the
resolver answers every refusal with, and who may call what, which template.yaml alone decides (a route
is public only with `Authorizer: NONE`). The output is deterministic, so a test can fail on drift.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib.util
import json
import os
import pathlib
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, get_args

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "openapi.json"
# Run as a script, the repository and the layer are not importable yet.
for _path in (ROOT, ROOT / "shared"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from checkout.api.payloads import MAX_BODY_BYTES, MAX_NUMBER_DIGITS  # noqa: E402
from checkout.domain.points import LedgerKind  # noqa: E402
from checkout.domain.status import OrderStatus  # noqa: E402
from checkout.inputs import CompletePaymentInput, PayMethod, WebhookInput  # noqa: E402
from local.cfn import load_template, resources_of_type  # noqa: E402

# What the handler modules read when they are imported; no AWS is touched (tracing off, no clients).
IMPORT_ENV = {
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "checkout",
    "POWERTOOLS_METRICS_NAMESPACE": "Checkout",
}
SCHEMAS = "#/components/schemas/"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
# Powertools describes refusals with FastAPI's `{"detail": [...]}`; our resolver never answers with it.
POWERTOOLS_ERROR_SCHEMAS = {"HTTPValidationError", "ValidationError", "ResponseValidationError"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": SCHEMAS + name}


def _obj(required: dict[str, Any], optional: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    properties = {**required, **(optional or {})}
    return {"type": "object", "required": sorted(required), "properties": properties, **extra}


def _reply(description: str, schema: dict[str, Any], headers: dict[str, Any] | None = None) -> dict[str, Any]:
    reply: dict[str, Any] = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        reply["headers"] = headers
    return reply


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


KRW = {"type": "integer", "description": "KRW, whole won"}
COUNT = {"type": "integer", "minimum": 0}
TEXT = {"type": "string"}
MOMENT = {"type": "string", "format": "date-time", "description": "ISO-8601 UTC with Z"}
MAYBE_TEXT = {"type": ["string", "null"]}

# The reply bodies, as checkout.views builds them (tests/contract/test_openapi.py checks real views
# against these, so a field added there without a line here fails).
REPLY_SCHEMAS: dict[str, dict[str, Any]] = {
    "ErrorBody": _obj(
        {
            "error": _obj(
                {
                    "code": {**TEXT, "description": "stable and machine-readable, e.g. out_of_stock"},
                    "message": {**TEXT, "description": "safe to show the buyer"},
                },
                {
                    "details": {
                        **_array(_obj({"field": TEXT, "message": TEXT})),
                        "description": "validation_failed only: one entry per invalid field",
                    }
                },
            )
        },
        description="Every refusal of the checkout's functions.",
    ),
    "GatewayMessage": _obj(
        {"message": TEXT},
        description="API Gateway's own answer, before or instead of a function: 401 from the JWT "
        "authorizer, 429 when throttled, 500 when a function crashed or timed out.",
    ),
    "Product": _obj({"product_id": TEXT, "name": TEXT, "price": KRW, "stock": COUNT}),
    "ProductList": _obj({"products": _array(_ref("Product"))}),
    "CartItem": _obj({"product_id": TEXT, "name": TEXT, "price": KRW, "quantity": COUNT, "line_total": KRW}),
    "Cart": _obj({"items": _array(_ref("CartItem")), "total": KRW}),
    "OrderLine": _obj(
        {"product_id": TEXT, "name": TEXT, "price": KRW, "quantity": COUNT, "refunded_quantity": COUNT}
    ),
    "Refund": _obj(
        {
            "id": TEXT,
            "amount": KRW,
            "points": COUNT,
            "at": MOMENT,
            "lines": _array(_obj({"product_id": TEXT, "quantity": COUNT})),
        }
    ),
    "StrayPayment": _obj(
        {
            "imp_uid": TEXT,
            "reason": {**TEXT, "description": "duplicate, late_success or amount_mismatch"},
            "refunded": KRW,
            "unrefunded": {
                **KRW,
                "description": "I'mport refused to refund it: the shop must return it by hand",
            },
            "at": MOMENT,
        },
        description="A payment for the order that does not count.",
    ),
    "VirtualAccount": _obj({"bank": TEXT, "number": TEXT, "holder": MAYBE_TEXT, "due": MOMENT}),
    "Order": _obj(
        {
            "merchant_uid": TEXT,
            "status": {"type": "string", "enum": [s.value for s in OrderStatus]},
            "total": KRW,
            "points_used": COUNT,
            "amount": {**KRW, "description": "cash through I'mport: total - points_used"},
            "lines": _array(_ref("OrderLine")),
            "imp_uid": MAYBE_TEXT,
            "pay_method": {"type": "string", "enum": list(get_args(PayMethod))},
            "refunds": _array(_ref("Refund")),
            "stray_payments": _array(_ref("StrayPayment")),
            "points_earned": COUNT,
            "created_at": MOMENT,
            "expires_at": MOMENT,
        },
        {"vbank": _ref("VirtualAccount"), "failure_reason": TEXT, "paid_at": MOMENT},
    ),
    "OrderReply": _obj({"order": _ref("Order")}),
    "OrderPage": _obj(
        {
            "orders": _array(_ref("Order")),
            "next_cursor": {
                **MAYBE_TEXT,
                "description": "pass as `cursor` for the next page; null at the end",
            },
        }
    ),
    "PaymentRequest": _obj(
        {
            "pg": TEXT,
            "pay_method": TEXT,
            "merchant_uid": TEXT,
            "name": TEXT,
            "amount": KRW,
            "buyer_email": TEXT,
            "buyer_name": TEXT,
            "buyer_tel": TEXT,
            "buyer_addr": TEXT,
            "buyer_postcode": TEXT,
            "m_redirect_url": TEXT,
            "notice_url": TEXT,
        },
        {"vbank_due": {**TEXT, "pattern": "^[0-9]{14}$", "description": "YYYYMMDDhhmmss, KST"}},
        description="The parameters to pass to I'mport's IMP.request_pay as they are.",
    ),
    "CreatedOrder": _obj({"order": _ref("Order"), "payment": _ref("PaymentRequest")}),
    "LedgerEntry": _obj(
        {
            "kind": {"type": "string", "enum": [k.value for k in LedgerKind]},
            "points": COUNT,
            "merchant_uid": TEXT,
            "at": MOMENT,
        }
    ),
    "Points": _obj(
        {
            "available": COUNT,
            "held": COUNT,
            "ledger": {**_array(_ref("LedgerEntry")), "description": "one page, newest first"},
            "next_cursor": {
                **MAYBE_TEXT,
                "description": "pass as `cursor` for the ledger's next page; null at the end",
            },
        }
    ),
    "WebhookAck": {
        "oneOf": [
            _obj(
                {
                    "status": {"const": "ok"},
                    "merchant_uid": TEXT,
                    "order_status": {"type": "string", "enum": [s.value for s in OrderStatus]},
                }
            ),
            _obj(
                {
                    "status": {"const": "ignored"},
                    "reason": {
                        **TEXT,
                        "description": (
                            "unknown_order, not_applicable (a payment of another order or one I'mport does "
                            "not know), or the error code that makes a resend pointless"
                        ),
                    },
                }
            ),
        ],
        "description": "Understood: I'mport must not resend.",
    },
}

RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A retry with the same key returns the first attempt's result (a UUID is fine).",
    "schema": {"type": "string", "pattern": "^[\\x21-\\x2b\\x2d-\\x7e]{1,128}$"},
}
BODY_TOO_LARGE = f"body_too_large: the body is over {MAX_BODY_BYTES // 1024} KiB"
# What the resolver answers for what Powertools validates (checkout.api.resolver).
JSON_BODY_ERRORS = {
    400: "malformed_body: the body is not valid JSON (or is nested too deeply); number_out_of_range: a "
    f"number of more than {MAX_NUMBER_DIGITS} digits, or not finite",
    413: BODY_TOO_LARGE,
    415: "unsupported_media_type: send application/json",
    422: "validation_failed: `error.details` names each invalid field",
}
PARAMETER_ERRORS = {422: "validation_failed: `error.details` names each invalid field"}
GATEWAY_ERRORS = {502: "payment_gateway_unavailable or payment_gateway_error: I'mport failed; retry later"}
IN_PROGRESS = "request_in_progress (with Retry-After)"


@dataclass(frozen=True)
class Operation:
    """What only this file knows about one route: its reply, its refusals beyond what Powertools
    validates, and what the handler reads by hand."""

    summary: str
    status: int
    reply: str
    schema: str | None  # a component of REPLY_SCHEMAS; None for a redirect
    description: str = ""
    errors: dict[int, str] = field(default_factory=dict)
    retry_after: frozenset[int] = frozenset()
    parameters: tuple[dict[str, Any], ...] = ()
    request_body: dict[str, Any] | None = None
    schemas: dict[str, Any] = field(default_factory=dict)


def _redirect_query() -> tuple[dict[str, Any], ...]:
    # GET /payments/complete validates its query by hand with CompletePaymentInput.
    model = CompletePaymentInput.model_json_schema()
    pointers = tuple(
        {"name": name, "in": "query", "required": name in model["required"], "schema": schema}
        for name, schema in model["properties"].items()
    )
    reported = tuple(
        {"name": name, "in": "query", "required": False, "schema": TEXT, "description": "logged only"}
        for name in ("imp_success", "error_code", "error_msg")
    )
    return pointers + reported


OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/products"): Operation("List the catalog", 200, "The products", "ProductList"),
    ("GET", "/cart"): Operation("Read the buyer's cart", 200, "The cart", "Cart"),
    ("PUT", "/cart/items/{product_id}"): Operation(
        "Set how many of a product the cart holds", 200, "The cart", "Cart", errors={404: "product_not_found"}
    ),
    ("DELETE", "/cart/items/{product_id}"): Operation(
        "Remove a product from the cart", 200, "The cart", "Cart"
    ),
    ("POST", "/orders"): Operation(
        "Turn the cart into an order ready to pay",
        201,
        "The order, and the parameters to pass to IMP.request_pay",
        "CreatedOrder",
        description="Holds the points and the stock, and pre-registers the amount at I'mport.",
        errors={
            400: "empty_cart, points_exceed_total or cash_amount_too_small",
            404: "product_not_found: a product in the cart is no longer sold",
            409: f"out_of_stock, insufficient_points, cart_changed, too_many_open_orders or {IN_PROGRESS}",
            422: "invalid_idempotency_key, or idempotency_key_reused with another body",
            **GATEWAY_ERRORS,
        },
        retry_after=frozenset({409}),
        parameters=(IDEMPOTENCY_KEY,),
    ),
    ("POST", "/payments/complete"): Operation(
        "Report the payment window's result (the IMP.request_pay callback), as the signed-in buyer",
        200,
        "The order after reconciling it with I'mport",
        "OrderReply",
        description="Only a pointer: the payment is re-read from I'mport before the order changes. The "
        "order's owner (or an admin) only: theirs is the only report on which a failed attempt ends it.",
        errors={
            400: "unknown_payment or payment_order_mismatch",
            404: "order_not_found",
            409: IN_PROGRESS,
            **GATEWAY_ERRORS,
        },
        retry_after=frozenset({409}),
    ),
    ("GET", "/payments/complete"): Operation(
        "The payment window's m_redirect_url (mobile)",
        302,
        "To SITE_URL/result?merchant_uid=..&status=.. (status=error when reconciling failed)",
        None,
        description="No token: only moves the order forward on what I'mport's record proves about money "
        "(a failed attempt leaves it open), then sends the browser to the site's result page.",
        errors={400: "missing_merchant_uid or malformed_payment_reference"},
        parameters=_redirect_query(),
    ),
    ("POST", "/iamport/webhook"): Operation(
        "I'mport's payment notification (webhook)",
        200,
        "Understood, whether or not it changed an order",
        "WebhookAck",
        description="JSON or a form, as set in the PortOne console; heard only from WEBHOOK_ALLOWED_IPS. "
        "I'mport resends on 5xx only.",
        errors={
            400: "empty_body, malformed_body or number_out_of_range",
            403: "source_not_allowed",
            413: BODY_TOO_LARGE,
            422: "validation_failed: imp_uid, merchant_uid or status is missing or malformed",
            502: "payment_gateway_unavailable: resend later",
            503: "store_unavailable, or the order is busy: resend later",
        },
        retry_after=frozenset({502, 503}),
        request_body={
            "required": True,
            "content": {JSON: {"schema": _ref("WebhookInput")}, FORM: {"schema": _ref("WebhookInput")}},
        },
        schemas={"WebhookInput": WebhookInput.model_json_schema(ref_template=SCHEMAS + "{model}")},
    ),
    ("GET", "/orders"): Operation(
        "The buyer's orders, newest first", 200, "One page", "OrderPage", errors={400: "invalid_cursor"}
    ),
    ("GET", "/orders/{merchant_uid}"): Operation(
        "One of the buyer's orders (an admin may read any)",
        200,
        "The order",
        "OrderReply",
        errors={404: "order_not_found (also for someone else's order)"},
    ),
    ("GET", "/points"): Operation(
        "The buyer's points, and their ledger newest first",
        200,
        "The balance and one page of the ledger",
        "Points",
        errors={400: "invalid_cursor"},
    ),
    ("POST", "/orders/{merchant_uid}/cancel"): Operation(
        "Give up an unpaid order",
        200,
        "The order, failed, with its stock, points and cart back (an issued virtual account voided)",
        "OrderReply",
        description="By the order's owner or an admin. I'mport is asked first: a payment that went through "
        "wins and the answer is 409 (refund it instead). Cancelling a failed or expired order answers it.",
        errors={
            404: "order_not_found",
            409: f"order_state_conflict (already paid) or {IN_PROGRESS}",
            **GATEWAY_ERRORS,
        },
        retry_after=frozenset({409}),
    ),
    ("POST", "/orders/{merchant_uid}/refund"): Operation(
        "Refund an order, fully or some of its lines",
        200,
        "The order after the refund",
        "OrderReply",
        description="By the order's owner or an admin; a paid virtual account needs refund_account.",
        errors={
            400: "refund_account_required or unknown_order_line",
            404: "order_not_found",
            409: f"order_state_conflict, refund_exceeds_remaining, refund_rejected or {IN_PROGRESS}",
            422: "invalid_idempotency_key, or idempotency_key_reused with another body",
            **GATEWAY_ERRORS,
        },
        retry_after=frozenset({409}),
        parameters=(IDEMPOTENCY_KEY,),
    ),
}
# API Gateway answers some requests itself (the authorizer, throttling, a crashed function).
UNAUTHORIZED = "No valid bearer token (API Gateway's JWT authorizer), or one without a subject"
EITHER_BODY = {"anyOf": [_ref("ErrorBody"), _ref("GatewayMessage")]}
CATCH_ALL = {
    "4XX": _reply(
        "Refused: `error.code` says why (API Gateway's own, such as 429, carry `message`)", EITHER_BODY
    ),
    "5XX": _reply("Failed: retry later", EITHER_BODY),
}


def template_routes(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, str]]:
    """(METHOD, path) -> the function's code directory and authorizer ("NONE" for a public route)."""
    api = template["Resources"]["HttpApi"]["Properties"]
    default = api["Auth"]["DefaultAuthorizer"]
    routes = {}
    for fn in resources_of_type(template, "AWS::Serverless::Function").values():
        for event in (fn["Properties"].get("Events") or {}).values():
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                routes[(props["Method"].upper(), props["Path"])] = {
                    "code_dir": fn["Properties"]["CodeUri"].strip("/"),
                    "authorizer": (props.get("Auth") or {}).get("Authorizer", default),
                }
    return routes


@contextlib.contextmanager
def _import_env() -> Iterator[None]:
    missing = [key for key in IMPORT_ENV if key not in os.environ]
    os.environ.update({key: IMPORT_ENV[key] for key in missing})
    try:
        yield
    finally:
        for key in missing:
            os.environ.pop(key, None)


def function_document(code_dir: str) -> dict[str, Any]:
    """The OpenAPI document of one function's resolver; every handler module is named `app`, so each
    is imported from its file under a name of its own."""
    module_name = "openapi_" + re.sub(r"\W", "_", code_dir)
    spec = importlib.util.spec_from_file_location(module_name, ROOT / code_dir / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        with _import_env():
            spec.loader.exec_module(module)
        return json.loads(module.app.get_openapi_json_schema(title="checkout", version="0"))
    finally:
        sys.modules.pop(module_name, None)


def merge_schemas(into: dict[str, Any], more: dict[str, Any], origin: str) -> None:
    for name, schema in more.items():
        if name in into and into[name] != schema:
            raise ValueError(f"two different schemas are named {name} ({origin})")
        into[name] = schema


def describe_operation(
    method: str, path: str, generated: dict[str, Any], authorizer: str, tag: str
) -> dict[str, Any]:
    known = OPERATIONS[(method, path)]
    operation = {k: v for k, v in generated.items() if k not in ("summary", "responses", "operationId")}
    # Powertools names operations `<function><path>_<method>`; the function name alone is unique here.
    suffix = re.sub(r"\W", "_", path) + "_" + method.lower()
    operation["operationId"] = generated["operationId"].removesuffix(suffix)
    operation["summary"] = known.summary
    operation["tags"] = [tag]
    if known.description:
        operation["description"] = known.description
    parameters = operation.get("parameters", []) + copy.deepcopy(list(known.parameters))
    if parameters:
        operation["parameters"] = parameters
    if known.request_body is not None:
        operation["requestBody"] = copy.deepcopy(known.request_body)
    # Refusals: what the resolver answers for what Powertools validates, then the handler's own.
    errors: dict[int, list[str]] = {}
    validated = [
        JSON_BODY_ERRORS if JSON in generated.get("requestBody", {}).get("content", {}) else {},
        PARAMETER_ERRORS if generated.get("parameters") else {},
        known.errors,
    ]
    for source in validated:
        for status, text in source.items():
            if text not in errors.setdefault(status, []):
                errors[status].append(text)
    responses: dict[str, Any] = copy.deepcopy(CATCH_ALL)
    for status, texts in errors.items():
        headers = RETRY_AFTER if status in known.retry_after else None
        responses[str(status)] = _reply("; ".join(texts), _ref("ErrorBody"), headers)
    if known.schema is None:
        responses[str(known.status)] = {"description": known.reply, "headers": {"Location": {"schema": TEXT}}}
    else:
        responses[str(known.status)] = _reply(known.reply, _ref(known.schema))
    if authorizer == "NONE":
        operation["security"] = []
    else:
        operation["security"] = [{authorizer: []}]
        responses["401"] = _reply(UNAUTHORIZED, {"anyOf": [_ref("GatewayMessage"), _ref("ErrorBody")]})
    operation["responses"] = responses
    return operation


def _referenced(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMAS):
            yield ref.removeprefix(SCHEMAS)
        for value in node.values():
            yield from _referenced(value)
    elif isinstance(node, list):
        for value in node:
            yield from _referenced(value)


def reachable_schemas(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """Only the schemas the paths use, directly or through other schemas."""
    keep: set[str] = set()
    pending = list(_referenced(paths))
    while pending:
        name = pending.pop()
        if name not in keep:
            keep.add(name)
            pending.extend(_referenced(schemas[name]))
    return {name: schemas[name] for name in sorted(keep)}


def _whole_numbers(node: Any) -> Any:
    """pydantic writes an int bound as 99.0; an integer's bounds read better as integers."""
    if isinstance(node, dict):
        out = {key: _whole_numbers(value) for key, value in node.items()}
        if out.get("type") == "integer":
            for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
                if isinstance(out.get(key), float) and out[key].is_integer():
                    out[key] = int(out[key])
        return out
    if isinstance(node, list):
        return [_whole_numbers(value) for value in node]
    return node


def build_document(template: dict[str, Any] | None = None) -> dict[str, Any]:
    template = template if template is not None else load_template()
    routes = template_routes(template)
    stale = set(OPERATIONS) - set(routes)
    if stale:
        raise ValueError(f"described here but not in template.yaml: {sorted(stale)}")
    functions = {
        lid: fn["Properties"] for lid, fn in resources_of_type(template, "AWS::Serverless::Function").items()
    }
    schemas: dict[str, Any] = {}
    merge_schemas(schemas, REPLY_SCHEMAS, "replies")
    paths: dict[str, dict[str, Any]] = {}
    authorizers: set[str] = set()
    tags = []
    for props in functions.values():
        code_dir = props["CodeUri"].strip("/")
        mine = {key: route for key, route in routes.items() if route["code_dir"] == code_dir}
        if not mine:
            continue  # not behind the API (the sweeper)
        tag = pathlib.PurePosixPath(code_dir).name
        tags.append({"name": tag, "description": props.get("Description", "")})
        generated = function_document(code_dir)
        merge_schemas(schemas, generated.get("components", {}).get("schemas", {}), code_dir)
        served = {
            (m.upper(), p): op for p, item in generated.get("paths", {}).items() for m, op in item.items()
        }
        if set(served) != set(mine):
            raise ValueError(f"{code_dir} serves {sorted(served)}, template.yaml routes {sorted(mine)}")
        for (method, path), route in sorted(mine.items()):
            if (method, path) not in OPERATIONS:
                raise ValueError(f"{method} {path}: describe its reply in OPERATIONS")
            merge_schemas(schemas, OPERATIONS[(method, path)].schemas, f"{method} {path}")
            if route["authorizer"] != "NONE":
                authorizers.add(route["authorizer"])
            paths.setdefault(path, {})[method.lower()] = describe_operation(
                method, path, served[(method, path)], route["authorizer"], tag
            )
    for name in POWERTOOLS_ERROR_SCHEMAS:
        schemas.pop(name, None)
    api_auth = template["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]
    security_schemes = {}
    for name in sorted(authorizers):
        if "JwtConfiguration" not in api_auth[name]:
            raise ValueError(f"authorizer {name} is not a JWT authorizer; describe it here first")
        security_schemes[name] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A token of the stack's JwtIssuer for JwtAudience; `sub` is the buyer, the "
            "ADMIN_GROUPS_CLAIM claim holding ADMIN_GROUP makes an admin.",
        }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "I'mport checkout API",
            "version": project["version"],
            "description": project["description"] + ". Money is integer KRW. Every refusal is "
            '`{"error": {"code", "message"}}` with a stable `code`. Generated by '
            "tools/generate_openapi.py (make openapi); do not edit by hand.",
        },
        "servers": [
            {
                "url": "https://{api_id}.execute-api.{region}.amazonaws.com",
                "description": "The deployed stack (its ApiUrl output, unless PublicApiUrl is set)",
                "variables": {
                    "api_id": {"default": "api-id", "description": "the HttpApi's id"},
                    "region": {"default": "ap-northeast-2"},
                },
            },
            {"url": "http://127.0.0.1:3000", "description": "The offline stack (make run; API_PORT)"},
        ],
        "tags": sorted(tags, key=lambda tag: tag["name"]),
        "paths": paths,
        "components": {
            "schemas": reachable_schemas(paths, schemas),
            "securitySchemes": security_schemes,
        },
    }
    return _whole_numbers(document)


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=pathlib.Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="fail if the file differs instead of writing")
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
