"""What each route says about itself in the OpenAPI document: its reply and its refusals.

A route passes `responses=route_responses(...)` to its decorator; Powertools puts them in the document
it generates from the handlers (tools/generate_openapi.py adds only what template.yaml decides: who may
call which route, and where the API is served). Refusals are always `ErrorBody`
(checkout.api.replies); the texts name the codes of docs/errors.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from checkout.api.payloads import MAX_BODY_BYTES, MAX_NUMBER_DIGITS
from checkout.api.powertools import Header
from checkout.api.replies import ErrorBody

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}}
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
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x2b\x2d-\x7e]{1,128}$"

# The Idempotency-Key header, as a route parameter (checkout.services.idempotency.check_key validates it
# and answers invalid_idempotency_key; the pattern here only documents it).
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="idempotency-key",
        description="A retry with the same key returns the first attempt's result (a UUID is fine). "
        "Header names are case-insensitive: Idempotency-Key.",
        json_schema_extra={"pattern": IDEMPOTENCY_KEY_PATTERN},
    ),
]


def route_responses(
    status: int,
    description: str,
    *,
    json_body: bool = False,
    parameters: bool = False,
    errors: dict[int, str] | None = None,
    retry_after: tuple[int, ...] = (),
    location: bool = False,
) -> dict[int, Any]:
    """The route's reply (its return type's model; `location`: a redirect without a body) and every
    refusal: what the resolver answers for a JSON body or parameters Powertools validated, then the
    handler's own `errors` (status -> the codes, in words)."""
    texts: dict[int, list[str]] = {}
    for source in (
        JSON_BODY_ERRORS if json_body else {},
        PARAMETER_ERRORS if parameters else {},
        errors or {},
    ):
        for code, text in source.items():
            if text not in texts.setdefault(code, []):
                texts[code].append(text)
    responses: dict[int, Any] = {}
    for code, reasons in sorted(texts.items()):
        refusal: dict[str, Any] = {"description": "; ".join(reasons), "content": {JSON: {"model": ErrorBody}}}
        if code in retry_after:
            refusal["headers"] = RETRY_AFTER
        responses[code] = refusal
    if location:
        responses[status] = {
            "description": description,
            "headers": {"Location": {"schema": {"type": "string"}}},
            "content": {},
        }
    else:
        responses[status] = {"description": description}  # the content: the handler's return type
    return responses
