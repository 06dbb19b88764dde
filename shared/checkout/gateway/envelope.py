"""Unwrapping I'mport's `{code, message, response}` envelope into a payload or a typed error.

Reference docs/iamport-v1.md#envelope: the server sends the envelope on every status even though the spec
documents no body for
non-200 answers; success is HTTP 200 with `code == 0`; a business refusal is HTTP 200 with `code != 0`.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from checkout.payment_errors import (
    IamportAuthError,
    IamportMalformedResponse,
    IamportNotFound,
    IamportRejected,
    IamportUnavailable,
)

M = TypeVar("M", bound=BaseModel)


def _read_envelope(body: bytes) -> dict[str, Any] | None:
    try:
        decoded = json.loads(body)
    except ValueError:  # also UnicodeDecodeError
        return None
    if isinstance(decoded, dict) and "code" in decoded:
        return decoded
    return None


def _code(envelope: dict[str, Any] | None) -> int | None:
    raw = None if envelope is None else envelope.get("code")
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None


def unwrap(
    http_status: int,
    body: bytes,
    *,
    not_found: type[IamportNotFound] = IamportNotFound,
    rejected: type[IamportRejected] = IamportRejected,
) -> Any:
    """The envelope's `response`, or the typed error for this status/code (both kept on the error)."""
    envelope = _read_envelope(body)
    code = _code(envelope)
    message = envelope.get("message") if envelope else None
    message = message if isinstance(message, str) else None

    if http_status >= 500:
        raise IamportUnavailable(
            message or f"I'mport answered HTTP {http_status}", http_status=http_status, code=code
        )
    if http_status == 401:
        raise IamportAuthError(message or "Unauthorized", http_status=http_status, code=code)
    if http_status == 404:
        raise not_found(message or "not found", http_status=http_status, code=code)
    if http_status == 429:  # not documented by I'mport; a throttling proxy in front of it is transient
        raise IamportUnavailable(message or "throttled", http_status=http_status, code=code)
    if http_status != 200:
        raise rejected(
            message or f"I'mport refused the request with HTTP {http_status}",
            http_status=http_status,
            code=code,
        )
    if envelope is None or code is None:
        raise IamportMalformedResponse(
            "I'mport answered HTTP 200 without a {code, message, response} envelope", http_status=http_status
        )
    if code != 0:
        raise rejected(message, http_status=http_status, code=code)
    return envelope.get("response")


def parse_model(model: type[M], payload: Any, *, http_status: int = 200) -> M:
    """Validate a payload into `model`; a payload that breaks the contract is a malformed answer.

    The error text names fields and rules only, never the offending values (they may be buyer data).
    """
    if payload is None:
        raise IamportMalformedResponse(
            f"I'mport answered code 0 with no {model.__name__}", http_status=http_status, code=0
        )
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or model.__name__}: {err['msg']}"
            for err in exc.errors(include_input=False, include_url=False)
        )
        raise IamportMalformedResponse(
            f"unreadable {model.__name__} from I'mport ({problems})", http_status=http_status, code=0
        ) from None
