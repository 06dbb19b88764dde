"""The JWT authorizer, as an HTTP API enforces it: locally issued RS256 tokens are checked for signature,
expiry, issuer and audience; failures are API Gateway's 401 before the function runs."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from local.tokens import SigningKey, TokenIssuer, claim_strings

# As the fixture template's authorizer is configured by the fixture_api fixture.
ISSUER = "https://issuer.fixture.test"
AUDIENCES = ("fixture-web", "fixture-mobile")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _assert_unauthorized(reply: Any, description: str) -> None:
    assert reply.status == 401
    assert reply.json() == {"message": "Unauthorized"}
    assert f'error_description="{description}"' in (reply.header("www-authenticate") or "")


def test_valid_token_reaches_the_function_with_claims_as_api_gateway_passes_them(fixture_api: Any) -> None:
    reply = fixture_api.call("/private", headers=_bearer(fixture_api.token("buyer-7", admin=True)))
    assert reply.status == 200
    jwt_ctx = reply.json()["event"]["requestContext"]["authorizer"]["jwt"]
    claims = jwt_ctx["claims"]
    assert claims["sub"] == "buyer-7"
    assert claims["iss"] == ISSUER and claims["aud"] == AUDIENCES[1]
    assert claims["cognito:groups"] == "[admin]"  # arrays arrive as "[a b]" strings
    assert claims["exp"].isdigit() and claims["iat"].isdigit()  # numbers arrive as strings
    assert jwt_ctx["scopes"] is None  # the route asks for no scopes


def test_token_without_bearer_prefix_is_accepted_as_api_gateway_does(fixture_api: Any) -> None:
    assert fixture_api.call("/private", headers={"Authorization": fixture_api.token()}).status == 200


def test_missing_token_is_401_and_the_function_never_runs(fixture_api: Any) -> None:
    before = len(fixture_api.logs)
    _assert_unauthorized(fixture_api.call("/private"), "the token is missing")
    _assert_unauthorized(
        fixture_api.call("/private", headers={"Authorization": "Bearer "}), "the token is missing"
    )
    assert len(fixture_api.logs) == before


def test_expired_token_is_401(fixture_api: Any) -> None:
    token = fixture_api.issuer.issue("buyer-1", now=time.time() - 7200, ttl_s=3600)
    _assert_unauthorized(fixture_api.call("/private", headers=_bearer(token)), "the token has expired")


def test_token_for_another_audience_is_401(fixture_api: Any) -> None:
    other = TokenIssuer(fixture_api.key, ISSUER, "someone-elses-app")
    _assert_unauthorized(
        fixture_api.call("/private", headers=_bearer(other.issue("buyer-1"))),
        "the token does not have a valid audience",
    )


def test_token_from_another_issuer_is_401(fixture_api: Any) -> None:
    other = TokenIssuer(fixture_api.key, "https://evil.example", AUDIENCES[0])
    _assert_unauthorized(
        fixture_api.call("/private", headers=_bearer(other.issue("buyer-1"))),
        "the token does not have a valid issuer",
    )


def test_token_signed_with_another_key_is_401(fixture_api: Any, tmp_path: Any) -> None:
    stranger = SigningKey.load(tmp_path)
    forged = TokenIssuer(stranger, ISSUER, AUDIENCES[0]).issue("buyer-1")
    _assert_unauthorized(
        fixture_api.call("/private", headers=_bearer(forged)), "the token's signing key is unknown"
    )
    # Same kid, other key: the signature check is what refuses it.
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"sub": "buyer-1", "iss": ISSUER, "aud": AUDIENCES[0], "exp": int(time.time()) + 600}
    same_kid = jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": fixture_api.key.kid})
    _assert_unauthorized(
        fixture_api.call("/private", headers=_bearer(same_kid)), "the token's signature is invalid"
    )


def test_garbage_token_is_401(fixture_api: Any) -> None:
    _assert_unauthorized(fixture_api.call("/private", headers=_bearer("not-a-jwt")), "the token is malformed")


def test_unsigned_token_is_refused(fixture_api: Any) -> None:
    claims = {"sub": "buyer-1", "iss": ISSUER, "aud": AUDIENCES[0], "exp": int(time.time()) + 600}
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": fixture_api.key.kid})
    assert fixture_api.call("/private", headers=_bearer(unsigned)).status == 401


def test_cognito_access_token_with_client_id_instead_of_aud_is_accepted(fixture_api: Any) -> None:
    claims = {
        "sub": "buyer-1",
        "iss": ISSUER,
        "client_id": AUDIENCES[0],
        "token_use": "access",
        "exp": int(time.time()) + 600,
    }
    token = jwt.encode(
        claims, fixture_api.key.private_key, algorithm="RS256", headers={"kid": fixture_api.key.kid}
    )
    assert fixture_api.call("/private", headers=_bearer(token)).status == 200


def test_route_with_scopes_needs_one_of_them_and_passes_the_granted_scopes(fixture_api: Any) -> None:
    without = fixture_api.call("/scoped", headers=_bearer(fixture_api.token()))
    assert without.status == 403 and without.json() == {"message": "Forbidden"}
    token = fixture_api.token(extra={"scope": "profile orders/write"})
    reply = fixture_api.call("/scoped", headers=_bearer(token))
    assert reply.status == 200
    assert reply.json()["event"]["requestContext"]["authorizer"]["jwt"]["scopes"] == ["orders/write"]


def test_routes_with_authorizer_none_are_reachable_without_a_token(fixture_api: Any) -> None:
    assert fixture_api.call("/public/anything").status == 200
    assert fixture_api.call("/files/a/b").status == 200
    assert fixture_api.call("/other/plain").status == 200


def test_unknown_route_is_api_gateways_404(fixture_api: Any) -> None:
    for method, path in (
        ("GET", "/nowhere"),
        ("DELETE", "/private"),
        ("GET", "/public"),
        ("POST", "/files/x"),
    ):
        reply = fixture_api.call(path, method=method)
        assert (reply.status, reply.json()) == (404, {"message": "Not Found"}), (method, path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", "text"),
        (7, "7"),
        (1.5, "1.5"),
        (1700000000.0, "1700000000"),
        (True, "true"),
        (["admin", "ops"], "[admin ops]"),
        ([], "[]"),
        ({"a": 1}, '{"a":1}'),
    ],
)
def test_claim_values_are_stringified_as_http_apis_pass_them(value: Any, expected: str) -> None:
    assert claim_strings({"c": value}) == {"c": expected}


def test_null_claims_are_left_out() -> None:
    assert claim_strings({"sub": "u", "nickname": None}) == {"sub": "u"}
