"""EventBridge schedules offline: each scheduled function is invoked on its rate with the scheduled-event
envelope EventBridge sends (or the event's `Input`)."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import UTC, datetime
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


class Scheduler:
    """One timer thread per enabled schedule; `interval_override_s` replaces every rate (e.g. 10 s)."""

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
        self.plan: list[tuple[Schedule, float]] = []
        for schedule in schedules:
            if not schedule.enabled:
                continue
            interval = interval_override_s or schedule.rate_seconds
            if interval is None:
                log.warning(
                    "%s: %s is not a rate; set SWEEP_INTERVAL_S to run it offline",
                    schedule.function_id,
                    schedule.expression,
                )
                continue
            self.plan.append((schedule, float(interval)))

    def start(self) -> None:
        for schedule, interval in self.plan:
            thread = threading.Thread(
                target=self._loop,
                args=(schedule, interval),
                daemon=True,
                name=f"schedule-{schedule.function_id}",
            )
            thread.start()
            self._threads.append(thread)

    def _loop(self, schedule: Schedule, interval: float) -> None:
        while not self._stop.wait(interval):
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
