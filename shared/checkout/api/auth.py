"""Who is calling: the buyer's id and admin rights from the claims API Gateway's JWT authorizer
verified, and whether a webhook comes from I'mport's servers.

The HTTP API JWT authorizer has already checked the token's signature, issuer, audience and expiry
before the function runs; the function only reads the verified claims from the event.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from checkout import error_codes as codes
from checkout.config import load_settings
from checkout.errors import Unauthorized
from checkout.services.results import Actor

# The webhook allowlist's entries are separated by commas and/or whitespace.
_ALLOWLIST_SEPARATORS = re.compile(r"[\s,]+")
# How API Gateway's HTTP API hands an array claim to the function: one string, the items between
# brackets, separated by single spaces ("[admin staff]", "[]" when empty).
_FLATTENED_ARRAY = re.compile(r"\[(?:\S+(?: \S+)*)?\]")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def jwt_claims(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The verified JWT claims of the request, or None when the route had no authorizer."""
    context = event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    jwt = authorizer.get("jwt") or {}
    claims = jwt.get("claims")
    return claims if isinstance(claims, dict) and claims else None


def require_user_id(event: Mapping[str, Any]) -> str:
    """The buyer's id (the token's `sub`). A user route reached without verified claims is refused:
    never fall back to anything the client could choose."""
    claims = jwt_claims(event)
    subject = claims.get("sub") if claims else None
    if not isinstance(subject, str) or not subject.strip():
        raise Unauthorized("Sign in to continue.", code=codes.UNAUTHORIZED)
    return subject


def group_names(value: Any) -> frozenset[str]:
    """The groups named by a groups claim, read in the two forms a claim really arrives in, and no other.

    - An array claim (e.g. Cognito's `cognito:groups`) reaches the function flattened by API Gateway's
      HTTP API into one string: `"[admin staff]"`, the items between brackets, separated by single
      spaces. This is exact when group names hold no whitespace, as in Cognito, which refuses such
      names; a provider allowing "x admin" as one group name would flatten it like `x` and `admin`.
    - A list: the claim as issued, when the claims are handed over unflattened (tests, other adapters).
      Each string item is one group, exactly as written.

    Any other string is ONE group named exactly that: `"x,admin"` or `"admin staff"` is a single
    group, never `admin`, so whoever may name a group cannot name themselves into the admin group.
    Nothing is trimmed, split on commas or parsed as JSON (`'["admin"]'` is the group `"admin"`, with
    its quotes). Anything else (numbers, objects, None) names no group."""
    if isinstance(value, (list, tuple)):
        return frozenset(item for item in value if isinstance(item, str) and item)
    if not isinstance(value, str) or not value:
        return frozenset()
    if _FLATTENED_ARRAY.fullmatch(value):
        return frozenset(item for item in value[1:-1].split(" ") if item)
    return frozenset({value})


def is_admin(claims: Mapping[str, Any] | None, *, groups_claim: str, admin_group: str) -> bool:
    if not claims or not admin_group:
        return False
    return admin_group in group_names(claims.get(groups_claim))


def require_actor(event: Mapping[str, Any]) -> Actor:
    """The caller as the services see it: their id, and admin rights from the configured group claim."""
    user_id = require_user_id(event)
    settings = load_settings()
    admin = is_admin(
        jwt_claims(event), groups_claim=settings.admin_groups_claim, admin_group=settings.admin_group
    )
    return Actor(user_id=user_id, is_admin=admin)


def parse_allowed_sources(raw: str | Iterable[str] | None) -> tuple[IPNetwork, ...]:
    """Parse the webhook allowlist (addresses or CIDR blocks, comma/space-separated).

    A malformed entry raises ValueError at cold start: a typo must not silently open or close the
    webhook."""
    if raw is None:
        return ()
    entries = _ALLOWLIST_SEPARATORS.split(raw) if isinstance(raw, str) else list(raw)
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def source_ip(event: Mapping[str, Any]) -> str | None:
    http = (event.get("requestContext") or {}).get("http") or {}
    ip = http.get("sourceIp")
    return ip if isinstance(ip, str) and ip else None


def source_allowed(event: Mapping[str, Any], allowed: tuple[IPNetwork, ...]) -> bool:
    """Whether the request's source address (as API Gateway saw it, not a client-supplied header)
    is on the allowlist. An empty allowlist allows every source."""
    if not allowed:
        return True
    ip = source_ip(event)
    if ip is None:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in allowed)


@functools.lru_cache(maxsize=4)
def _allowed_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return parse_allowed_sources(entries)


def webhook_source_allowed(event: Mapping[str, Any]) -> bool:
    """The WEBHOOK_ALLOWED_IPS check (PortOne's published sender addresses in the template)."""
    return source_allowed(event, _allowed_networks(tuple(load_settings().webhook_allowed_ips)))
