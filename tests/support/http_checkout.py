"""The offline stack driven over HTTP: the channels that report a payment, stored state, I'mport."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

from local.cfn import ROOT
from local.stack import SANDBOX_KEY, SANDBOX_SECRET
from sandbox.control import SandboxControl
from tests.support.api import HTTP_TIMEOUT_S, wait_until
from tests.support.stored import StoredState

ARTIFACTS = ROOT / "test-artifacts" / "integration-http"


WORKERS_PER_FUNCTION = 4


class MetricLog:
    """The business metrics the functions emit (CloudWatch EMF lines on stdout), counted by name.

    Tests run one at a time against the stack, so the difference between two readings is one test's.
    """

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def observe(self, line: str) -> None:
        if not line.startswith('{"_aws"'):
            return
        try:
            record = json.loads(line)
            names = [m["Name"] for d in record["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
        except (ValueError, KeyError, TypeError):
            return
        with self._lock:
            for name in names:
                values = record.get(name)
                self._counts[name] += int(sum(values) if isinstance(values, list) else values or 0)

    def reading(self) -> Counter[str]:
        with self._lock:
            return Counter(self._counts)

    def since(self, before: Counter[str], settle_s: float = 0.5) -> Counter[str]:
        """What was counted after `before`. A function's log lines travel on their own pipe, so a
        metric can trail the HTTP reply by a moment: read again until nothing changes for `settle_s`."""
        last = self.reading()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(settle_s)
            now = self.reading()
            if now == last:
                break
            last = now
        return last - before


@dataclass
class Running:
    stack: Any
    metrics: MetricLog


def _warm_up(api_url: str, token_for: Callable[[str], str]) -> None:
    """Start the workers the races will use, so a race measures overlapping payment reports rather
    than Python cold starts. The concurrency ramps up one at a time, so at most one new worker per
    function starts at once (a shared 2-core machine can take over Lambda's 10 s init limit otherwise);
    a worker whose init did time out is simply started again."""
    unknown = f"warm-{uuid.uuid4().hex[:12]}"
    token = token_for(f"warm-{uuid.uuid4().hex[:8]}")
    for concurrency in range(1, WORKERS_PER_FUNCTION + 1):
        for _attempt in range(3):
            calls: list[Callable[[], Reply]] = []
            for _ in range(concurrency):
                calls.append(lambda: browser_completion(api_url, "imp_000000000000", unknown, token))
                calls.append(lambda: webhook_json(api_url, "imp_000000000000", unknown, "paid"))
            replies = race(calls)
            # An unknown order is a 404 to the browser and an acknowledged no-op to I'mport.
            if all(r.status == (404 if r.channel == "browser" else 200) for r in replies):
                break
        else:
            raise RuntimeError(f"the local functions did not start: {replies}")


@dataclass(frozen=True)
class Reply:
    channel: str  # browser | redirect | webhook-json | webhook-form
    status: int
    body: Any  # parsed JSON, or the text when it is not JSON
    location: str | None

    def location_query(self) -> dict[str, str]:
        assert self.location, self
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.location).query))


def _reply(channel: str, response: requests.Response) -> Reply:
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    return Reply(channel, response.status_code, body, response.headers.get("Location"))


def browser_completion(api_url: str, imp_uid: str, merchant_uid: str, token: str | None = None) -> Reply:
    """What the page's IMP.request_pay callback posts, with the signed-in buyer's token."""
    response = requests.post(
        f"{api_url}/payments/complete",
        json={"imp_uid": imp_uid, "merchant_uid": merchant_uid},
        headers={"Authorization": f"Bearer {token}"} if token else {},
        timeout=HTTP_TIMEOUT_S,
    )
    return _reply("browser", response)


def redirect_completion(api_url: str, imp_uid: str, merchant_uid: str) -> Reply:
    """The m_redirect_url hit by a mobile browser; the 302 is read, not followed."""
    response = requests.get(
        f"{api_url}/payments/complete",
        params={"imp_uid": imp_uid, "merchant_uid": merchant_uid, "imp_success": "true"},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT_S,
    )
    return _reply("redirect", response)


def webhook_json(api_url: str, imp_uid: str, merchant_uid: str, status: str) -> Reply:
    response = requests.post(
        f"{api_url}/iamport/webhook",
        json={"imp_uid": imp_uid, "merchant_uid": merchant_uid, "status": status},
        timeout=HTTP_TIMEOUT_S,
    )
    return _reply("webhook-json", response)


def webhook_form(api_url: str, imp_uid: str, merchant_uid: str, status: str) -> Reply:
    """The notification as the PortOne console's "application/x-www-form-urlencoded" setting sends it."""
    response = requests.post(
        f"{api_url}/iamport/webhook",
        data={"imp_uid": imp_uid, "merchant_uid": merchant_uid, "status": status},
        timeout=HTTP_TIMEOUT_S,
    )
    return _reply("webhook-form", response)


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls from as many threads, released together by a barrier; their results in order."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


class HttpState(StoredState):
    """The stack's tables read (and arranged) directly: the ground truth the replies must agree with."""

    def add_product(self, price: int, stock: int) -> str:
        product_id = self.new_product_id()
        self.put_product(product_id, f"상품 {product_id}", price, stock)
        return product_id


class Iamport:
    """The sandbox as I'mport's side of the story: its payments, cancels and webhook deliveries."""

    def __init__(self, url: str) -> None:
        self.control = SandboxControl(url, timeout_s=HTTP_TIMEOUT_S)

    def payment(self, imp_uid: str) -> dict[str, Any]:
        found = [p for p in self.control.payments() if p["imp_uid"] == imp_uid]
        assert len(found) == 1, found
        return found[0]

    def drop_next_webhook_to(self, notice_url: str) -> None:
        """The next notification to `notice_url` is recorded and never sent (a lost webhook)."""
        self.control.add_fault(f"^{re.escape(notice_url)}$", "drop_webhook", count=1)

    def duplicate_next_webhook_to(self, notice_url: str) -> None:
        """The next notification to `notice_url` is sent twice at once (a duplicate delivery)."""
        self.control.add_fault(f"^{re.escape(notice_url)}$", "duplicate_webhook", count=1, delay_s=0)

    def cancel_with_checksum(self, imp_uid: str, amount: int, reason: str) -> dict[str, Any]:
        """A cancel through I'mport's REST API, the way the checkout sends one (the checksum is the
        cancellable balance), with the dev credentials."""
        token = requests.post(
            f"{self.control.url}/users/getToken",
            json={"imp_key": SANDBOX_KEY, "imp_secret": SANDBOX_SECRET},
            timeout=HTTP_TIMEOUT_S,
        ).json()["response"]["access_token"]
        envelope = requests.post(
            f"{self.control.url}/payments/cancel",
            json={"imp_uid": imp_uid, "amount": amount, "checksum": amount, "reason": reason},
            headers={"Authorization": token},
            timeout=HTTP_TIMEOUT_S,
        ).json()
        assert envelope["code"] == 0, envelope
        return envelope["response"]

    def deliveries(self, imp_uid: str, status: str) -> list[dict[str, Any]]:
        return [d for d in self.control.webhooks(imp_uid) if d["status"] == status]

    def wait_for_deliveries(
        self, imp_uid: str, status: str, count: int, timeout_s: float = 30.0
    ) -> list[Any]:
        """The `count` notifications of `status` for the payment, once every one has had its answer."""

        def answered() -> list[Any]:
            found = self.deliveries(imp_uid, status)
            return found if len(found) >= count and all(d["attempts"] for d in found) else []

        return wait_until(answered, timeout_s=timeout_s, interval_s=0.1)
