"""Request headers the checkout reads itself."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from checkout.errors import ValidationFailed

# Clients send a UUID; allow any short opaque token of visible ASCII, never whitespace or a list.
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")


def header(event: Mapping[str, Any], name: str) -> str | None:
    """A request header, matched case-insensitively (payload 2.0 lower-cases them; tools may not)."""
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == wanted:
            return value
    return None


def idempotency_key(event: Mapping[str, Any]) -> str | None:
    """The optional `Idempotency-Key`: a retry with the same key returns the first attempt's result."""
    value = header(event, "idempotency-key")
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    if not _IDEMPOTENCY_KEY.match(value) or "," in value:
        raise ValidationFailed(
            "Idempotency-Key must be 1-128 visible ASCII characters (e.g. a UUID).",
            code="invalid_idempotency_key",
        )
    return value
