"""CORS as an HTTP API with a CorsConfiguration answers it: preflights by API Gateway itself, and the
configured headers (not the function's) on responses to allowed origins."""

from __future__ import annotations

from typing import Any

ORIGIN = "https://shop.example"  # the fixture template's SiteOrigin


def test_preflight_is_answered_without_calling_the_function_or_the_authorizer(fixture_api: Any) -> None:
    before = fixture_api.runtime.pools["EchoFunction"].cold_starts
    reply = fixture_api.call(
        "/private",
        method="OPTIONS",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert reply.status == 204
    assert reply.header("access-control-allow-origin") == ORIGIN
    assert reply.header("access-control-allow-methods") == "GET,POST,PUT"
    assert reply.header("access-control-allow-headers") == "authorization,content-type"
    assert reply.header("access-control-max-age") == "600"
    assert fixture_api.runtime.pools["EchoFunction"].cold_starts == before


def test_preflight_from_another_origin_gets_no_cors_headers(fixture_api: Any) -> None:
    reply = fixture_api.call(
        "/private",
        method="OPTIONS",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert reply.status == 204
    assert reply.header("access-control-allow-origin") is None


def test_responses_carry_the_configured_cors_headers_instead_of_the_functions(fixture_api: Any) -> None:
    reply = fixture_api.call("/other/cors", headers={"Origin": ORIGIN})
    assert reply.header_values("access-control-allow-origin") == [ORIGIN]
    assert reply.header("access-control-expose-headers") == "retry-after"


def test_errors_from_the_gateway_carry_cors_headers_so_the_browser_can_read_them(fixture_api: Any) -> None:
    unauthorized = fixture_api.call("/private", headers={"Origin": ORIGIN})
    assert unauthorized.status == 401
    assert unauthorized.header("access-control-allow-origin") == ORIGIN


def test_disallowed_origin_gets_no_cors_headers_on_responses(fixture_api: Any) -> None:
    reply = fixture_api.call("/other/cors", headers={"Origin": "https://evil.example"})
    assert reply.status == 200
    assert reply.header("access-control-allow-origin") is None
