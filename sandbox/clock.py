"""The sandbox's clock: real time plus an offset tests can move forward.

Token expiry (30 minutes) and virtual-account due dates are measured against this clock, so a test
can jump past them without sleeping.
"""

from __future__ import annotations

import math
import threading
import time

# Far enough for any token, due date or expiry test; far less than what breaks datetime (year 9999).
MAX_OFFSET_S = 100 * 366 * 24 * 3600


class Clock:
    def __init__(self) -> None:
        self._offset_s = 0.0
        self._lock = threading.Lock()

    def now(self) -> int:
        """Unix seconds, as every timestamp in the I'mport API."""
        return int(self.now_float())

    def now_float(self) -> float:
        with self._lock:
            return time.time() + self._offset_s

    @property
    def offset_s(self) -> float:
        with self._lock:
            return self._offset_s

    def advance(self, seconds: float) -> int:
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the sandbox clock only moves forward (advance_s must be >= 0)")
        with self._lock:
            if self._offset_s + seconds > MAX_OFFSET_S:
                raise ValueError(f"the sandbox clock moves at most {MAX_OFFSET_S} s (100 years) ahead")
            self._offset_s += seconds
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset_s = 0.0
