"""The current invocation's deadline: every I'mport call (and its retries) must answer before it.

The resolver, the sweeper and the audit set it from what the Lambda context has left
(`deadline_in`); the gateway reads it (`time_left_s`). Its own module, with nothing heavy beside it,
because every handler imports it at cold start (docs/architecture.md#cold-start).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar

# When the current invocation must have its answer (time.monotonic()), or None: every I'mport call and
# retry fits inside it, so a request that talks to I'mport several times (read, cancel, read again)
# still answers before the function's own timeout instead of being killed mid-way.
_deadline: ContextVar[float | None] = ContextVar("iamport_deadline", default=None)
# Kept back for the work after the last I'mport answer (the order's write, the reply).
DEADLINE_RESERVE_S = 2.0


@contextlib.contextmanager
def deadline_in(seconds: float | None) -> Iterator[None]:
    """Within this block, I'mport calls must finish `seconds` from now (less the reserve)."""
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds - DEADLINE_RESERVE_S)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left_s() -> float | None:
    """Seconds left before the current invocation's deadline, None when it has none."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()
