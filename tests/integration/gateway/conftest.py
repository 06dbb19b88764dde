"""The gateway against the I'mport sandbox (the `sandbox` fixture comes from `sandbox.pytest_plugin`,
declared in tests/conftest.py: pytest refuses `pytest_plugins` in nested conftest files).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from checkout.gateway import Credentials, IamportV1Gateway, RetryPolicy, Timeouts


class ManualClock:
    """The gateway's local clock for token refreshes, moved together with the sandbox's clock."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@dataclass
class Exchange:
    method: str
    path: str
    status: int | None


class RecordingSession(requests.Session):
    """A plain requests.Session that remembers what went over the wire (paths and statuses only)."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.exchanges: list[Exchange] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        path = str(url).removeprefix(self.base_url)
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException:
            self.exchanges.append(Exchange(str(method), path, None))
            raise
        self.exchanges.append(Exchange(str(method), path, response.status_code))
        return response

    def seen(self, method: str, path: str) -> list[int | None]:
        return [e.status for e in self.exchanges if e.method == method and e.path == path]


@dataclass
class Harness:
    sandbox: Any
    gateway: IamportV1Gateway
    session: RecordingSession
    clock: ManualClock
    counter: list[int] = field(default_factory=lambda: [0])

    def control_raw(self, method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return requests.request(method, f"{self.sandbox.url}{path}", json=body, timeout=10)

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        reply = self.control_raw(method, path, body)
        assert reply.status_code == 200, reply.text
        return reply.json()["response"]

    def merchant_uid(self) -> str:
        self.counter[0] += 1
        return f"order-gw-{self.counter[0]:04d}"

    def pay(self, amount: int, outcome: str = "paid", merchant_uid: str | None = None) -> dict[str, Any]:
        """A buyer goes through the payment window with this outcome; the sandbox's payment record."""
        body = {
            "merchant_uid": merchant_uid or self.merchant_uid(),
            "amount": amount,
            "outcome": outcome,
            "name": "Coffee beans",
        }
        return self.control("POST", "/sandbox/payments", body)

    def fault(self, route: str, kind: str, count: int = 1, delay_s: float | None = None) -> None:
        body: dict[str, Any] = {"route": route, "kind": kind, "count": count}
        if delay_s is not None:
            body["delay_s"] = delay_s
        self.control("POST", "/sandbox/faults", body)

    def advance(self, seconds: int) -> None:
        """Time passes for both the sandbox and the gateway's container."""
        self.control("POST", "/sandbox/clock", {"advance_s": seconds})
        self.clock.t += seconds

    def token_calls(self) -> int:
        return len(self.session.seen("POST", "/users/getToken"))


@pytest.fixture
def iamport(sandbox: Any) -> Iterator[Harness]:
    session = RecordingSession(sandbox.url)
    clock = ManualClock()
    gateway = IamportV1Gateway(
        Credentials(sandbox.imp_key, sandbox.imp_secret),
        base_url=sandbox.url,
        timeouts=Timeouts(connect_s=2.0, read_s=1.0),
        retry=RetryPolicy(attempts=3, base_delay_s=0.05, max_delay_s=0.2),
        session=session,
        clock=clock,
    )
    try:
        yield Harness(sandbox, gateway, session, clock)
    finally:
        gateway.close()
