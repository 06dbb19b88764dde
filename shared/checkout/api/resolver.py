"""The HTTP resolver every function uses, and the one place where exceptions become HTTP replies.

Each function builds its own resolver with `build_resolver()` (Powertools resolvers are per module),
so the error mapping below is identical across the API: domain errors keep their status and code,
bad input is a 4xx JSON error, and only a genuine fault is a 500.
"""

from __future__ import annotations

import binascii
import json
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic

from checkout import error_codes as codes
from checkout.api.payloads import json_object
from checkout.api.powertools import (
    APIGatewayHttpResolver,
    NotFoundError,
    RequestUnsupportedContentType,
    RequestValidationError,
    Response,
    ResponseValidationError,
    ServiceError,
)
from checkout.api.responses import error_response
from checkout.deadline import deadline_in
from checkout.errors import CheckoutError, RequestInProgress
from checkout.observability import count, logger
from checkout.payment_errors import IamportError

# Powertools reports a body that is not JSON as a validation error of this type.
_MALFORMED_BODY_TYPES = {"json_invalid", "form_invalid", "multipart_invalid"}

# Pydantic's own messages are clear ("Field required", "Input should be ..."); these cover errors
# Powertools builds without one.
_FALLBACK_MESSAGES = {
    "missing": "Field required",
    "json_invalid": "The body is not valid JSON",
    "model_attributes_type": "Should be a JSON object",
    "dict_type": "Should be a JSON object",
}


_DOMAIN = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]+)?$")


class CheckoutResolver(APIGatewayHttpResolver):
    """The HTTP API resolver of every function: validated bodies, bounded JSON, the invocation's deadline.

    CORS and unknown routes are API Gateway's business: the HTTP API answers preflights, adds the CORS
    headers of its CorsConfiguration to every reply (any the function set would be replaced) and answers a
    route or method it does not have with its own 404 before any function runs. The local adapter
    (local/api.py) does the same offline, so the functions carry no CORS code and no 405 handling."""

    def __init__(self) -> None:
        # Replies are validated against the route's return type (checkout.api.replies); one that does not
        # match is our bug, answered as a 500 (below), never as the client's 422.
        super().__init__(
            enable_validation=True,
            json_body_deserializer=json_object,
            response_validation_error_http_code=500,
        )
        # (METHOD, rule) as registered, e.g. ("GET", "/orders/<merchant_uid>"): the template's routes
        # are checked against these.
        self.declared_routes: list[tuple[str, str]] = []

    def route(self, rule: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        methods = (method,) if isinstance(method, str) else tuple(method)
        self.declared_routes.extend((m.upper(), rule) for m in methods)
        return super().route(rule, method, *args, **kwargs)

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        adopt_public_api_url(event)
        # Every I'mport call of this request fits in what the function has left (checkout.deadline).
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        with deadline_in(remaining() / 1000 if callable(remaining) else None):
            return super().resolve(event, context)


def adopt_public_api_url(event: Mapping[str, Any]) -> None:
    """Set PUBLIC_API_URL from the first request when the template could not.

    CloudFormation cannot give a function behind an HTTP API that API's URL (the API's definition
    refers to the function, so a reference back is circular). API Gateway tells us on every request
    which domain served it, so the container learns the URL there, before the settings are first read.
    A configured PUBLIC_API_URL (a custom domain, the local stack) always wins."""
    if os.environ.get("PUBLIC_API_URL"):
        return
    context = event.get("requestContext") or {}
    domain = context.get("domainName")
    if not isinstance(domain, str) or not _DOMAIN.match(domain):
        return
    base = f"https://{domain}"
    stage = context.get("stage")
    raw_path = event.get("rawPath") or ""
    if isinstance(stage, str) and stage not in ("", "$default") and raw_path.startswith(f"/{stage}/"):
        base += f"/{stage}"
    os.environ["PUBLIC_API_URL"] = base


def describe_validation_errors(errors: Sequence[Any]) -> tuple[str, list[dict[str, str]]]:
    """A readable message and per-field details from pydantic/Powertools validation errors.

    The submitted values are never echoed back: they may be long, or carry personal data."""
    details: list[dict[str, str]] = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        # Powertools prefixes the source ("body", "query", "path", "header"); keep it for context
        # only when it is all there is, e.g. a missing body.
        field = (
            ".".join(loc[1:])
            if len(loc) > 1 and loc[0] in ("body", "query", "path", "header")
            else ".".join(loc)
        )
        kind = str(err.get("type", "invalid"))
        message = err.get("msg") or _FALLBACK_MESSAGES.get(kind) or kind.replace("_", " ")
        details.append({"field": field or "body", "message": str(message)})
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details) or "The request is invalid"
    return summary, details


