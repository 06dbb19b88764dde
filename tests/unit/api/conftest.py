"""The environment every checkout function gets from the template, set for each API test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Powertools reads these when checkout.observability is first imported; X-Ray has no daemon here.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Checkout")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "checkout")

FUNCTION_ENV = {
    "PRODUCTS_TABLE": "checkout-products",
    "CARTS_TABLE": "checkout-carts",
    "ORDERS_TABLE": "checkout-orders",
    "POINTS_TABLE": "checkout-points",
    "IDEMPOTENCY_TABLE": "checkout-idempotency",
    "AWS_REGION": "ap-northeast-2",
    "AWS_DEFAULT_REGION": "ap-northeast-2",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "PUBLIC_API_URL": "https://api.example.test",
    "SITE_URL": "https://shop.example.test",
    "SITE_ORIGIN": "https://shop.example.test",
    "IAMPORT_BASE_URL": "http://127.0.0.1:9",
    "IAMPORT_API_KEY": "sandbox-key",
    "IAMPORT_API_SECRET": "sandbox-secret",
    "WEBHOOK_ALLOWED_IPS": "52.78.100.19,52.78.48.223,52.78.5.241",
    "ADMIN_GROUP": "admin",
    "ADMIN_GROUPS_CLAIM": "cognito:groups",
    "POWERTOOLS_METRICS_NAMESPACE": "Checkout",
    "POWERTOOLS_SERVICE_NAME": "checkout",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


@pytest.fixture(autouse=True)
def function_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    from checkout.config import load_settings

    for key in ("DYNAMODB_ENDPOINT", "IAMPORT_API_KEY_PARAM", "IAMPORT_API_SECRET_PARAM"):
        monkeypatch.delenv(key, raising=False)
    for key, value in FUNCTION_ENV.items():
        monkeypatch.setenv(key, value)
    load_settings.cache_clear()
    yield dict(FUNCTION_ENV)
    load_settings.cache_clear()
