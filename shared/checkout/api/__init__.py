"""The HTTP edge of the checkout: resolver and error mapping, caller identity, request bodies.

Handlers take Powertools' HTTP pieces (`Response`, `Body`, `Path`, `Query`) from here, never from
`aws_lambda_powertools.event_handler` itself: importing that package whole costs every cold start its
other resolvers (checkout.api.powertools)."""

from checkout.api.auth import (
    group_names,
    is_admin,
    jwt_claims,
    require_actor,
    require_user_id,
    webhook_source_allowed,
)
from checkout.api.described import IdempotencyKeyHeader, route_responses
from checkout.api.headers import checked_idempotency_key, header, idempotency_key
from checkout.api.payloads import form_or_json_fields
from checkout.api.powertools import Body, Path, Query, Response
from checkout.api.resolver import CheckoutResolver, Refusal, build_resolver
from checkout.api.responses import error_body, error_response, json_response, redirect

__all__ = [
    "Body",
    "CheckoutResolver",
    "IdempotencyKeyHeader",
    "Refusal",
    "Path",
    "Query",
    "Response",
    "build_resolver",
    "checked_idempotency_key",
    "route_responses",
    "error_body",
    "error_response",
    "form_or_json_fields",
    "group_names",
    "header",
    "idempotency_key",
    "is_admin",
    "json_response",
    "jwt_claims",
    "redirect",
    "require_actor",
    "require_user_id",
    "webhook_source_allowed",
]