class Refusal(Exception):  # noqa: N818 - it is a reply, raised past the route's reply validation
    """An error reply a handler builds itself (its own headers, such as Retry-After): sent as it is.

    A route's return type describes its success; raising this keeps its refusals out of that check."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def build_resolver() -> CheckoutResolver:
    app = CheckoutResolver()

    @app.exception_handler(Refusal)
    def _refusal(exc: Refusal) -> Response:
        return exc.response

    @app.exception_handler(ResponseValidationError)
    def _reply_invalid(exc: ResponseValidationError) -> Response:
        # Where and why only: the reply itself carries buyers' data.
        problems = [
            {"loc": ".".join(str(part) for part in err.get("loc", ())), "type": str(err.get("type"))}
            for err in exc.errors()
        ]
        logger.error("reply does not match its schema", extra={"problems": problems[:20]})
        count("ReplySchemaMismatch")
        return error_response(
            500, codes.INTERNAL_ERROR, "Something went wrong on our side. Please try again."
        )

    @app.exception_handler(CheckoutError)
    def _domain_error(exc: CheckoutError) -> Response:
        headers: dict[str, str] = {}
        if isinstance(exc, RequestInProgress):
            headers["Retry-After"] = str(max(1, int(exc.retry_after_s)))
        if exc.status >= 500:
            logger.warning("request failed upstream", extra={"error_code": exc.code, "status": exc.status})
        else:
            logger.info("request refused", extra={"error_code": exc.code, "status": exc.status})
        return error_response(exc.status, exc.code, exc.message, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    def _request_invalid(exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        if any(err.get("type") in _MALFORMED_BODY_TYPES for err in errors):
            return error_response(400, codes.MALFORMED_BODY, "The request body is not valid JSON.")
        message, details = describe_validation_errors(errors)
        return error_response(422, codes.VALIDATION_FAILED, message, details=details)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_body(exc: RequestUnsupportedContentType) -> Response:
        return error_response(415, codes.UNSUPPORTED_MEDIA_TYPE, "Send the request body as application/json.")

    @app.exception_handler(pydantic.ValidationError)
    def _model_invalid(exc: pydantic.ValidationError) -> Response:
        message, details = describe_validation_errors(exc.errors(include_input=False, include_url=False))
        return error_response(422, codes.VALIDATION_FAILED, message, details=details)

    @app.exception_handler([UnicodeDecodeError, binascii.Error])
    def _undecodable_body(exc: ValueError) -> Response:
        # API Gateway base64-encodes bodies it considers binary; one that decodes to non-UTF-8 bytes
        # is not a request we can read.
        return error_response(400, codes.MALFORMED_BODY, "The request body is not valid UTF-8 text.")

    @app.exception_handler(json.JSONDecodeError)
    def _malformed_json(exc: json.JSONDecodeError) -> Response:
        return error_response(400, codes.MALFORMED_BODY, "The request body is not valid JSON.")

    @app.exception_handler(NotFoundError)
    def _no_route(exc: NotFoundError) -> Response:
        # Only reachable by invoking a function directly with an event for a route it does not serve.
        return error_response(404, codes.ROUTE_NOT_FOUND, "No such endpoint.")

    @app.exception_handler(ServiceError)
    def _http_error(exc: ServiceError) -> Response:
        # Powertools' own HTTP errors (none of the checkout's routes raise one): the status says which.
        return error_response(exc.status_code, codes.HTTP_ERROR, str(exc.msg))

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # A refusal from I'mport the checkout could not expect (revoked API key, an unknown business
        # error on a lookup) is upstream's fault, not the buyer's and not a bug here.
        if isinstance(exc, IamportError):
            logger.error(
                "I'mport refused a call the request needed",
                extra={
                    "error": type(exc).__name__,
                    "http_status": exc.http_status,
                    "iamport_code": exc.iamport_code,
                    "iamport_message": exc.iamport_message,
                },
            )
            return error_response(
                502,
                codes.PAYMENT_GATEWAY_ERROR,
                "The payment service refused the request. Please try again later.",
            )
        logger.exception("unhandled error while serving the request")
        return error_response(
            500, codes.INTERNAL_ERROR, "Something went wrong on our side. Please try again."
        )

    return app
