"""Reading the SAM template offline: intrinsics resolve to local values, route selection follows API
Gateway's precedence, and the checkout's own template.yaml yields its routes, authorizer and schedule."""

from __future__ import annotations

import pytest

from local.cfn import load_template
from local.intrinsics import LocalValues, UnresolvableIntrinsic, evaluate_conditions, resolve
from local.routing import select_route
from local.samapp import Route, load_app
from local.stack import LOCAL_AUDIENCE, LOCAL_ISSUER, LocalUrls, function_overrides, load_local_app
from local.tables import local_table_names

URLS = LocalUrls("http://127.0.0.1:3000", "http://127.0.0.1:4000", "http://127.0.0.1:8090")


def _local(**params: object) -> LocalValues:
    return LocalValues(
        region="ap-northeast-2",
        api_url="http://127.0.0.1:3000",
        parameters=params,
        resources={"OrdersTable": "checkout-orders", "HttpApi": "local"},
        http_api_ids=frozenset({"HttpApi"}),
    )


def test_sub_of_the_execute_api_url_becomes_the_local_api_url() -> None:
    expr = {"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/payments"}
    assert resolve(expr, _local()) == "http://127.0.0.1:3000/payments"
    assert resolve({"Fn::GetAtt": ["HttpApi", "ApiEndpoint"]}, _local()) == "http://127.0.0.1:3000"


def test_refs_resolve_to_local_tables_parameters_and_pseudo_parameters() -> None:
    local = _local(LogLevel="INFO", Audience=["a", "b"])
    assert resolve({"Ref": "OrdersTable"}, local) == "checkout-orders"
    assert resolve({"Ref": "LogLevel"}, local) == "INFO"
    assert resolve({"Ref": "Audience"}, local) == ["a", "b"]
    assert resolve({"Fn::Sub": "${AWS::Region}/${OrdersTable}"}, local) == "ap-northeast-2/checkout-orders"
    assert resolve({"Fn::Split": [",", "x,y"]}, local) == ["x", "y"]
    with pytest.raises(UnresolvableIntrinsic):
        resolve({"Ref": "NoSuchThing"}, local)


def test_conditions_are_evaluated_and_novalue_drops_the_property() -> None:
    local = _local(SiteUrl="", PublicApiUrl="http://127.0.0.1:3000")
    evaluate_conditions(
        {
            "HasSiteUrl": {"Fn::Not": [{"Fn::Equals": [{"Ref": "SiteUrl"}, ""]}]},
            "HasApiUrl": {"Fn::Not": [{"Fn::Equals": [{"Ref": "PublicApiUrl"}, ""]}]},
            "Both": {"Fn::And": [{"Condition": "HasSiteUrl"}, {"Condition": "HasApiUrl"}]},
        },
        local,
    )
    assert local.conditions == {"HasSiteUrl": False, "HasApiUrl": True, "Both": False}
    env = {
        "A": {"Fn::If": ["HasSiteUrl", "x", {"Ref": "AWS::NoValue"}]},
        "B": {"Fn::If": ["HasApiUrl", {"Ref": "PublicApiUrl"}, {"Ref": "AWS::NoValue"}]},
    }
    assert resolve(env, local) == {"B": "http://127.0.0.1:3000"}


def _route(method: str, path: str) -> Route:
    return Route(method=method, path=path, function_id="F", authorizer=None)


def test_route_precedence_literal_then_parameter_then_greedy_and_method_before_any() -> None:
    routes = [
        _route("ANY", "/orders/{proxy+}"),
        _route("GET", "/orders/{merchant_uid}"),
        _route("GET", "/orders/recent"),
        _route("ANY", "/orders/{merchant_uid}"),
        _route("POST", "/orders/{merchant_uid}/refund"),
        _route("ANY", "$default"),
    ]
    assert select_route(routes, "GET", "/orders/recent").route.path == "/orders/recent"
    match = select_route(routes, "GET", "/orders/o-1")
    assert (match.route.method, match.route.path, match.path_parameters) == (
        "GET",
        "/orders/{merchant_uid}",
        {"merchant_uid": "o-1"},
    )
    assert select_route(routes, "DELETE", "/orders/o-1").route.method == "ANY"
    assert select_route(routes, "GET", "/orders/o-1/refund").route.path == "/orders/{proxy+}"
    assert select_route(routes, "POST", "/orders/o-1/refund").route.path == "/orders/{merchant_uid}/refund"
    assert select_route(routes, "GET", "/elsewhere").route.route_key == "$default"
    assert select_route(routes[:-1], "GET", "/elsewhere") is None


def test_checkout_template_gives_routes_a_jwt_authorizer_local_cors_and_a_sweeper_schedule() -> None:
    template = load_template()
    app = load_local_app(template, URLS, local_table_names())
    keys = {r.route_key: r for r in app.routes}
    assert keys["GET /products"].authorizer is None
    assert keys["POST /orders"].authorizer is not None
    assert keys["POST /iamport/webhook"].authorizer is None
    authorizer = app.authorizers[keys["POST /orders"].authorizer]
    assert (authorizer.issuer, authorizer.audiences) == (LOCAL_ISSUER, (LOCAL_AUDIENCE,))
    assert app.cors is not None and app.cors.allow_origins == (URLS.web_url,)
    assert any(s.rate_seconds for s in app.schedules)
    for fn in app.functions.values():
        assert fn.code_dir.is_dir(), fn.code_dir
        assert any((d / "checkout").is_dir() for d in fn.layer_dirs), fn.logical_id
        assert fn.environment["ORDERS_TABLE"] == "checkout-orders"


def test_offline_environment_points_functions_at_the_sandbox_and_drops_ssm_parameters() -> None:
    env = function_overrides(URLS, "http://127.0.0.1:8000", local_table_names())
    assert env["IAMPORT_BASE_URL"] == URLS.sandbox_url
    assert (env["IAMPORT_API_KEY"], env["IAMPORT_API_SECRET"]) == ("sandbox-key", "sandbox-secret")
    assert env["IAMPORT_API_KEY_PARAM"] is None and env["IAMPORT_API_SECRET_PARAM"] is None
    assert env["PUBLIC_API_URL"] == URLS.api_url and env["SITE_URL"] == URLS.web_url
    assert env["DYNAMODB_ENDPOINT"] == "http://127.0.0.1:8000"


def test_a_new_route_in_the_template_needs_no_change_in_the_adapter(tmp_path) -> None:  # type: ignore[no-untyped-def]
    template = load_template()
    fn = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function")
    fn["Properties"].setdefault("Events", {})["Extra"] = {
        "Type": "HttpApi",
        "Properties": {
            "ApiId": {"Ref": "HttpApi"},
            "Path": "/gift-cards/{code}",
            "Method": "GET",
            "Auth": {"Authorizer": "NONE"},
        },
    }
    fn["Properties"].setdefault("Environment", {}).setdefault("Variables", {})["GIFT_CARD_LIMIT"] = "3"
    app = load_app(
        template,
        region="ap-northeast-2",
        api_url=URLS.api_url,
        parameter_overrides={"JwtIssuer": "https://i.example", "JwtAudience": "a"},
        table_names=local_table_names(),
    )
    match = select_route(app.routes, "GET", "/gift-cards/G-1")
    assert match is not None and match.path_parameters == {"code": "G-1"}
    assert app.functions[match.route.function_id].environment["GIFT_CARD_LIMIT"] == "3"
