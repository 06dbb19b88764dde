"""Fixtures for the gateway unit tests: the scripted I'mport stand-in and a gateway pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from checkout.gateway import Credentials, IamportV1Gateway, RetryPolicy, Timeouts
from tests.support.fake_iamport import KEY, SECRET, FakeIamport, payment_json, serve


@pytest.fixture
def fake_iamport() -> Iterator[FakeIamport]:
    fake = FakeIamport()
    server = serve(fake)
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Sleeps:
    delays: list[float] = field(default_factory=list)

    def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_gateway(fake_iamport: FakeIamport, sleeps: Sleeps) -> Iterator[Callable[..., IamportV1Gateway]]:
    made: list[IamportV1Gateway] = []

    def make(**overrides: Any) -> IamportV1Gateway:
        options: dict[str, Any] = {
            "base_url": fake_iamport.url,
            "timeouts": Timeouts(connect_s=1.0, read_s=0.5),
            "retry": RetryPolicy(attempts=3, sleep=sleeps),
            "pool_size": 25,
        }
        options.update(overrides)
        gateway = IamportV1Gateway(Credentials(KEY, SECRET), **options)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


@pytest.fixture
def payment_sample() -> Callable[..., dict[str, Any]]:
    return payment_json
