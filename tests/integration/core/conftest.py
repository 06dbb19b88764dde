"""The checkout core on the real engines: DynamoDB Local (fresh tables per test) and the I'mport sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from checkout.config import Settings
from checkout.gateway import Credentials, IamportV1Gateway, RetryPolicy
from checkout.store import build_store
from checkout.wiring import build_checkout
from local.dynamodb import DynamoDBLocal
from local.tables import table_env
from tests.support.shop import (
    Clock,
    Shop,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(dynamodb_local: DynamoDBLocal, checkout_tables: dict[str, str], sandbox: Any) -> Settings:
    env = {
        **table_env(checkout_tables),
        "DYNAMODB_ENDPOINT": dynamodb_local.endpoint,
        "IAMPORT_BASE_URL": sandbox.url,
        "IAMPORT_API_KEY": sandbox.imp_key,
        "IAMPORT_API_SECRET": sandbox.imp_secret,
        "PUBLIC_API_URL": "https://api.shop.test",
        "SITE_URL": "https://shop.test",
    }
    return Settings.from_env(env)


@pytest.fixture
def shop(settings: Settings, sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    metrics: list[str] = []
    monkeypatch.setattr(
        "checkout.observability.metrics.add_metric",
        lambda name, unit=None, value=1, **_: metrics.extend([name] * int(value)),
    )
    store = build_store(settings)
    gateway = IamportV1Gateway(
        Credentials(sandbox.imp_key, sandbox.imp_secret),
        base_url=sandbox.url,
        retry=RetryPolicy(attempts=2, base_delay_s=0.01),
    )
    clock = Clock()
    checkout = build_checkout(settings, store=store, gateway=gateway, clock=clock)
    yield Shop(checkout, store, settings, gateway, sandbox, clock, metrics)
    gateway.close()
