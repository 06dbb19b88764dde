"""Webhook delivery (docs/iamport-v1.md#webhooks): background threads, timeouts, modes, and a record of every
attempt.

The API response path never waits on a delivery, except in the `webhook_first` order where the
payment window's reply waits for the first attempt, as PortOne's "webhook first" option does.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.clock import Clock
from sandbox.config import WEBHOOK_CONTENT_TYPES, Settings
from sandbox.faults import Faults


@dataclass
class Delivery:
    id: str
    event: str
    url: str | None
    content_type: str
    body: dict
    created_at: int
    copy: int = 1
    state: str = "pending"  # pending, held, delivered, failed, dropped, no_url, cancelled
    attempts: list[dict] = field(default_factory=list)
    first_attempt_done: threading.Event = field(default_factory=threading.Event, repr=False)
    hold: threading.Event = field(default_factory=threading.Event, repr=False)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "event": self.event,
            "url": self.url,
            "content_type": self.content_type,
            "body": self.body,
            "imp_uid": self.body.get("imp_uid"),
            "merchant_uid": self.body.get("merchant_uid"),
            "status": self.body.get("status"),
            "created_at": self.created_at,
            "copy": self.copy,
            "state": self.state,
            "attempts": list(self.attempts),
            "status_code": self.attempts[-1]["status_code"] if self.attempts else None,
        }


@dataclass
class _Plan:
    tries: int
    interval_s: float
    delay_s: float
    timeouts: tuple[float, float]  # (connect, read) of the first try
    retry_timeout_s: float
    hold_s: float | None


class WebhookDispatcher:
    def __init__(self, settings: Callable[[], Settings], faults: Faults, clock: Clock) -> None:
        self._settings = settings
        self._faults = faults
        self._clock = clock
        self._lock = threading.Lock()
        self._deliveries: list[Delivery] = []
        self._ids = itertools.count(1)
        self._cancelled = threading.Event()  # set on reset/stop: pending deliveries give up

    def notify(
        self,
        *,
        event: str,
        url: str | None,
        imp_uid: str,
        merchant_uid: str,
        status: str,
        cancellation_id: str | None = None,
        held: bool = False,
    ) -> list[Delivery]:
        settings = self._settings()
        body = {"imp_uid": imp_uid, "merchant_uid": merchant_uid, "status": status}
        if cancellation_id is not None:
            body["cancellation_id"] = cancellation_id
        copies, gap_s, dropped = settings.webhook_copies, 0.0, settings.webhook_drop
        held_back_s = 0.0
        if url is not None:
            if self._faults.take(url, ("drop_webhook",)):
                dropped = True
            duplicate = self._faults.take(url, ("duplicate_webhook",))
            if duplicate:
                copies, gap_s = copies + 1, duplicate.delay_s
            # Out-of-order delivery: this notification waits, so the payment's next one overtakes it.
            delayed = self._faults.take(url, ("delay_webhook",))
            if delayed:
                held_back_s = delayed.delay_s
        plan = _Plan(
            tries=settings.webhook_retry_tries if settings.webhook_retry else 1,
            interval_s=settings.webhook_retry_interval_s,
            delay_s=settings.webhook_delay_s,
            timeouts=(settings.webhook_connect_timeout_s, settings.webhook_read_timeout_s),
            retry_timeout_s=settings.webhook_resend_timeout_s,
            hold_s=settings.webhook_hold_s if held else None,
        )
        deliveries = []
        for copy in range(1, copies + 1):
            delivery = self._record(event, url, settings.webhook_content_type, body, copy)
            if url is None:
                delivery.state = "no_url"
            elif dropped:
                delivery.state = "dropped"
            else:
                self._start(delivery, plan, extra_delay_s=held_back_s + gap_s * (copy - 1))
            deliveries.append(delivery)
        return deliveries

    def resend(self, delivery_id: str | None = None, imp_uid: str | None = None) -> Delivery:
        """Manual resend from the console: same body, same URL as the original delivery."""
        with self._lock:
            candidates = [
                d
                for d in self._deliveries
                if (delivery_id and d.id == delivery_id)
                or (not delivery_id and imp_uid and d.body.get("imp_uid") == imp_uid)
            ]
        if not candidates:
            raise LookupError("no webhook delivery to resend")
        original = candidates[-1]
        if original.url is None:
            raise LookupError("the original delivery had no webhook URL")
        settings = self._settings()
        delivery = self._record("resend", original.url, original.content_type, dict(original.body), 1)
        timeout = settings.webhook_resend_timeout_s
        self._start(delivery, _Plan(1, 0.0, 0.0, (timeout, timeout), timeout, None), 0.0)
        return delivery

    def release(self, imp_uid: str) -> int:
        """Let held (`browser_first`) deliveries of a payment go."""
        with self._lock:
            held = [d for d in self._deliveries if d.state == "held" and d.body.get("imp_uid") == imp_uid]
        for delivery in held:
            delivery.hold.set()
        return len(held)

    @staticmethod
    def wait_first_attempts(deliveries: list[Delivery], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for delivery in deliveries:
            if delivery.state in ("pending", "held"):
                delivery.first_attempt_done.wait(max(0.0, deadline - time.monotonic()))

    def records(self, imp_uid: str | None = None) -> list[dict]:
        with self._lock:
            found = [d for d in self._deliveries if imp_uid is None or d.body.get("imp_uid") == imp_uid]
            return [d.to_dict() for d in found]

    def reset(self) -> None:
        with self._lock:
            self._cancelled.set()
            self._cancelled = threading.Event()
            for delivery in self._deliveries:
                delivery.hold.set()
            self._deliveries = []

    def _record(self, event: str, url: str | None, content_type: str, body: dict, copy: int) -> Delivery:
        delivery = Delivery(f"wh_{next(self._ids)}", event, url, content_type, body, self._clock.now(), copy)
        with self._lock:
            self._deliveries.append(delivery)
        return delivery

    def _start(self, delivery: Delivery, plan: _Plan, extra_delay_s: float) -> None:
        if plan.hold_s is not None:
            delivery.state = "held"
        with self._lock:
            cancelled = self._cancelled
        thread = threading.Thread(
            target=self._run,
            args=(delivery, plan, extra_delay_s, cancelled),
            name=f"webhook-{delivery.id}",
            daemon=True,
        )
        thread.start()

    def _run(self, delivery: Delivery, plan: _Plan, extra_delay_s: float, cancelled: threading.Event) -> None:
        try:
            if plan.hold_s is not None:
                delivery.hold.wait(plan.hold_s)
                delivery.state = "pending"
            if cancelled.wait(plan.delay_s + extra_delay_s):
                delivery.state = "cancelled"
                return
            for attempt in range(1, plan.tries + 1):
                timeouts = plan.timeouts if attempt == 1 else (plan.retry_timeout_s, plan.retry_timeout_s)
                status_code, error = self._post(delivery, timeouts)
                delivery.attempts.append(
                    {"attempt": attempt, "at": self._clock.now(), "status_code": status_code, "error": error}
                )
                delivery.first_attempt_done.set()
                if status_code is not None and 200 <= status_code < 300:
                    delivery.state = "delivered"
                    return
                # Never retry a 4xx (docs/iamport-v1.md#webhooks).
                retryable = status_code is None or status_code >= 500
                if not retryable or attempt == plan.tries:
                    delivery.state = "failed"
                    return
                if cancelled.wait(plan.interval_s):
                    delivery.state = "cancelled"
                    return
        finally:
            delivery.first_attempt_done.set()

    def _post(self, delivery: Delivery, timeouts: tuple[float, float]) -> tuple[int | None, str | None]:
        assert delivery.url is not None
        target = urllib.parse.urlsplit(delivery.url)
        if delivery.content_type == "form":
            payload = urllib.parse.urlencode(delivery.body).encode()
        else:
            payload = json.dumps(delivery.body).encode()
        connection_class = (
            http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
        )
        connect_timeout, read_timeout = timeouts
        connection = connection_class(target.hostname or "127.0.0.1", target.port, timeout=connect_timeout)
        path = (target.path or "/") + (f"?{target.query}" if target.query else "")
        try:
            connection.connect()
            if connection.sock is not None:
                connection.sock.settimeout(read_timeout)
            connection.request(
                "POST",
                path,
                body=payload,
                headers={
                    "Content-Type": WEBHOOK_CONTENT_TYPES[delivery.content_type],
                    "User-Agent": "iamport-sandbox-webhook",
                },
            )
            response = connection.getresponse()
            response.read()
            return response.status, None
        except (OSError, http.client.HTTPException) as exc:
            return None, f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
