"""The shapes of the API's replies: the error body every client relies on, and the redirect."""

from __future__ import annotations

from typing import Any

from checkout.api.powertools import Response, content_types


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """`{"error": {"code", "message"}}`: the one error shape of the checkout API (docs/design.md#api)."""
    return {"error": {"code": code, "message": message, **extra}}


def error_response(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=error_body(code, message, **extra),
        headers=headers,
    )


def json_response(status: int, body: Any, *, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


def redirect(location: str) -> Response:
    # 302 rather than 303: the m_redirect_url arrives as a GET, and every browser follows a 302 with GET.
    return Response(
        status_code=302,
        content_type=content_types.TEXT_PLAIN,
        body="",
        headers={"Location": location, "Cache-Control": "no-store"},
    )
