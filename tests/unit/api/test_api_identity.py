"""Caller identity from API Gateway's verified JWT claims, and the webhook sender allowlist."""

from __future__ import annotations

import pytest

from checkout.api.auth import (
    group_names,
    is_admin,
    jwt_claims,
    parse_allowed_sources,
    require_user_id,
    source_allowed,
)
from checkout.api.headers import idempotency_key
from checkout.errors import Unauthorized, ValidationFailed


def _event(claims=None, source_ip="52.78.100.19", headers=None):
    context = {"http": {"method": "GET", "path": "/cart", "sourceIp": source_ip}}
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return {"requestContext": context, "headers": headers or {}}


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        # How HTTP API hands an array claim to the function: items between brackets, single spaces.
        ("[admin staff]", {"admin", "staff"}),
        ("[admin]", {"admin"}),
        ("[]", set()),
        # Items keep every character but the separating space.
        ("[x,admin staff]", {"x,admin", "staff"}),
        ('["admin"]', {'"admin"'}),
        # The claim as issued (a list): each string item is one group, exactly.
        (["admin", "staff"], {"admin", "staff"}),
        (("admin",), {"admin"}),
        (["x,admin", " admin", "admin "], {"x,admin", " admin", "admin "}),
        (["admin", 7, None, ""], {"admin"}),
        ([], set()),
        # Any other string is one group named exactly that.
        ("admin", {"admin"}),
        ("x,admin", {"x,admin"}),
        ("admin,staff", {"admin,staff"}),
        ("admin staff", {"admin staff"}),
        (" admin", {" admin"}),
        ("[admin  staff]", {"[admin  staff]"}),  # not the flattened form (two spaces)
        ("[admin\tstaff]", {"[admin\tstaff]"}),
        ("[ admin]", {"[ admin]"}),
        ("[admin", {"[admin"}),
        ("", set()),
        # Not a claim form at all.
        (None, set()),
        (7, set()),
        ({"admin": True}, set()),
        ({"admin"}, set()),
    ],
)
def test_group_claim_is_read_only_in_the_forms_it_really_arrives_in(claim, expected):
    assert group_names(claim) == expected


@pytest.mark.parametrize(
    "claim",
    [
        "x,admin",  # a group whose name holds a comma
        "admin,x",
        "admin staff",  # a plain string is one group name, not a space-separated list
        " admin",
        "admin ",
        '["admin"]',  # a JSON array in a string is not how any claim arrives
        '["admin","staff"]',
        "[x,admin]",
        "[admin  staff]",
        "[administrators]",
        ["admins"],
        [" admin"],
        ["x,admin"],
        "",
        None,
        [],
    ],
)
def test_a_group_that_merely_mentions_the_admin_group_is_not_admin(claim):
    assert not is_admin(
        {"sub": "u1", "cognito:groups": claim}, groups_claim="cognito:groups", admin_group="admin"
    )


@pytest.mark.parametrize(
    "claim", ["[admin]", "[staff admin]", "[admin staff]", "admin", ["admin"], ["staff", "admin"]]
)
def test_the_exact_admin_group_makes_an_admin(claim):
    assert is_admin(
        {"sub": "u1", "cognito:groups": claim}, groups_claim="cognito:groups", admin_group="admin"
    )


def test_the_local_authorizer_hands_over_array_claims_in_the_form_admin_is_read_from():
    """The offline API flattens the token's claims the way HTTP API does: an admin token stays admin."""
    from local.tokens import claim_strings

    claims = claim_strings({"sub": "u1", "cognito:groups": ["staff", "admin"]})
    assert claims["cognito:groups"] == "[staff admin]"
    assert is_admin(claims, groups_claim="cognito:groups", admin_group="admin")
    forged = claim_strings({"sub": "u1", "cognito:groups": ["x,admin"]})
    assert not is_admin(forged, groups_claim="cognito:groups", admin_group="admin")


def test_admin_needs_the_configured_group_in_the_configured_claim():
    claims = {"sub": "u1", "cognito:groups": "[staff admin]"}
    assert is_admin(claims, groups_claim="cognito:groups", admin_group="admin")
    assert not is_admin(claims, groups_claim="groups", admin_group="admin")
    assert not is_admin(claims, groups_claim="cognito:groups", admin_group="owner")
    assert not is_admin(claims, groups_claim="cognito:groups", admin_group="")
    # A group whose name merely contains the admin group's name is not the admin group.
    assert not is_admin(
        {"cognito:groups": "[administrators]"}, groups_claim="cognito:groups", admin_group="admin"
    )


def test_user_id_is_the_verified_sub_claim():
    assert require_user_id(_event({"sub": "user-42", "scope": "openid"})) == "user-42"


@pytest.mark.parametrize("claims", [None, {}, {"sub": ""}, {"sub": "   "}, {"scope": "openid"}])
def test_a_user_route_without_a_verified_subject_is_refused(claims):
    with pytest.raises(Unauthorized) as info:
        require_user_id(_event(claims))
    assert info.value.status == 401


def test_claims_are_none_on_a_public_route():
    assert jwt_claims(_event()) is None


def test_allowlist_accepts_listed_addresses_and_blocks_the_rest():
    allowed = parse_allowed_sources("52.78.100.19,52.78.48.223, 52.78.5.241")
    assert source_allowed(_event(source_ip="52.78.48.223"), allowed)
    assert not source_allowed(_event(source_ip="203.0.113.9"), allowed)
    assert not source_allowed({"requestContext": {}}, allowed)
    assert not source_allowed(_event(source_ip="not-an-ip"), allowed)


def test_allowlist_accepts_cidr_blocks_and_empty_allows_everyone():
    assert source_allowed(_event(source_ip="10.1.2.3"), parse_allowed_sources("10.0.0.0/8"))
    assert source_allowed(_event(source_ip="203.0.113.9"), parse_allowed_sources(""))


def test_a_malformed_allowlist_fails_loudly():
    with pytest.raises(ValueError):
        parse_allowed_sources("52.78.100.19,52.78.48")


def test_idempotency_key_is_optional_and_must_be_a_short_token():
    assert idempotency_key({"headers": {}}) is None
    assert idempotency_key({"headers": {"idempotency-key": " 0c7e6a52-3f0d "}}) == "0c7e6a52-3f0d"
    assert idempotency_key({"headers": {"Idempotency-Key": "abc"}}) == "abc"
    for bad in ("a b", "x" * 129, "k1,k2", "키"):
        with pytest.raises(ValidationFailed):
            idempotency_key({"headers": {"idempotency-key": bad}})
