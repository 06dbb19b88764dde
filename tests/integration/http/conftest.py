"""The whole offline stack over real HTTP: the local API Gateway running every function in its own warm
worker processes (up to 4 per function, so requests really overlap), DynamoDB Local and the I'mport
sandbox. The facts are read where they live: the tables (boto3) and the sandbox's control API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.api import Buyer, new_buyer
from tests.support.http_checkout import (
    ARTIFACTS,
    WORKERS_PER_FUNCTION,
    HttpState,
    Iamport,
    MetricLog,
    Running,
    _warm_up,
)
from tests.support.stack import logged_stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def running() -> Iterator[Running]:
    metrics = MetricLog()
    with logged_stack(
        ARTIFACTS, lambda _function_id, line: metrics.observe(line), max_environments=WORKERS_PER_FUNCTION
    ) as stack:
        _warm_up(stack.api_url, stack.token_for)
        yield Running(stack, metrics)


@pytest.fixture
def stack(running: Running) -> Any:
    return running.stack


@pytest.fixture
def metrics(running: Running) -> MetricLog:
    return running.metrics


@pytest.fixture
def buyer(stack: Any) -> Buyer:
    return new_buyer(stack, "http-buyer")


@pytest.fixture
def stored(stack: Any) -> HttpState:
    return HttpState(stack, id_prefix="http")


@pytest.fixture
def iamport(stack: Any) -> Iterator[Iamport]:
    sandbox = Iamport(stack.sandbox_url)
    yield sandbox
    sandbox.control.clear_faults()  # one test's unused fault must not drop another test's webhook
