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

from checkout import error_codes as codes
from checkout.api.headers import header
from checkout.errors import BadRequest, PayloadTooLarge

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


# The largest request the API serves is a refund of 100 lines, about 10 kB of JSON; 64 KiB leaves room
# for whitespace and escaped text while keeping what one request can make a function read and hold small.
MAX_BODY_BYTES = 64 * 1024
# Every body is at most three levels deep (a refund's lines); nothing legitimate comes near this.
MAX_DEPTH = 16
# I'mport's notification is three or four fields; a form with more than this is not one.
MAX_FORM_FIELDS = 100

# Every number in a request is money (integer KRW), a quantity or a count: 18 digits is beyond any of
# them. Longer ones are refused while parsing, before Python's own limit on integer text (4300 digits)
# can raise an error nobody expects.
MAX_NUMBER_DIGITS = 18
MAX_NUMBER_TEXT = 40


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB.")


def check_body_size(text: str) -> None:
    """Refuse a body over MAX_BODY_BYTES of UTF-8 (counted in characters first, which is cheaper and
    never more than the bytes)."""
    if len(text) > MAX_BODY_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise _too_large()


def body_text(event: Mapping[str, Any]) -> str:
    raw = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        check_body_size(raw)
        return raw
    # Base64 is 4 characters for every 3 bytes: refuse before decoding what could only be too large.
    if len(raw) > (MAX_BODY_BYTES + 2) // 3 * 4 + 4:
        raise _too_large()
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("The request body is not valid base64.", code=codes.MALFORMED_BODY) from None
    if len(data) > MAX_BODY_BYTES:
        raise _too_large()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8 text.", code=codes.MALFORMED_BODY) from None


def _out_of_range() -> BadRequest:
    return BadRequest("A number in the request body is too large.", code=codes.NUMBER_OUT_OF_RANGE)


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _out_of_range()
    return int(text)


def _bounded_float(text: str) -> float:
    value = float(text) if len(text) <= MAX_NUMBER_TEXT else math.inf
    if not math.isfinite(value) or abs(value) >= 10**MAX_NUMBER_DIGITS:
        raise _out_of_range()
    return value


def _no_constant(name: str) -> Any:
    raise BadRequest(f"{name} is not a JSON number.", code=codes.MALFORMED_BODY)


def _depth_within(data: Any, limit: int) -> bool:
    """Whether no object or array lies more than `limit` levels deep (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return True


def _too_deep() -> BadRequest:
    return BadRequest("The request body is nested too deeply.", code=codes.MALFORMED_BODY)


def json_object(text: str) -> dict[str, Any]:
    """A request body that must be a JSON object (ValueError if it is not JSON at all).

    Anything else is refused here, before validation: Powertools would read a JSON array as the object
    inside it (its field normalisation takes a list's first element), so `[{"reason": "x"}]` would pass
    as a refund. Every refusal is ours, raised while parsing, so it is a clean 4xx and never a 500:
    a body over MAX_BODY_BYTES (413), a number no field can hold (more than 18 digits, 1e999, NaN,
    Infinity) and nesting deeper than MAX_DEPTH (both 400)."""
    check_body_size(text)
    try:
        data = json.loads(
            text, parse_int=_bounded_int, parse_float=_bounded_float, parse_constant=_no_constant
        )
    except RecursionError:
        raise _too_deep() from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.", code=codes.MALFORMED_BODY)
    if not _depth_within(data, MAX_DEPTH):
        raise _too_deep()
    return data


def form_or_json_fields(event: Mapping[str, Any]) -> dict[str, str]:
    """The body's fields as strings, from a JSON object or a urlencoded form.

    The content type decides; without a usable one (some proxies drop it) a body starting with `{`
    is read as JSON and anything else as a form."""
    text = body_text(event).strip()
    if not text:
        raise BadRequest("The request body is empty.", code=codes.EMPTY_BODY)
    media_type = (header(event, "content-type") or "").split(";", 1)[0].strip().lower()
    as_json = media_type == JSON or media_type.endswith("+json") or (media_type != FORM and text[0] == "{")
    if as_json:
        try:
            data = json_object(text)
        except ValueError:
            raise BadRequest("The request body is not valid JSON.", code=codes.MALFORMED_BODY) from None
        # Scalars only: a nested object where a field belongs is garbage, not something to stringify.
        return {
            str(k): v if isinstance(v, str) else json.dumps(v)
            for k, v in data.items()
            if v is not None and not isinstance(v, (dict, list))
        }
    try:
        fields = (
            parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
            if media_type == FORM or "=" in text
            else {}
        )
    except ValueError:  # more fields than any notification has
        raise BadRequest("The request body has too many fields.", code=codes.MALFORMED_BODY) from None
    if not fields:
        raise BadRequest("The request body is neither JSON nor a form.", code=codes.MALFORMED_BODY)
    # A repeated key keeps its first value; I'mport never repeats one.
    return {key: values[0] for key, values in fields.items()}
