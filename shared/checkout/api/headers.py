"""Request headers the checkout reads itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def header(event: Mapping[str, Any], name: str) -> str | None:
    """A request header, matched case-insensitively (payload 2.0 lower-cases them; tools may not)."""
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == wanted:
            return value
    return None


def idempotency_key(event: Mapping[str, Any]) -> str | None:
    """The optional `Idempotency-Key`: a retry with the same key returns the first attempt's result."""
    return checked_idempotency_key(header(event, "idempotency-key"))


def checked_idempotency_key(value: str | None) -> str | None:
    """The header value as a key (blank: none), or invalid_idempotency_key (services.idempotency)."""
    if value is None or value.strip() == "":
        return None
    # Imported here: the idempotency service (and the ports it loads) only matters to the routes that
    # take a key, not to every handler that reads a header.
    from checkout.services.idempotency import check_key

    return check_key(value.strip())
