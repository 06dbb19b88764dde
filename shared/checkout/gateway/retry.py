"""How often and how patiently the gateway retries a transient failure.

Only calls whose repetition cannot move money twice are retried (the gateway decides which; see
`IamportV1Gateway`). Backoff is exponential with full jitter, so the containers that saw the same
I'mport hiccup do not come back in lockstep; the attempt count and a total time budget are bounded so
a request still answers well inside API Gateway's 30 s limit.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Timeouts:
    """Per-request limits in seconds: reaching I'mport, and waiting for its answer."""

    connect_s: float = 3.0
    read_s: float = 10.0

    def as_requests(self, time_left: float | None = None) -> tuple[float, float]:
        """The limits for one request, which together never outlast the time the invocation has left:
        reaching I'mport gets at most a third of it, waiting for the answer the rest. Never zero or less
        (`requests` refuses those); a caller with no time left does not start the call at all."""
        if time_left is None:
            return (self.connect_s, self.read_s)
        left = max(time_left, 0.01)
        connect = min(self.connect_s, left / 3)
        return (connect, max(min(self.read_s, left - connect), 0.01))

    def total_s(self, time_left: float | None = None) -> float:
        """The whole request, answer included (a server that trickles its answer byte by byte never
        trips the per-read timeout): connect plus read, and never past the invocation's deadline."""
        connect, read = self.as_requests(time_left)
        return connect + read


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # including the first one
    base_delay_s: float = 0.2
    max_delay_s: float = 2.0
    # No retry starts once this much time has passed since the first attempt.
    budget_s: float = 20.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def delay_before(self, retry_number: int) -> float:
        """Sleep before the `retry_number`-th retry (1-based): uniform in [0, min(max, base * 2^(n-1))]."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** (retry_number - 1)))
        return random.uniform(0, ceiling)

    def may_retry(self, attempt: int, started_at: float) -> bool:
        """After `attempt` attempts (1-based) that began at `started_at`, is another one allowed?"""
        return attempt < self.attempts and self.clock() - started_at < self.budget_s
