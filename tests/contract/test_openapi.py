"""docs/openapi.json describes the API the code serves: it is what tools/generate_openapi.py makes of
the handlers now, it has exactly template.yaml's routes, it is structurally OpenAPI 3.1, bearer tokens
are asked where the JWT authorizer guards a route and nowhere else, and the replies the views and the
resolver really build fit the schemas it gives them."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import sys
import uuid
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from checkout import views
from checkout.domain.order import (
    Cart,
    CartItem,
    LineQuantity,
    Order,
    Product,
    RefundRecord,
    StrayPayment,
    VbankAccount,
)
from checkout.domain.points import LedgerEntry, LedgerKind
from checkout.domain.status import OrderStatus
from checkout.services.ordering import OrderingPolicy, OrderingService
from checkout.services.results import CreatedOrder, OrderPage, PointsSummary
from local.cfn import ROOT, load_template, resources_of_type
from tests.support.samples import NOW, sample_order
from tools import generate_openapi

COMMITTED = ROOT / "docs" / "openapi.json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DOC_URI = "urn:checkout:openapi"

# The parts of OpenAPI 3.1 this API uses, checked strictly (an unknown or misspelt field fails). It is
# not the official meta-schema: openapi-spec-validator is not a dependency of the project.
_SCHEMA = {"type": ["object", "boolean"]}
_TEXT = {"type": "string"}
_MEDIA = {
    "type": "object",
    "propertyNames": {"pattern": r"^[a-z]+/[a-z0-9.+-]+$"},
    "additionalProperties": {
        "type": "object",
        "properties": {"schema": _SCHEMA},
        "additionalProperties": False,
    },
}
OPENAPI_3_1: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["openapi", "info", "paths"],
    "additionalProperties": False,
    "patternProperties": {"^x-": {}},
    "properties": {
        "openapi": {"type": "string", "pattern": r"^3\.1\.\d+$"},
        "info": {
            "type": "object",
            "required": ["title", "version"],
            "properties": {
                "title": {"type": "string", "minLength": 1},
                "version": {"type": "string", "minLength": 1},
                "description": _TEXT,
            },
            "additionalProperties": False,
        },
        "servers": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/server"}},
        "tags": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": _TEXT, "description": _TEXT},
                "additionalProperties": False,
            },
        },
        "paths": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": "^/"},
            "additionalProperties": {"$ref": "#/$defs/pathItem"},
        },
        "components": {
            "type": "object",
            "properties": {
                "schemas": {"type": "object", "additionalProperties": _SCHEMA},
                "securitySchemes": {
                    "type": "object",
                    "additionalProperties": {"$ref": "#/$defs/securityScheme"},
                },
            },
            "additionalProperties": False,
        },
        "security": {"$ref": "#/$defs/security"},
    },
    "$defs": {
        "server": {
            "type": "object",
            "required": ["url"],
            "properties": {
                "url": _TEXT,
                "description": _TEXT,
                "variables": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["default"],
                        "properties": {"default": _TEXT, "description": _TEXT, "enum": {"type": "array"}},
                        "additionalProperties": False,
                    },
                },
            },
            "additionalProperties": False,
        },
        "pathItem": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"enum": [*METHODS, "summary", "description", "parameters"]},
            "properties": {method: {"$ref": "#/$defs/operation"} for method in METHODS},
        },
        "operation": {
            "type": "object",
            "required": ["responses"],
            "properties": {
                "operationId": _TEXT,
                "summary": _TEXT,
                "description": _TEXT,
                "tags": {"type": "array", "items": _TEXT},
                "parameters": {"type": "array", "items": {"$ref": "#/$defs/parameter"}},
                "requestBody": {
                    "type": "object",
                    "required": ["content"],
                    "properties": {"description": _TEXT, "required": {"type": "boolean"}, "content": _MEDIA},
                    "additionalProperties": False,
                },
                "responses": {
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": {"pattern": r"^(default|[1-5]XX|[1-5][0-9]{2})$"},
                    "additionalProperties": {"$ref": "#/$defs/response"},
                },
                "security": {"$ref": "#/$defs/security"},
                "deprecated": {"type": "boolean"},
            },
            "additionalProperties": False,
        },
        "parameter": {
            "type": "object",
            "required": ["name", "in", "schema"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "in": {"enum": ["query", "header", "path", "cookie"]},
                "required": {"type": "boolean"},
                "description": _TEXT,
                "schema": _SCHEMA,
            },
            "additionalProperties": False,
            # A path parameter is always required (OpenAPI 3.1, Parameter Object).
            "if": {"properties": {"in": {"const": "path"}}},
            "then": {"required": ["required"], "properties": {"required": {"const": True}}},
        },
        "response": {
            "type": "object",
            "required": ["description"],
            "properties": {
                "description": _TEXT,
                "content": _MEDIA,
                "headers": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {
                            "description": _TEXT,
                            "required": {"type": "boolean"},
                            "schema": _SCHEMA,
                        },
                        "additionalProperties": False,
                    },
                },
            },
            "additionalProperties": False,
        },
        "security": {
            "type": "array",
            "items": {"type": "object", "additionalProperties": {"type": "array", "items": _TEXT}},
        },
        "securityScheme": {
            "type": "object",
            "required": ["type"],
            "properties": {
                "type": {"enum": ["apiKey", "http", "mutualTLS", "oauth2", "openIdConnect"]},
                "scheme": _TEXT,
                "bearerFormat": _TEXT,
                "description": _TEXT,
            },
            "if": {"properties": {"type": {"const": "http"}}},
            "then": {"required": ["scheme"]},
        },
    },
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return json.loads(COMMITTED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def template_routes() -> dict[tuple[str, str], str]:
    """(METHOD, path) -> its authorizer, read from template.yaml itself."""
    template = load_template()
    default = template["Resources"]["HttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"]
    routes = {}
    for fn in resources_of_type(template, "AWS::Serverless::Function").values():
        for event in (fn["Properties"].get("Events") or {}).values():
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                authorizer = (props.get("Auth") or {}).get("Authorizer", default)
                routes[(props["Method"].upper(), props["Path"])] = authorizer
    return routes


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _reply_validator(document: dict[str, Any], component: str) -> jsonschema.Draft202012Validator:
    """Validates a reply against a component schema, refusing properties the document does not list:
    a field the code adds must be documented."""
    strict = copy.deepcopy(document)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(strict["components"]["schemas"])
    registry = Registry().with_resource(DOC_URI, Resource.from_contents(strict, DRAFT202012))
    schema = {"$ref": f"{DOC_URI}#/components/schemas/{component}"}
    return jsonschema.Draft202012Validator(
        schema, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _assert_fits(document: dict[str, Any], component: str, reply: Any) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in _reply_validator(document, component).iter_errors(reply)
    ]
    assert errors == [], f"{component}: {errors}"


# ---------------------------------------------------------------- drift


def test_committed_openapi_is_what_the_code_generates_now(document):
    fresh = generate_openapi.render(generate_openapi.build_document())
    assert COMMITTED.read_text(encoding="utf-8") == fresh, (
        "docs/openapi.json is out of date with the handlers or template.yaml: run `make openapi` and "
        "commit the result"
    )


def test_generation_is_deterministic_and_leaves_no_handler_module_behind():
    before = set(sys.modules)
    first = generate_openapi.render(generate_openapi.build_document())
    assert generate_openapi.render(generate_openapi.build_document()) == first
    assert {name for name in set(sys.modules) - before if name.startswith("openapi_")} == set()


def test_same_named_schemas_that_differ_stop_the_generation():
    schemas = {"Cart": {"type": "object"}}
    generate_openapi.merge_schemas(schemas, {"Cart": {"type": "object"}}, "orders")
    with pytest.raises(ValueError, match="two different schemas are named Cart"):
        generate_openapi.merge_schemas(schemas, {"Cart": {"type": "array"}}, "cart")


# ---------------------------------------------------------------- routes


def test_every_template_route_is_documented_with_its_method_and_nothing_else(document, template_routes):
    assert template_routes, "template.yaml declares no HttpApi routes"
    assert set(_operations(document)) == set(template_routes)
    for item in document["paths"].values():
        assert set(item) <= set(METHODS), "a path item carries something besides operations"


def test_path_parameters_match_the_path_template(document):
    for (method, path), operation in _operations(document).items():
        templated = set(re.findall(r"\{(\w+)\}", path))
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert declared == templated, f"{method} {path}"


def test_operation_ids_are_the_handler_names_and_unique(document):
    ids = [operation["operationId"] for operation in _operations(document).values()]
    assert len(ids) == len(set(ids))
    assert _operations(document)[("POST", "/orders")]["operationId"] == "create_order"
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids), ids


# ---------------------------------------------------------------- OpenAPI 3.1


def test_document_is_structurally_openapi_3_1(document):
    jsonschema.Draft202012Validator.check_schema(OPENAPI_3_1)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft202012Validator(OPENAPI_3_1).iter_errors(document)
    ]
    assert errors == []


def test_every_schema_is_json_schema_2020_12_and_every_reference_resolves(document):
    for name, schema in document["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert name.isidentifier()
    text = json.dumps(document)
    refs = set(re.findall(r'"\$ref": "([^"]+)"', text))
    assert refs, "the document references no schema at all"
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in document["components"]["schemas"], ref


def test_refusals_use_the_checkout_error_body_not_powertools_detail_lists(document):
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    for (method, path), operation in _operations(document).items():
        assert {"4XX", "5XX"} <= set(operation["responses"]), f"{method} {path}"
        for status, reply in operation["responses"].items():
            if status[0] in "45":
                schema = reply["content"]["application/json"]["schema"]
                refs = [schema["$ref"]] if "$ref" in schema else [s["$ref"] for s in schema["anyOf"]]
                assert "#/components/schemas/ErrorBody" in refs, f"{method} {path} {status}"


# ---------------------------------------------------------------- security


def test_user_routes_require_the_bearer_token_and_public_routes_do_not(document, template_routes):
    schemes = document["components"]["securitySchemes"]
    public = {route for route, authorizer in template_routes.items() if authorizer == "NONE"}
    assert public, "template.yaml has no public route"
    for route, operation in _operations(document).items():
        authorizer = template_routes[route]
        if route in public:
            assert operation.get("security", []) == [], f"{route} is public"
            assert "401" not in operation["responses"], route
        else:
            assert operation["security"] == [{authorizer: []}], route
            assert schemes[authorizer] == {**schemes[authorizer], "type": "http", "scheme": "bearer"}
            assert schemes[authorizer]["bearerFormat"] == "JWT"
            assert "401" in operation["responses"], route
    assert "security" not in document, "a global requirement would also cover the public routes"


# ---------------------------------------------------------------- replies


def _settled_order() -> Order:
    """Every optional part of the order JSON present: virtual account, refund, stray payment."""
    return sample_order(
        status=OrderStatus.PARTIALLY_CANCELLED,
        pay_method="vbank",
        imp_uid="imp_284617395021",
        vbank=VbankAccount("004", "123-456-7890", None, NOW + timedelta(hours=72)),
        refunds=(RefundRecord("r1", 19000, 0, 190, (LineQuantity("tee-white-m", 1),), NOW),),
        stray_payments=(StrayPayment("imp_999", 0, "late_success", NOW, unrefunded=37000),),
        points_earned=370,
        failure_reason="amount mismatch on a duplicate",
        paid_at=NOW,
    )


def test_order_replies_fit_the_documented_schemas(document):
    for order in (sample_order(), _settled_order()):
        _assert_fits(document, "OrderReply", {"order": views.order_json(order)})
    page = OrderPage((_settled_order(), sample_order()), next_cursor="eyJrIjoxfQ")
    _assert_fits(document, "OrderPage", views.orders_page_json(page))
    _assert_fits(document, "OrderPage", views.orders_page_json(OrderPage((), next_cursor=None)))


def test_created_order_reply_with_the_real_payment_parameters_fits(document):
    policy = OrderingPolicy(
        pg="html5_inicis",
        complete_url="https://api.example.test/payments/complete",
        notice_url="https://api.example.test/iamport/webhook",
    )
    # payment_params reads only the policy; no store or gateway is needed to build them.
    service = OrderingService(
        policy=policy, catalog=None, carts=None, orders=None, gateway=None, idempotency=None, clock=None
    )
    for order in (sample_order(), sample_order(pay_method="vbank")):
        created = CreatedOrder(order, service.payment_params(order))
        _assert_fits(document, "CreatedOrder", views.created_order_json(created))


def test_catalog_cart_and_points_replies_fit_the_documented_schemas(document):
    _assert_fits(document, "ProductList", views.products_json([Product("tee-white-m", "티셔츠", 19000, 12)]))
    cart = Cart("buyer-1", (CartItem("tee-white-m", "티셔츠", 19000, 2),))
    _assert_fits(document, "Cart", views.cart_json(cart))
    _assert_fits(document, "Cart", views.cart_json(Cart("buyer-1")))
    ledger = tuple(LedgerEntry("buyer-1", kind, 100, "ord_1", NOW) for kind in LedgerKind)
    for next_cursor in ("eyJrIjoxfQ", None):
        summary = PointsSummary(available=4370, held=1000, ledger=ledger, next_cursor=next_cursor)
        _assert_fits(document, "Points", views.points_json(summary))


def _handler(code_dir: str) -> Any:
    name = f"openapi_contract_{code_dir}_{uuid.uuid4().hex[:6]}"
    spec = importlib.util.spec_from_file_location(name, ROOT / "functions" / code_dir / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _event(method: str, path: str, route: str, body: str | None, path_parameters: dict[str, str]) -> dict:
    return {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "api.example.test"},
        "requestContext": {
            "domainName": "api.example.test",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
            "routeKey": f"{method} {route}",
            "stage": "$default",
            "requestId": uuid.uuid4().hex,
        },
        "pathParameters": path_parameters,
        "body": body,
        "isBase64Encoded": False,
    }


@pytest.mark.parametrize(
    ("body", "status"),
    [("{", 400), ('{"quantity": 0}', 422), ('{"quantity": 1}', 401)],
    ids=["malformed-json", "invalid-field", "no-verified-claims"],
)
def test_real_refusals_fit_the_error_body_documented_for_their_status(document, monkeypatch, body, status):
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("PUBLIC_API_URL", "https://api.example.test")
    cart = _handler("cart")
    route = "/cart/items/{product_id}"
    event = _event("PUT", "/cart/items/tee-white-m", route, body, {"product_id": "tee-white-m"})
    reply = cart.app.resolve(event, None)
    assert reply["statusCode"] == status
    documented = _operations(document)[("PUT", route)]["responses"]
    assert str(status) in documented
    _assert_fits(document, "ErrorBody", json.loads(reply["body"]))
    if status == 422:
        assert json.loads(reply["body"])["error"]["details"][0]["field"] == "quantity"


class _WebhookFacade:
    """Answers a notification the way the checkout does: an order, or None for an unknown one."""

    def __init__(self, order: Order | None) -> None:
        self.order = order

    def handle_webhook(self, note: Any) -> Order | None:
        return self.order


@pytest.mark.parametrize("known", [True, False], ids=["settled-order", "unknown-order"])
def test_real_webhook_acknowledgements_fit_the_documented_schema(document, monkeypatch, known):
    from checkout.config import load_settings

    for table in ("PRODUCTS", "CARTS", "ORDERS", "POINTS", "IDEMPOTENCY"):
        monkeypatch.setenv(f"{table}_TABLE", f"checkout-{table.lower()}")
    monkeypatch.setenv("PUBLIC_API_URL", "https://api.example.test")
    monkeypatch.setenv("SITE_URL", "https://shop.example.test")
    monkeypatch.setenv("WEBHOOK_ALLOWED_IPS", "203.0.113.7")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    load_settings.cache_clear()
    try:
        webhook = _handler("webhook")
        order = sample_order(status=OrderStatus.PAID, imp_uid="imp_284617395021") if known else None
        monkeypatch.setattr(webhook, "get_checkout", lambda: _WebhookFacade(order))
        note = '{"imp_uid": "imp_284617395021", "merchant_uid": "ord_20260101_8f3a2c1b9d", "status": "paid"}'
        reply = webhook.app.resolve(_event("POST", "/iamport/webhook", "/iamport/webhook", note, {}), None)
    finally:
        load_settings.cache_clear()
    assert reply["statusCode"] == 200
    ack = json.loads(reply["body"])
    assert ack["status"] == ("ok" if known else "ignored")
    # The webhook's reply is a union (applied or ignored): its 200 schema, as the route documents it.
    with_ack = copy.deepcopy(document)
    route_reply = document["paths"]["/iamport/webhook"]["post"]["responses"]["200"]
    with_ack["components"]["schemas"]["WebhookAck"] = route_reply["content"]["application/json"]["schema"]
    _assert_fits(with_ack, "WebhookAck", ack)
