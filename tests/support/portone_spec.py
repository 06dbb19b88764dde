"""PortOne's official V1 spec (Swagger 2.0), loaded for response validation with jsonschema.

The spec is fetched from PyPI (it ships inside `portone-mcp-server`) into `.cache/portone/` by the
Makefile; `load_spec()` fetches it itself when the file is missing, so `pytest` alone works.

The published spec has three defects that make a correct response fail validation. They are
repaired in one place, `adapt_definitions()`, and nowhere else; `tests/contract/test_portone_spec.py`
proves each repair is needed and that the repaired schema still rejects wrong responses.
"""

from __future__ import annotations

import copy
import functools
import json
import pathlib
from typing import Any

from jsonschema import Draft4Validator

from tools.fetch_portone_spec import fetch

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT / ".cache" / "portone" / "v1.openapi.json"

# Numeric keywords of JSON Schema draft 4 (the dialect Swagger 2.0 uses). The spec writes some of
# them as strings (`maxLength: "32"`), which jsonschema cannot compare with a length.
NUMERIC_KEYWORDS = ("maxLength", "minLength", "maximum", "minimum", "maxItems", "minItems", "multipleOf")

# The one definition whose `required` list names fields it does not have: it was copied from
# PagedPaymentAnnotation (`total, previous, next`), see docs/iamport-v1.md#prepare.
BOGUS_REQUIRED = {"PaymentPrepareAnnotation": ("total", "previous", "next")}

# Every emulated operation lives under one of these spec paths. The spec writes `find` and `findAll`
# with an optional trailing path parameter (invalid Swagger), so both real routes share one entry.
FIND_PATH = "/payments/find/{merchant_uid}/{payment_status}"
FIND_ALL_PATH = "/payments/findAll/{merchant_uid}/{payment_status}"

# What a body without a schema in the spec must be: the envelope, `response: null`
# (docs/iamport-v1.md#failures).
ERROR_ENVELOPE: dict[str, Any] = {
    "allOf": [
        {"$ref": "#/definitions/ResponseAnnotation"},
        {"properties": {"response": {"type": "null"}}, "required": ["response"]},
    ]
}


@functools.cache
def load_raw_spec(path: pathlib.Path = SPEC_PATH) -> dict[str, Any]:
    """The spec exactly as PortOne publishes it (downloaded from PyPI on first use)."""
    fetch(path)
    spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if spec.get("swagger") != "2.0":
        raise ValueError(f"{path} is not the Swagger 2.0 PortOne V1 spec")
    return spec


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return {**schema, "type": [*types, "null"]} if "null" not in types else schema
    # A bare `$ref` (draft 4 ignores keywords next to `$ref`), so the alternative has to wrap it.
    return {"anyOf": [schema, {"type": "null"}]}


def _adapt_schema(schema: dict[str, Any]) -> dict[str, Any]:
    out = dict(schema)
    for keyword in NUMERIC_KEYWORDS:
        value = out.get(keyword)
        if isinstance(value, str) and value.isdigit():
            out[keyword] = int(value)
    if "properties" in out:
        required = set(out.get("required", ()))
        out["properties"] = {
            name: _adapt_schema(prop) if name in required else _nullable(_adapt_schema(prop))
            for name, prop in out["properties"].items()
        }
    if "items" in out and isinstance(out["items"], dict):
        out["items"] = _adapt_schema(out["items"])
    if "allOf" in out:
        out["allOf"] = [_adapt_schema(part) for part in out["allOf"]]
    return out


def adapt_definitions(definitions: dict[str, Any]) -> dict[str, Any]:
    """Repair exactly the spec's three known defects, and nothing else.

    1. Numeric limits written as strings (`maxLength: "32"` in PaymentAnnotation and others) become
       integers, so the limits are still enforced.
    2. Properties that are not `required` may be null: the live API sends every Payment field and
       uses null for "not applicable" (`card_type`, `vbank_*`, `receipt_url`...), and the envelope's
       `message` is null on success while `response` is null on failure (docs/iamport-v1.md#envelope,
       #payment-model).
       Required properties stay non-null.
    3. `PaymentPrepareAnnotation.required` lists `total, previous, next`, fields it does not have;
       that list is dropped (the defect is a copy-paste from PagedPaymentAnnotation).
    """
    fixed = copy.deepcopy(definitions)
    for name, bogus in BOGUS_REQUIRED.items():
        required = [field for field in fixed[name].get("required", []) if field not in bogus]
        if required:
            fixed[name]["required"] = required
        else:
            fixed[name].pop("required", None)
    return {name: _adapt_schema(schema) for name, schema in fixed.items()}


class PortOneSpec:
    """Response schemas of the spec's operations, as jsonschema validators."""

    def __init__(self, raw: dict[str, Any], *, adapt: bool = True) -> None:
        self.raw = raw
        self.definitions = adapt_definitions(raw["definitions"]) if adapt else raw["definitions"]

    def operation(self, path: str, method: str) -> dict[str, Any]:
        try:
            op: dict[str, Any] = self.raw["paths"][path][method.lower()]
        except KeyError as exc:
            raise KeyError(f"the spec has no operation {method.upper()} {path}") from exc
        return op

    def response_schema(self, path: str, method: str, status: int) -> dict[str, Any]:
        """The schema for one documented status of an operation.

        The spec gives no body schema for error statuses (401, 404, 400), but the server sends the
        envelope with `response: null` (docs/iamport-v1.md#failures), so that is what such a body must match.
        """
        responses = self.operation(path, method)["responses"]
        if str(status) not in responses:
            raise KeyError(f"{method.upper()} {path} documents no HTTP {status}")
        schema = responses[str(status)].get("schema")
        return dict(schema) if schema is not None else dict(ERROR_ENVELOPE)

    def validator(self, path: str, method: str, status: int) -> Draft4Validator:
        root = {"allOf": [self.response_schema(path, method, status)], "definitions": self.definitions}
        return Draft4Validator(root)

    def definition_validator(self, name: str) -> Draft4Validator:
        return Draft4Validator(
            {"allOf": [{"$ref": f"#/definitions/{name}"}], "definitions": self.definitions}
        )

    def validate(self, path: str, method: str, status: int, body: Any) -> None:
        """Raise jsonschema.ValidationError unless `body` matches the operation's schema for `status`."""
        self.validator(path, method, status).validate(body)

    def validate_error_envelope(self, body: Any) -> None:
        """For a status the spec does not document at all (e.g. the 404 of GET /payments/prepare/{id})."""
        Draft4Validator({"allOf": [ERROR_ENVELOPE], "definitions": self.definitions}).validate(body)

    @property
    def payment_properties(self) -> frozenset[str]:
        return frozenset(self.raw["definitions"]["PaymentAnnotation"]["properties"])

    @property
    def payment_required(self) -> frozenset[str]:
        return frozenset(self.raw["definitions"]["PaymentAnnotation"]["required"])


@functools.cache
def load_spec() -> PortOneSpec:
    """The adapted spec used to validate the sandbox's responses."""
    return PortOneSpec(load_raw_spec())
