"""Helpers for the sandbox's behaviour tests: a REST client and a webhook receiver.

The `sandbox` fixture itself comes from the plugin `sandbox.pytest_plugin` (declared in tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.imp_api import (
    ImpApi,
    WebhookReceiver,
    running_receiver,
)


@pytest.fixture
def api(sandbox: Any) -> Iterator[ImpApi]:
    client = ImpApi(sandbox.url, sandbox.imp_key, sandbox.imp_secret)
    yield client
    client.http.close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """The merchant's webhook endpoint, on a free port."""
    with running_receiver() as hook:
        yield hook


@pytest.fixture
def second_receiver() -> Iterator[WebhookReceiver]:
    with running_receiver() as hook:
        yield hook
