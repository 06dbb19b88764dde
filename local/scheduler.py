"""EventBridge schedules offline: each scheduled function is invoked on its rate, or at the time of day
of a daily cron expression, with the scheduled-event envelope EventBridge sends (or the event's `Input`).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from local.intrinsics import ACCOUNT_ID
from local.lambdas import FunctionRuntime, InvocationFailed
from local.samapp import Schedule

log = logging.getLogger("local.scheduler")


def scheduled_event(schedule: Schedule, region: str, now: datetime | None = None) -> Any:
    if schedule.input is not None:
        return json.loads(schedule.input) if isinstance(schedule.input, str) else schedule.input
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": when,
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{schedule.rule_name}"],
        "detail": {},
    }


_DAILY_CRON = re.compile(r"\s*cron\(\s*(\d{1,2})\s+(\d{1,2})\s+[*?]\s+\*\s+[*?]\s+\*\s*\)\s*")


def daily_time(expression: str) -> tuple[int, int] | None:
    """(hour, minute) in UTC of a cron expression that fires once a day at a fixed time
    (`cron(0 18 * * ? *)`), else None."""
    m = _DAILY_CRON.fullmatch(expression)
    if not m:
        return None
    minute, hour = int(m.group(1)), int(m.group(2))
    return (hour, minute) if hour < 24 and minute < 60 else None


def seconds_until(hour: int, minute: int, now: datetime | None = None) -> float:
    """Seconds from `now` to the next hour:minute UTC (a full day when it is that time right now)."""
    now = now or datetime.now(UTC)
    at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if at <= now:
        at += timedelta(days=1)
    return (at - now).total_seconds()


class Scheduler:
    """One timer thread per enabled schedule. Rates repeat (`interval_override_s` replaces every rate,
    e.g. 10 s); a daily cron fires at its time of day (UTC). Other cron expressions do not run offline.
    """

    def __init__(
        self,
        schedules: list[Schedule],
        runtime: FunctionRuntime,
        region: str,
        interval_override_s: float | None = None,
    ) -> None:
        self._runtime = runtime
        self._region = region
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.plan: list[tuple[Schedule, float]] = []  # rates: (schedule, seconds between runs)
        self.daily: list[tuple[Schedule, tuple[int, int]]] = []  # daily crons: (schedule, (hour, minute))
        for schedule in schedules:
            if not schedule.enabled:
                continue
            rate = schedule.rate_seconds
            if rate is not None:
                self.plan.append((schedule, float(interval_override_s or rate)))
                continue
            daily = daily_time(schedule.expression)
            if daily is None:
                log.warning(
                    "%s: %s does not run offline (only rates and daily cron times do)",
                    schedule.function_id,
                    schedule.expression,
                )
                continue
            self.daily.append((schedule, daily))

    def describe(self) -> list[str]:
        """What runs when, one phrase per schedule (for the `make run` banner)."""
        rates = [f"{s.function_id} every {interval:g}s" for s, interval in self.plan]
        return rates + [f"{s.function_id} daily at {h:02d}:{m:02d} UTC" for s, (h, m) in self.daily]

    def start(self) -> None:
        for schedule, interval in self.plan:
            self._spawn(schedule, self._loop, interval)
        for schedule, at in self.daily:
            self._spawn(schedule, self._daily_loop, at)

    def _spawn(self, schedule: Schedule, loop: Callable[[Schedule, Any], None], when: Any) -> None:
        thread = threading.Thread(
            target=loop, args=(schedule, when), daemon=True, name=f"schedule-{schedule.function_id}"
        )
        thread.start()
        self._threads.append(thread)

    def _loop(self, schedule: Schedule, interval: float) -> None:
        while not self._stop.wait(interval):
            self.fire(schedule)

    def _daily_loop(self, schedule: Schedule, at: tuple[int, int]) -> None:
        while not self._stop.wait(seconds_until(*at)):
            self.fire(schedule)

    def fire(self, schedule: Schedule) -> Any:
        try:
            out = self._runtime.invoke(schedule.function_id, scheduled_event(schedule, self._region))
            log.info("%s ran on schedule in %.0f ms", schedule.function_id, out.duration_ms)
            return out.result
        except InvocationFailed as exc:
            # EventBridge would retry; the next tick does the same job here.
            log.warning("%s failed on schedule: %s", schedule.function_id, exc)
            return None

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
