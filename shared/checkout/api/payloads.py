"""Reading request bodies that are not plain JSON: I'mport's webhook may be JSON or a form, and API
Gateway may hand either over base64-encoded."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from checkout.api.headers import header
from checkout.errors import BadRequest

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def body_text(event: Mapping[str, Any]) -> str:
    raw = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return raw
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("The request body is not valid base64.", code="malformed_body") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8 text.", code="malformed_body") from None


# Every number in a request is money (integer KRW), a quantity or a count: 18 digits is beyond any of
# them. Longer ones are refused while parsing, before Python's own limit on integer text (4300 digits)
# can raise an error nobody expects.
MAX_NUMBER_DIGITS = 18
MAX_NUMBER_TEXT = 40


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise BadRequest("A number in the request body is too large.", code="number_out_of_range")
    return int(text)


def _bounded_float(text: str) -> float:
    value = float(text) if len(text) <= MAX_NUMBER_TEXT else math.inf
    if not math.isfinite(value) or abs(value) >= 10**MAX_NUMBER_DIGITS:
        raise BadRequest("A number in the request body is too large.", code="number_out_of_range")
    return value


def _no_constant(name: str) -> Any:
    raise BadRequest(f"{name} is not a JSON number.", code="malformed_body")


def json_object(text: str) -> dict[str, Any]:
    """A request body that must be a JSON object (ValueError if it is not JSON at all).

    Anything else is refused here, before validation: Powertools would read a JSON array as the object
    inside it (its field normalisation takes a list's first element), so `[{"reason": "x"}]` would pass
    as a refund. A body nested deeper than the parser's recursion limit is refused, not a crash, and so
    is a number no field can hold (thousands of digits, 1e999, NaN, Infinity): a 400, never a 500."""
    try:
        data = json.loads(
            text, parse_int=_bounded_int, parse_float=_bounded_float, parse_constant=_no_constant
        )
    except RecursionError:
        raise BadRequest("The request body is nested too deeply.", code="malformed_body") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.", code="malformed_body")
    return data


def form_or_json_fields(event: Mapping[str, Any]) -> dict[str, str]:
    """The body's fields as strings, from a JSON object or a urlencoded form.

    The content type decides; without a usable one (some proxies drop it) a body starting with `{`
    is read as JSON and anything else as a form."""
    text = body_text(event).strip()
    if not text:
        raise BadRequest("The request body is empty.", code="empty_body")
    media_type = (header(event, "content-type") or "").split(";", 1)[0].strip().lower()
    as_json = media_type == JSON or media_type.endswith("+json") or (media_type != FORM and text[0] == "{")
    if as_json:
        try:
            data = json_object(text)
        except ValueError:
            raise BadRequest("The request body is not valid JSON.", code="malformed_body") from None
        # Scalars only: a nested object where a field belongs is garbage, not something to stringify.
        return {
            str(k): v if isinstance(v, str) else json.dumps(v)
            for k, v in data.items()
            if v is not None and not isinstance(v, (dict, list))
        }
    fields = parse_qs(text, keep_blank_values=True) if media_type == FORM or "=" in text else {}
    if not fields:
        raise BadRequest("The request body is neither JSON nor a form.", code="malformed_body")
    # A repeated key keeps its first value; I'mport never repeats one.
    return {key: values[0] for key, values in fields.items()}
