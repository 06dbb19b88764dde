"""Injected faults: failing or slow API replies, lost or repeated webhooks, tokens that die early.

A fault matches by regular expression (re.search) against the request path for the HTTP kinds and
against the target URL for the webhook kinds, and fires `count` times.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field

HTTP_KINDS = ("http_500", "timeout", "expire_token")
WEBHOOK_KINDS = ("drop_webhook", "duplicate_webhook", "delay_webhook")
KINDS = HTTP_KINDS + WEBHOOK_KINDS
DEFAULT_TIMEOUT_DELAY_S = 35.0  # longer than any sane client read timeout
DEFAULT_WEBHOOK_DELAY_S = 2.0  # long enough for the next notification of a payment to overtake it


@dataclass
class Fault:
    id: int
    route: str
    kind: str
    count: int
    delay_s: float
    pattern: re.Pattern = field(repr=False)
    fired: int = 0

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "route": self.route,
            "kind": self.kind,
            "count": self.count,
            "delay_s": self.delay_s,
            "fired": self.fired,
        }


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, route: object, kind: object, count: object = 1, delay_s: object = None) -> Fault:
        if not isinstance(route, str) or not route:
            raise ValueError("route must be a regular expression string")
        try:
            pattern = re.compile(route)
        except re.error as exc:
            raise ValueError(f"route is not a valid regular expression: {exc}") from exc
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 1000:
            raise ValueError("count must be an integer from 1 to 1000")
        if delay_s is None:
            delay_s = {"timeout": DEFAULT_TIMEOUT_DELAY_S, "delay_webhook": DEFAULT_WEBHOOK_DELAY_S}.get(
                str(kind), 0.0
            )
        if isinstance(delay_s, bool) or not isinstance(delay_s, int | float) or not 0 <= delay_s <= 600:
            raise ValueError("delay_s must be a number of seconds from 0 to 600")
        with self._lock:
            fault = Fault(next(self._ids), route, str(kind), count, float(delay_s), pattern)
            self._faults.append(fault)
        return fault

    def take(self, target: str, kinds: tuple[str, ...]) -> Fault | None:
        """The first live fault of one of `kinds` matching `target`, used up by one."""
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.fired < fault.count and fault.pattern.search(target):
                    fault.fired += 1
                    return fault
        return None

    def list(self) -> list[dict]:
        with self._lock:
            return [f.to_dict() for f in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
