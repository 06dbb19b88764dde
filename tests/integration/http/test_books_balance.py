"""Books balance: a randomized shop day through real HTTP, then an audit of every order against I'mport.

A few dozen buyers act at once on the offline stack (warm workers, DynamoDB Local, the I'mport sandbox):
each fills a cart, places an order (card or virtual account, sometimes with points) and lives one random
story: paid and reported by any mix of the browser callback, the mobile redirect and (duplicated or
lost) webhooks, or never reported at all; a forged amount; two paid payments for one order; a declined
or abandoned window; a virtual account issued and (maybe) deposited; console cancels, full and partial,
their webhooks sometimes lost; buyer refunds, full and per line, racing each other or a console cancel.
I'mport faults (5xx on lookups, cancels and prepares; dropped and duplicated webhooks) are injected
along the way. No `timeout` faults: the gateway waits 10 s for I'mport (`checkout.gateway.retry.Timeouts`,
which no setting of the stack changes), so a reply held the 6-8 s this test can afford would only be slow.

Then everything settles the way production settles it: the sweeper on its schedule (2, 5, 15, 30
minutes after creation; run from the test with the checkout's clock moved forward, against the stack's
own tables and sandbox, since the stack's scheduled function always runs on the real clock) and
I'mport's console resending every payment's webhook. Then, for every order, I'mport's record is the
truth the books must match: cash, cancel history, stock, points and states.

`BOOKS_SEED=<n>` replays a day (the choices are the seed's; thread timing is not).
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
import traceback
import urllib.parse
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from boto3.dynamodb.conditions import Attr, Key

from sandbox.control import SandboxControl, SandboxControlError
from tests.support.api import BUYER, HTTP_TIMEOUT_S, Buyer, new_buyer, wait_until
from tests.support.http_checkout import ARTIFACTS, HttpState, Iamport, race

pytestmark = pytest.mark.integration

DEFAULT_SEED = 20_240_917
CONCURRENCY = 7
PRODUCT_PRICES = (1_200, 3_500, 8_900, 12_000, 15_800, 27_000)
INITIAL_STOCK = 150
REFUND_ACCOUNT = {"holder": "홍길동", "bank": "004", "number": "123456-01-234567"}
# A 5xx from the API is a failure, except these two: I'mport unreachable (502), and busy / a dependency
# down (503, with Retry-After). Both are the documented "try again" answers.
RETRYABLE_5XX = (502, 503)
# 409s that mean "the same thing is moving right now: ask again" (the others are final answers).
RETRY_CODES = ("request_in_progress", "order_changed", "cart_changed", "refund_rejected")
PAID_LIKE = ("paid", "partially_cancelled", "cancelled")
OPEN = ("ready", "awaiting_deposit")

# story -> weight
STORIES: dict[str, int] = {
    "pay": 5,
    "refund_full": 2,
    "refund_lines": 2,
    "refund_race": 2,
    "refund_vs_console": 2,
    "console_full": 2,
    "console_partial": 2,
    "forged": 2,
    "pay_twice": 2,
    "fail": 1,
    "fail_then_pay": 1,
    "abandon": 1,
    "vbank": 2,
    "vbank_refund": 1,
    "vbank_then_card": 1,
    "points_only": 1,
}
VBANK_STORIES = ("vbank", "vbank_refund", "vbank_then_card")


# -- what happened during the day ------------------------------------------------------------------


class Journal:
    """Every API answer (by channel and status), every injected fault, and each order's story."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.replies: Counter[tuple[str, int]] = Counter()
        self.failures: list[str] = []
        self.faults: Counter[str] = Counter()
        self.stories: dict[str, list[str]] = defaultdict(list)
        self.merchant_uids: set[str] = set()

    def note(self, merchant_uid: str | None, text: str) -> None:
        with self._lock:
            self.stories[merchant_uid or "-"].append(text)

    def fault(self, merchant_uid: str | None, kind: str, detail: str) -> None:
        with self._lock:
            self.faults[kind] += 1
        self.note(merchant_uid, f"fault {kind} {detail}")

    def fail(self, text: str) -> None:
        with self._lock:
            self.failures.append(text)

    def answer(self, merchant_uid: str | None, channel: str, response: requests.Response) -> None:
        status = response.status_code
        with self._lock:
            self.replies[(channel, status)] += 1
        location = response.headers.get("Location") or ""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        shown = query.get("status") or query.get("error") or _short(response)
        self.note(merchant_uid, f"{channel} -> {status} {shown}")
        if status >= 500 and status not in RETRYABLE_5XX:
            self.fail(f"{merchant_uid}: {channel} answered {status}: {response.text[:300]}")
        if query.get("error") == "internal_error":
            self.fail(f"{merchant_uid}: {channel} redirected with internal_error")


def _short(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:80]
    if isinstance(body, dict):
        if "error" in body and isinstance(body["error"], dict):
            return str(body["error"].get("code"))
        if "order" in body and isinstance(body["order"], dict):
            return str(body["order"].get("status"))
        if "order_status" in body:
            return str(body["order_status"])
        if "status" in body:
            return f"{body.get('status')} {body.get('reason', '')}".strip()
    return ""


# -- the buyer's side: the API and the payment window -----------------------------------------------


@dataclass
class Shopper:
    index: int
    story: str
    rng: random.Random
    buyer: Buyer
    token: str
    granted: int = 0
    merchant_uid: str | None = None
    order: dict[str, Any] = field(default_factory=dict)
    payment: dict[str, Any] = field(default_factory=dict)

    @property
    def notice_url(self) -> str:
        """The order's notice_url, tagged with the merchant_uid so a fault can target its webhooks only
        (I'mport posts to the URL as given, query included; the API routes on the path)."""
        return f"{self.payment['notice_url']}?books={self.merchant_uid}"


class Day:
    """One shop day: the API, the sandbox, the journal, and the stories."""

    def __init__(self, stack: Any, iamport: Iamport, stored: HttpState, journal: Journal) -> None:
        self.api_url = stack.api_url
        self.control: SandboxControl = iamport.control
        self.stored = stored
        self.journal = journal

    # -- HTTP ----------------------------------------------------------------------------------------

    def send(
        self,
        merchant_uid: str | None,
        channel: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        data: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        try:
            response = requests.request(
                method,
                f"{self.api_url}{path}",
                json=body,
                data=data,
                params=params,
                headers=all_headers,
                allow_redirects=False,
                timeout=HTTP_TIMEOUT_S,
            )
        except requests.RequestException as exc:
            self.journal.fail(f"{merchant_uid}: {channel} {method} {path} got no answer: {exc!r}")
            raise
        self.journal.answer(merchant_uid, channel, response)
        return response

    def browser(self, s: Shopper, imp_uid: str) -> requests.Response:
        """The page's IMP.request_pay callback, sent with the buyer's token as the site sends it."""
        body = {"imp_uid": imp_uid, "merchant_uid": s.merchant_uid}
        return self.send(s.merchant_uid, "browser", "POST", "/payments/complete", token=s.token, body=body)

    def redirect(self, s: Shopper, imp_uid: str, success: bool = True) -> requests.Response:
        params = {
            "imp_uid": imp_uid,
            "merchant_uid": s.merchant_uid,
            "imp_success": "true" if success else "false",
        }
        return self.send(s.merchant_uid, "redirect", "GET", "/payments/complete", params=params)

    def webhook(self, merchant_uid: str | None, imp_uid: str, status: str, form: bool) -> requests.Response:
        """I'mport's notification as PortOne posts it (JSON, or form as the console may be set)."""
        note = {"imp_uid": imp_uid, "merchant_uid": merchant_uid, "status": status}
        if form:
            return self.send(merchant_uid, "webhook-form", "POST", "/iamport/webhook", data=note)
        return self.send(merchant_uid, "webhook-json", "POST", "/iamport/webhook", body=note)

    def read_order(self, s: Shopper) -> dict[str, Any] | None:
        response = self.send(s.merchant_uid, "read", "GET", f"/orders/{s.merchant_uid}", token=s.token)
        return response.json()["order"] if response.status_code == 200 else None

    def refund(
        self, s: Shopper, lines: list[dict[str, int | str]] | None, why: str
    ) -> requests.Response | None:
        """POST /orders/{m}/refund as the site sends it (with an Idempotency-Key), retried on the
        documented "try again" answers with the same key (after a 502/503, only sometimes)."""
        body: dict[str, Any] = {"reason": why}
        if lines is not None:
            body["lines"] = lines
        if s.order.get("pay_method") == "vbank":
            body["refund_account"] = REFUND_ACCOUNT
        key = f"books-{uuid.uuid4().hex}"
        response = None
        for attempt in range(3):
            response = self.send(
                s.merchant_uid,
                f"refund-{'lines' if lines else 'full'}",
                "POST",
                f"/orders/{s.merchant_uid}/refund",
                token=s.token,
                body=body,
                headers={"Idempotency-Key": key},
            )
            if response.status_code not in (409, *RETRYABLE_5XX) or attempt == 2:
                break
            if response.status_code == 409 and _short(response) not in RETRY_CODES:
                break
            if response.status_code in RETRYABLE_5XX and s.rng.random() < 0.5:
                # The buyer gives up: the refund's intent is left for the sweeper to finish.
                self.journal.note(s.merchant_uid, "refund left to the sweeper")
                break
            time.sleep(s.rng.uniform(0.2, 0.8))
        return response

    # -- I'mport's side ------------------------------------------------------------------------------

    def webhook_fault(self, s: Shopper, what: str) -> None:
        """Maybe lose or duplicate the next notification I'mport sends for this order."""
        roll = s.rng.random()
        route = f"^{re.escape(s.notice_url)}$"
        if roll < 0.25:
            self.control.add_fault(route, "drop_webhook", count=1)
            self.journal.fault(s.merchant_uid, "drop_webhook", what)
        elif roll < 0.45:
            self.control.add_fault(
                route, "duplicate_webhook", count=1, delay_s=round(s.rng.uniform(0, 0.3), 2)
            )
            self.journal.fault(s.merchant_uid, "duplicate_webhook", what)

    def lookup_fault(self, s: Shopper, imp_uid: str) -> None:
        """Maybe make I'mport answer 500 to the next lookups of this payment (3 = the client's retries
        are used up: the report fails with 502 and someone must report again)."""
        if s.rng.random() < 0.25:
            count = s.rng.choice((1, 1, 2, 3))
            self.control.add_fault(f"^/payments/{re.escape(imp_uid)}$", "http_500", count=count)
            self.journal.fault(s.merchant_uid, "http_500", f"GET /payments/{imp_uid} x{count}")
        if s.rng.random() < 0.08:
            count = s.rng.choice((1, 3))
            assert s.merchant_uid
            self.control.add_fault(f"^/payments/find/{re.escape(s.merchant_uid)}", "http_500", count=count)
            self.journal.fault(s.merchant_uid, "http_500", f"GET /payments/find x{count}")

    def cancel_fault(self, s: Shopper) -> None:
        """Maybe make I'mport answer 500 to the next cancel (whoever's: the route names no payment).
        Cancels carry a checksum, so the client retries them; three in a row leave the refund pending."""
        if s.rng.random() < 0.2:
            count = s.rng.choice((1, 1, 2, 3))
            self.control.add_fault("^/payments/cancel$", "http_500", count=count)
            self.journal.fault(s.merchant_uid, "http_500", f"POST /payments/cancel x{count}")

    def create_payment(self, s: Shopper, outcome: str, amount: int, **fields: Any) -> dict[str, Any] | None:
        assert s.merchant_uid
        try:
            made = self.control.create_payment(
                s.merchant_uid, amount, outcome, notice_url=s.notice_url, **fields
            )
        except SandboxControlError as exc:
            self.journal.note(s.merchant_uid, f"window {outcome} {amount} refused: {exc}")
            return None
        self.journal.note(s.merchant_uid, f"window {outcome} {amount} -> {made['imp_uid']} {made['status']}")
        return made

    def console_cancel(self, s: Shopper, imp_uid: str, amount: int | None) -> None:
        self.webhook_fault(s, f"console cancel {amount or 'full'}")
        try:
            self.control.console_cancel(imp_uid, amount)
            self.journal.note(s.merchant_uid, f"console cancel {amount or 'full'} of {imp_uid}")
        except SandboxControlError as exc:
            self.journal.note(s.merchant_uid, f"console cancel {amount or 'full'} refused: {exc}")

    def deposit(self, s: Shopper, imp_uid: str) -> None:
        self.webhook_fault(s, "deposit")
        try:
            self.control.deposit(imp_uid)
            self.journal.note(s.merchant_uid, f"deposit into {imp_uid}")
        except SandboxControlError as exc:
            self.journal.note(s.merchant_uid, f"deposit into {imp_uid} refused: {exc}")

    # -- reports -------------------------------------------------------------------------------------

    def report(self, s: Shopper, imp_uid: str, status: str, *, lost_ok: bool = True) -> None:
        """What the buyer's browser (and a curious attacker replaying I'mport's webhook) report: nothing
        at all, or a random mix of channels, sometimes all at once."""
        if lost_ok and s.rng.random() < 0.2:
            self.journal.note(s.merchant_uid, f"no report of {imp_uid}")
            return
        channels: list[Callable[[], requests.Response]] = []
        for _ in range(s.rng.randint(1, 4)):
            pick = s.rng.choice(("browser", "browser", "redirect", "webhook-json", "webhook-form"))
            if pick == "browser":
                channels.append(lambda: self.browser(s, imp_uid))
            elif pick == "redirect":
                channels.append(lambda: self.redirect(s, imp_uid))
            else:
                channels.append(
                    lambda form=pick == "webhook-form": self.webhook(s.merchant_uid, imp_uid, status, form)
                )
        if len(channels) > 1 and s.rng.random() < 0.5:
            race(channels)
        else:
            for call in channels:
                call()

    def settled_paid(self, s: Shopper, imp_uid: str) -> bool:
        """The buyer looks at the result page; if it does not say paid, the page reports once more."""
        order = self.read_order(s)
        if order and order["status"] in PAID_LIKE:
            return True
        self.browser(s, imp_uid)
        order = self.read_order(s)
        return bool(order and order["status"] in PAID_LIKE)

    # -- the stories ---------------------------------------------------------------------------------

    def live(self, s: Shopper, products: dict[str, int]) -> None:
        if not self.place_order(s, products):
            return
        story = getattr(self, f"story_{s.story}")
        story(s)

    def place_order(self, s: Shopper, products: dict[str, int]) -> bool:
        rng = s.rng
        picked = rng.sample(sorted(products), rng.randint(1, 3))
        cart = {p: rng.randint(1, 3) for p in picked}
        total = sum(products[p] * q for p, q in cart.items())
        pay_method = "vbank" if s.story in VBANK_STORIES else "card"
        points = 0
        if s.story == "points_only":
            s.granted = total
            points = total
        elif rng.random() < 0.4:
            s.granted = rng.choice((1_000, 3_000, 5_000))
            points = rng.choice((0, rng.randint(1, min(s.granted, total - 100) // 10) * 10))
        if s.granted:
            self.stored.grant_points(s.buyer.sub, s.granted)
        for product_id, quantity in cart.items():
            self.send(
                s.merchant_uid,
                "cart",
                "PUT",
                f"/cart/items/{product_id}",
                token=s.token,
                body={"quantity": quantity},
            )
        key = f"books-{uuid.uuid4().hex}"
        body = {"buyer": BUYER, "points_to_use": points, "pay_method": pay_method}
        if s.rng.random() < 0.1:
            count = s.rng.choice((1, 2))  # the client retries prepare: these never fail the order
            self.control.add_fault("^/payments/prepare$", "http_500", count=count)
            self.journal.fault(None, "http_500", f"POST /payments/prepare x{count} (buyer {s.index})")
        for _attempt in range(3):
            response = self.send(
                None, "order", "POST", "/orders", token=s.token, body=body, headers={"Idempotency-Key": key}
            )
            if response.status_code not in (409, *RETRYABLE_5XX):
                break
            if response.status_code == 409 and _short(response) not in RETRY_CODES:
                break
            time.sleep(0.3)
        if response.status_code != 201:
            self.journal.note(None, f"buyer {s.index} ({s.story}): no order: {response.status_code}")
            return False
        created = response.json()
        s.order, s.payment = created["order"], created["payment"]
        s.merchant_uid = s.order["merchant_uid"]
        self.journal.merchant_uids.add(s.order["merchant_uid"])
        self.journal.note(
            s.merchant_uid,
            f"buyer {s.index} story {s.story}: cart {cart} total {total} points {points} "
            f"amount {s.order['amount']} {pay_method} -> {s.order['status']}",
        )
        return True

    def pay(self, s: Shopper, *, lost_ok: bool = True) -> str | None:
        """The buyer pays in the window; I'mport notifies; the browser reports (or not)."""
        if s.order["amount"] == 0:
            return None
        self.webhook_fault(s, "paid")
        made = self.create_payment(s, "paid", s.order["amount"])
        if made is None:
            return None
        self.lookup_fault(s, made["imp_uid"])
        self.report(s, made["imp_uid"], "paid", lost_ok=lost_ok)
        return str(made["imp_uid"])

    def random_lines(self, s: Shopper, order: dict[str, Any] | None) -> list[dict[str, int | str]] | None:
        lines = (order or s.order)["lines"]
        left = [x for x in lines if x["quantity"] - x.get("refunded_quantity", 0) > 0]
        if not left:
            return None
        chosen = s.rng.sample(left, s.rng.randint(1, len(left)))
        return [
            {
                "product_id": x["product_id"],
                "quantity": s.rng.randint(1, x["quantity"] - x.get("refunded_quantity", 0)),
            }
            for x in chosen
        ]

    def story_pay(self, s: Shopper) -> None:
        self.pay(s)

    def story_refund_full(self, s: Shopper) -> None:
        imp_uid = self.pay(s, lost_ok=False)
        if imp_uid is None or self.settled_paid(s, imp_uid):
            self.cancel_fault(s)
            self.refund(s, None, "changed my mind")

    def story_refund_lines(self, s: Shopper) -> None:
        imp_uid = self.pay(s, lost_ok=False)
        if imp_uid is not None and not self.settled_paid(s, imp_uid):
            return
        self.cancel_fault(s)
        self.refund(s, self.random_lines(s, None), "one item broken")
        if s.rng.random() < 0.5:
            order = self.read_order(s)
            lines = self.random_lines(s, order)
            if lines is not None:
                self.cancel_fault(s)
                self.refund(s, lines if s.rng.random() < 0.5 else None, "the rest as well")

    def story_refund_race(self, s: Shopper) -> None:
        imp_uid = self.pay(s, lost_ok=False)
        if imp_uid is not None and not self.settled_paid(s, imp_uid):
            return
        self.cancel_fault(s)
        first = self.random_lines(s, None) if s.rng.random() < 0.5 else None
        second = self.random_lines(s, None) if s.rng.random() < 0.5 else None
        race([lambda: self.refund(s, first, "tab one"), lambda: self.refund(s, second, "tab two")])

    def story_refund_vs_console(self, s: Shopper) -> None:
        imp_uid = self.pay(s, lost_ok=False)
        if imp_uid is None or not self.settled_paid(s, imp_uid):
            return
        amount = s.order["amount"]
        console_amount = None
        if amount >= 200 and s.rng.random() < 0.5:
            console_amount = s.rng.randint(1, amount // 100 - 1) * 100
        lines = self.random_lines(s, None) if s.rng.random() < 0.5 else None
        self.cancel_fault(s)
        race(
            [
                lambda: self.refund(s, lines, "buyer asks"),
                lambda: self.console_cancel(s, imp_uid, console_amount),
            ]
        )

    def story_console_full(self, s: Shopper) -> None:
        imp_uid = self.pay(s, lost_ok=False)
        if imp_uid is None or not self.settled_paid(s, imp_uid):
            return
        self.console_cancel(s, imp_uid, None)
        if s.rng.random() < 0.3:
            self.refund(s, None, "after the console")

    def story_console_partial(self, s: Shopper) -> None:
        imp_uid = self.pay(s, lost_ok=False)
        amount = s.order["amount"]
        if imp_uid is None or amount < 200 or not self.settled_paid(s, imp_uid):
            return
        self.console_cancel(s, imp_uid, s.rng.randint(1, amount // 100 - 1) * 100)
        if s.rng.random() < 0.5:
            self.cancel_fault(s)
            self.refund(s, self.random_lines(s, None) if s.rng.random() < 0.5 else None, "after partial")

    def story_forged(self, s: Shopper) -> None:
        amount = s.order["amount"]
        if amount == 0:
            return
        wrong = {100, max(100, amount // 2 // 10 * 10), amount + 1_000} - {amount}
        forged = s.rng.choice(sorted(wrong))
        self.webhook_fault(s, "paid (forged)")
        made = self.create_payment(s, "paid", forged, force=True)
        if made is not None:
            self.lookup_fault(s, made["imp_uid"])
            self.report(s, made["imp_uid"], "paid")

    def story_pay_twice(self, s: Shopper) -> None:
        if s.order["amount"] == 0:
            return
        self.webhook_fault(s, "paid #1")
        first = self.create_payment(s, "paid", s.order["amount"])
        self.webhook_fault(s, "paid #2")
        second = self.create_payment(s, "paid", s.order["amount"], force=True)
        if first is None or second is None:
            return
        a, b = first["imp_uid"], second["imp_uid"]
        mode = s.rng.choice(("race", "in_order", "second_only", "none"))
        self.journal.note(s.merchant_uid, f"pay twice: reports {mode}")
        if mode == "race":
            race(
                [
                    lambda: self.browser(s, a),
                    lambda: self.browser(s, b),
                    lambda: self.webhook(s.merchant_uid, b, "paid", False),
                ]
            )
        elif mode == "in_order":
            self.report(s, a, "paid", lost_ok=False)
            self.report(s, b, "paid", lost_ok=False)
        elif mode == "second_only":
            self.report(s, b, "paid", lost_ok=False)

    def story_fail(self, s: Shopper) -> None:
        if s.order["amount"] == 0:
            return
        made = self.create_payment(s, "failed", s.order["amount"])
        if made is not None and s.rng.random() < 0.6:
            self.browser(s, made["imp_uid"])

    def story_fail_then_pay(self, s: Shopper) -> None:
        if s.order["amount"] == 0:
            return
        made = self.create_payment(s, "failed", s.order["amount"])
        if made is not None and s.rng.random() < 0.6:
            self.browser(s, made["imp_uid"])
        self.pay(s)  # the buyer tries again in the window: late if the decline was reported first

    def story_abandon(self, s: Shopper) -> None:
        if s.order["amount"] == 0:
            return
        if s.rng.random() < 0.5:
            made = self.create_payment(s, "abandoned", s.order["amount"])
            if made is not None and s.rng.random() < 0.5:
                self.redirect(s, made["imp_uid"], success=False)

    def issue_vbank(self, s: Shopper) -> str | None:
        if s.order["amount"] == 0:
            return None
        self.webhook_fault(s, "ready (vbank)")
        made = self.create_payment(s, "vbank", s.order["amount"], vbank_due=s.payment["vbank_due"])
        if made is None:
            return None
        if s.rng.random() < 0.7:
            self.browser(s, made["imp_uid"])
        return str(made["imp_uid"])

    def story_vbank(self, s: Shopper) -> None:
        imp_uid = self.issue_vbank(s)
        if imp_uid is not None and s.rng.random() < 0.7:
            self.deposit(s, imp_uid)

    def story_vbank_refund(self, s: Shopper) -> None:
        imp_uid = self.issue_vbank(s)
        if imp_uid is None:
            return
        self.deposit(s, imp_uid)
        if self.settled_paid(s, imp_uid):
            self.cancel_fault(s)
            self.refund(s, self.random_lines(s, None) if s.rng.random() < 0.5 else None, "vbank refund")

    def story_vbank_then_card(self, s: Shopper) -> None:
        """An account is issued, then the buyer pays by card after all (the account should be voided),
        then deposits into the account anyway."""
        imp_uid = self.issue_vbank(s)
        if imp_uid is None:
            return
        self.webhook_fault(s, "paid (card)")
        made = self.create_payment(s, "paid", s.order["amount"], pay_method="card")
        if made is not None:
            self.report(s, made["imp_uid"], "paid")
        self.deposit(s, imp_uid)

    def story_points_only(self, s: Shopper) -> None:
        roll = s.rng.random()
        if roll < 0.4:
            self.refund(s, None, "points back")
        elif roll < 0.8:
            self.refund(s, self.random_lines(s, None), "points back, one line")


# -- settling: the sweeper on a moved clock, the console's resend -----------------------------------


class MovedClock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Settler:
    checkout: Any
    clock: MovedClock
    started: datetime
    control: SandboxControl
    day: Day
    sweeps: list[dict[str, Any]] = field(default_factory=list)
    sweep_errors: list[str] = field(default_factory=list)

    def sweep_at(self, minutes: float) -> None:
        """The sweeper runs `minutes` after the day began, until a run finds nothing more to do."""
        self.clock.offset = self.started + timedelta(minutes=minutes) - datetime.now(UTC)
        for _ in range(4):
            report = self.checkout.sweep()
            self.sweeps.append({"at_min": minutes, **report.as_dict()})
            self.sweep_errors.extend(f"+{minutes} min: {m}" for m in report.error_merchant_uids)
            moved = report.paid + report.awaiting_deposit + report.failed + report.expired
            if not (moved or report.refunds_resumed or report.errors):
                return

    def settle(
        self, schedule: tuple[float, ...], merchant_uids: set[str], read: Callable[[], Books]
    ) -> Books:
        """The sweeper at each of `schedule`'s minutes; then the console resends every webhook and the
        sweeper runs again, until a round of both changes nothing."""
        for minutes in schedule[:-1]:
            self.sweep_at(minutes)
        books = read()
        for extra in range(3):
            self.resend_all(merchant_uids)
            self.sweep_at(schedule[-1] + extra)
            before, books = books, read()
            if _state(books) == _state(before):
                break
        return books

    def resend_all(self, merchant_uids: set[str]) -> None:
        """I'mport's console: resend every payment's last notification (a payment I'mport never notified,
        a declined or abandoned window, gets the same notification posted by hand)."""
        payments = [p for p in self.control.payments() if p["merchant_uid"] in merchant_uids]
        for p in payments:
            try:
                self.control.resend_webhook(imp_uid=p["imp_uid"])
            except SandboxControlError:
                self.day.webhook(p["merchant_uid"], p["imp_uid"], p["status"], False)
        wait_for_deliveries(self.control, merchant_uids)


def wait_for_deliveries(control: SandboxControl, merchant_uids: set[str], timeout_s: float = 45) -> None:
    def done() -> bool:
        mine = [d for d in control.webhooks() if d.get("merchant_uid") in merchant_uids]
        return all(d["state"] not in ("pending", "held") for d in mine)

    wait_until(done, timeout_s=timeout_s, interval_s=0.2)


def direct_checkout(stack: Any, clock: MovedClock) -> Any:
    """The checkout as the sweeper function builds it (the function's own environment), on a clock the
    test moves: the stack's tables and sandbox, nothing else."""
    from checkout.config import Settings
    from checkout.wiring import build_checkout

    env = stack.runtime.pools["ReconcileFunction"].environment
    return build_checkout(Settings.from_env(env), clock=clock)


# -- the audit: I'mport's record is the truth ------------------------------------------------------


@dataclass
class Books:
    orders: dict[str, dict[str, Any]]  # merchant_uid -> item (doc decoded)
    payments: dict[str, list[dict[str, Any]]]  # merchant_uid -> I'mport's payments
    stock: dict[str, int]
    balances: dict[str, tuple[int, int]]
    ledgers: dict[str, list[tuple[str, int, str]]]  # user -> (kind, points, merchant_uid)


def read_books(stored: HttpState, control: SandboxControl, prefix: str, products: list[str]) -> Books:
    orders: dict[str, dict[str, Any]] = {}
    scan: dict[str, Any] = {"FilterExpression": Attr("user_id").begins_with(prefix), "ConsistentRead": True}
    while True:
        page = stored.orders.scan(**scan)
        for item in page["Items"]:
            orders[item["merchant_uid"]] = stored.order(item["merchant_uid"])
        if "LastEvaluatedKey" not in page:
            break
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    payments: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in control.payments():
        if p["merchant_uid"] in orders:
            payments[p["merchant_uid"]].append(p)
    users = {str(o["user_id"]) for o in orders.values()}
    balances: dict[str, tuple[int, int]] = {}
    ledgers: dict[str, list[tuple[str, int, str]]] = {}
    for user in users:
        items = stored.points.query(KeyConditionExpression=Key("user_id").eq(user), ConsistentRead=True)[
            "Items"
        ]
        balances[user] = stored.balance(user)
        ledgers[user] = [
            (str(i["kind"]), int(i["points"]), str(i.get("merchant_uid")))
            for i in items
            if i["sk"] != "BALANCE"
        ]
    return Books(orders, payments, {p: stored.stock(p) for p in products}, balances, ledgers)


def held_at_iamport(p: dict[str, Any]) -> int:
    return int(p["amount"]) - int(p["cancel_amount"]) if p["status"] == "paid" else 0


def _matches(refund: dict[str, Any], cancel: dict[str, Any]) -> bool:
    if refund.get("cancellation_id"):
        return bool(refund["cancellation_id"] == cancel.get("cancellation_id"))
    ref = refund.get("cancel_ref")
    return (
        bool(ref)
        and f"[{ref}]" in (cancel.get("reason") or "")
        and int(refund["amount"]) == int(cancel["amount"])
    )


def audit(books: Books) -> list[str]:
    """Every way the books can differ from I'mport's record (and from themselves), one line each."""
    found: list[str] = []
    for merchant_uid, item in sorted(books.orders.items()):
        found += audit_order(merchant_uid, item, books.payments.get(merchant_uid, []))
    return found + audit_stock(books) + audit_points(books)


def audit_order(m: str, item: dict[str, Any], payments: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    doc = item["doc"]
    status = str(item["status"])
    amount = int(item["amount"])
    imp_uid = item.get("imp_uid")
    refunds = doc.get("refunds") or []
    strays = doc.get("stray_payments") or []
    refunded = sum(int(r["amount"]) for r in refunds)

    # Cash: what I'mport holds for the merchant_uid is what the books say it holds.
    cash = sum(held_at_iamport(p) for p in payments)
    books_cash = (amount - refunded if status in PAID_LIKE else 0) + sum(
        int(s.get("unrefunded", 0)) for s in strays
    )
    if cash != books_cash:
        at_iamport = [(p["imp_uid"], p["status"], p["amount"], p["cancel_amount"]) for p in payments]
        found.append(
            f"{m}: I'mport holds {cash} KRW, the books {books_cash} (status {status}, amount {amount}, "
            f"refunded {refunded}, strays {strays}; I'mport's payments {at_iamport})"
        )

    # The order's own payment: every cancel in its history booked once, and no refund I'mport lacks.
    own = next((p for p in payments if p["imp_uid"] == imp_uid), None)
    if status in PAID_LIKE and amount > 0:
        if own is None:
            return [*found, f"{m}: {status} with amount {amount} but I'mport has no payment {imp_uid}"]
        if int(own["amount"]) != amount or own["status"] not in ("paid", "cancelled"):
            found.append(f"{m}: {status} but its payment is {own['status']} {own['amount']}")
        history = own.get("cancel_history") or []
        for cancel in history:
            hits = [r["id"] for r in refunds if _matches(r, cancel)]
            if len(hits) != 1:
                found.append(
                    f"{m}: I'mport cancel {cancel.get('cancellation_id')} ({cancel['amount']} KRW, "
                    f"{cancel.get('reason')!r}) is booked {len(hits)} times {hits}"
                )
        for r in refunds:
            if int(r["amount"]) > 0 and not any(_matches(r, c) for c in history):
                found.append(
                    f"{m}: refund {r['id']} of {r['amount']} KRW (cancellation "
                    f"{r.get('cancellation_id')}) is not in I'mport's cancel history"
                )
        if refunded != int(own["cancel_amount"]):
            found.append(f"{m}: books refunded {refunded}, I'mport cancelled {own['cancel_amount']}")
        if (status == "cancelled") != (held_at_iamport(own) == 0):
            found.append(f"{m}: {status} while I'mport still holds {held_at_iamport(own)} of its payment")

    # Payments that must not count: recorded as strays, exactly as refunded as I'mport says.
    for p in payments:
        if p["imp_uid"] == imp_uid and status not in ("failed", "expired"):
            continue  # the order's own payment, checked above (or below, while the order is open)
        if int(p["cancel_amount"]) == 0 and held_at_iamport(p) == 0:
            continue
        stray = [s for s in strays if s["imp_uid"] == p["imp_uid"]]
        recorded = [(int(s["amount"]), int(s.get("unrefunded", 0))) for s in stray]
        if recorded != [(int(p["cancel_amount"]), held_at_iamport(p))]:
            found.append(
                f"{m}: stray payment {p['imp_uid']} ({p['status']}, {p['amount']}): I'mport cancelled "
                f"{p['cancel_amount']} and holds {held_at_iamport(p)}; the order records (refunded, "
                f"unrefunded) {recorded}"
            )

    # States: nothing left half-done.
    if doc.get("pending_refund"):
        found.append(f"{m}: refund {doc['pending_refund']['id']} still pending ({status})")
    if status in OPEN and any(held_at_iamport(p) > 0 for p in payments):
        found.append(f"{m}: still {status} while I'mport holds a paid payment")
    if status not in (*OPEN, *PAID_LIKE, "failed", "expired"):
        found.append(f"{m}: unknown status {status}")
    lines = [(x["product_id"], int(x["quantity"]), int(x.get("refunded_quantity", 0))) for x in doc["lines"]]
    if any(not 0 <= refunded_qty <= qty for _, qty, refunded_qty in lines):
        found.append(f"{m}: lines refunded out of range {lines}")
    if status == "cancelled" and any(refunded_qty != qty for _, qty, refunded_qty in lines):
        # A cancelled order gave all its goods back (a console partial names none, but the cancel that
        # empties the payment closes the order with every remaining line).
        found.append(f"{m}: cancelled but not every line came back {lines}")
    return found


def audit_stock(books: Books) -> list[str]:
    """Each product's stock is its initial stock less what the open and paid orders still hold."""
    held: Counter[str] = Counter()
    for item in books.orders.values():
        if str(item["status"]) in (*OPEN, *PAID_LIKE):
            for line in item["doc"]["lines"]:
                held[line["product_id"]] += int(line["quantity"]) - int(line.get("refunded_quantity", 0))
    return [
        f"stock {product_id}: {INITIAL_STOCK} - {held[product_id]} held by orders = "
        f"{INITIAL_STOCK - held[product_id]}, the table says {stock}"
        for product_id, stock in sorted(books.stock.items())
        if INITIAL_STOCK - held[product_id] != stock
    ]


def audit_points(books: Books) -> list[str]:
    """The balance is what the ledger adds up to (domain/points.py, domain/transitions.py: grant, earn,
    refund_use credit; clawback debits; hold moves available to held and release moves it back; use
    spends the hold, or the balance itself for an order paid all in points), and the held part is what
    the buyer's open orders hold."""
    found: list[str] = []
    for user, entries in sorted(books.ledgers.items()):
        with_hold = {mu for kind, _, mu in entries if kind == "hold"}
        available = held = 0
        for kind, points, mu in entries:
            if kind in ("grant", "earn", "refund_use"):
                available += points
            elif kind == "clawback":
                available -= points
            elif kind == "hold":
                available, held = available - points, held + points
            elif kind == "release":
                available, held = available + points, held - points
            elif kind == "use" and mu in with_hold:
                held -= points
            elif kind == "use":
                available -= points
            else:
                found.append(f"points {user}: unknown ledger kind {kind} ({points}, {mu})")
        balance = books.balances[user]
        if balance != (available, held):
            kinds = dict(Counter(kind for kind, _, _ in entries))
            found.append(
                f"points {user}: balance (available, held) {balance}, the ledger adds up to "
                f"{(available, held)} {kinds}"
            )
        open_points = sum(
            int(o["points_used"])
            for o in books.orders.values()
            if o["user_id"] == user and o["status"] in OPEN
        )
        if balance[1] != open_points:
            found.append(f"points {user}: held {balance[1]}, its open orders hold {open_points}")
        for mu in sorted({mu for _, _, mu in entries if mu in books.orders}):
            once = Counter(
                kind for kind, _, m2 in entries if m2 == mu and kind in ("hold", "use", "release", "earn")
            )
            if any(n > 1 for n in once.values()):
                found.append(f"points {user}: order {mu} ledger repeats an entry {dict(once)}")
    return found


# -- the test --------------------------------------------------------------------------------------


@pytest.fixture
def quiet_metrics(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """The business metrics the settling sweeper counts in this process (it has no Lambda to flush to)."""
    counted: Counter[str] = Counter()
    monkeypatch.setattr(
        "checkout.observability.metrics.add_metric",
        lambda name, unit=None, value=1, **_: counted.update({name: int(value)}),
    )
    yield counted


def test_after_a_randomized_day_of_payments_reports_faults_and_refunds_the_books_match_iamport(
    stack: Any,
    stored: HttpState,
    iamport: Iamport,
    quiet_metrics: Counter[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed = int(os.environ.get("BOOKS_SEED") or DEFAULT_SEED)
    print(f"books-balance day: seed={seed} (replay with BOOKS_SEED={seed})")
    began = time.monotonic()
    rng = random.Random(seed)
    journal = Journal()
    day = Day(stack, iamport, stored, journal)
    prefix = f"books{uuid.uuid4().hex[:6]}"

    products: dict[str, int] = {}
    for price in PRODUCT_PRICES:
        product_id = stored.add_product(price, INITIAL_STOCK)
        products[product_id] = price
    names = list(STORIES)
    shoppers = []
    for index in range(rng.randint(24, 32)):
        story = rng.choices(names, weights=[STORIES[n] for n in names])[0]
        buyer = new_buyer(stack, prefix)
        token = stack.token_for(buyer.sub)
        shoppers.append(Shopper(index, story, random.Random(f"{seed}-{index}"), buyer, token))

    def live(s: Shopper) -> None:
        try:
            day.live(s, products)
        except Exception:  # noqa: BLE001 - every story's crash is listed, the others go on
            journal.fail(f"buyer {s.index} ({s.story}, {s.merchant_uid}) crashed:\n{traceback.format_exc()}")

    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        list(pool.map(live, shoppers))
    day_s = time.monotonic() - began

    # Settle: webhooks in flight land; then the sweeper on its schedule and the console's resends.
    settle_began = time.monotonic()
    fired = sum(f["fired"] for f in iamport.control.faults())
    mine = journal.merchant_uids | set(read_books(stored, iamport.control, prefix, []).orders)
    wait_for_deliveries(iamport.control, mine)
    iamport.control.clear_faults()
    clock = MovedClock()
    settler = Settler(direct_checkout(stack, clock), clock, datetime.now(UTC), iamport.control, day)

    def books_now() -> Books:
        return read_books(stored, iamport.control, prefix, list(products))

    # Audited three times: while unpaid orders are still open (holding stock and points), once the card
    # orders' 30 minutes are over, and once the virtual accounts' 72 hours are over.
    discrepancies: list[str] = []
    for label, schedule in (
        ("+17 min", (3, 6, 16, 17)),
        ("+1 h", (31, 32, 60)),
        ("+73 h", (4380, 4381, 4440)),
    ):
        books = settler.settle(schedule, mine, books_now)
        discrepancies += [f"[{label}] {d}" for d in audit(books)]
    settle_s = time.monotonic() - settle_began

    discrepancies += [f"sweeper failed on {m}" for m in settler.sweep_errors]
    discrepancies += [f"client: {f}" for f in journal.failures]
    discrepancies += function_crashes(set(books.orders))
    deliveries = [d for d in iamport.control.webhooks() if d.get("merchant_uid") in books.orders]
    for d in deliveries:  # I'mport's own notifications must be understood (200) or asked back (502/503)
        for attempt in d["attempts"]:
            if attempt["status_code"] not in (200, *RETRYABLE_5XX):
                discrepancies.append(
                    f"webhook {d['id']} ({d['event']} {d['status']}) for {d['merchant_uid']} answered "
                    f"{attempt['status_code']} {attempt.get('error') or ''}".rstrip()
                )
    statuses = Counter(str(o["status"]) for o in books.orders.values())
    print(f"  stories: {dict(Counter(s.story for s in shoppers))}")
    print(f"  final statuses: {dict(statuses)}")
    print(f"  replies: {dict(sorted(journal.replies.items()))}")
    print(f"  faults injected: {dict(journal.faults)} (fired {fired}); settle metrics: {dict(quiet_metrics)}")
    sweeps = [
        (x["at_min"], x["examined"], x["paid"], x["expired"], x["refunds_resumed"]) for x in settler.sweeps
    ]
    print(f"  day {day_s:.1f} s; sweeps (minute, examined, paid, expired, refunds resumed): {sweeps}")
    summary = (
        f"books balance: seed={seed} orders={len(books.orders)} deliveries={len(deliveries)} "
        f"faults={sum(journal.faults.values())} discrepancies={len(discrepancies)} settle_s={settle_s:.1f}"
    )
    with capsys.disabled():  # the one line every run shows, also when the test passes
        print(f"\n{summary}")
    if os.environ.get("BOOKS_VERBOSE"):
        for m in sorted(journal.stories):
            item = books.orders.get(m)
            print(f"  {m} -> {item['status'] if item else '?'}\n    " + "\n    ".join(journal.stories[m]))
    if discrepancies:
        involved = sorted({m for m in journal.stories if m != "-" and any(m in d for d in discrepancies)})
        stories = "\n".join(f"  {m}:\n    " + "\n    ".join(journal.stories[m]) for m in involved)
        listing = "\n".join(f"- {d}" for d in discrepancies)
        pytest.fail(
            f"seed {seed}: {len(discrepancies)} discrepancies between the books and I'mport:\n{listing}\n"
            f"what happened to those orders:\n{stories}\n"
            f"what the functions logged about them (errors only):\n{function_errors(involved)}",
            pytrace=False,
        )


def function_crashes(merchant_uids: set[str]) -> list[str]:
    """Every exception a function logged (a handler's unexpected error, a redirect that failed
    unexpectedly) while working on one of the orders: the API may have hidden it behind a 302."""
    log = ARTIFACTS / "functions.log"
    if not log.exists():
        return []
    found = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if '"level":"ERROR"' not in line or '"exception"' not in line:
            continue
        named = sorted(m for m in merchant_uids if m in line)
        if named:
            found.append(f"{named[0]}: a function logged an exception: {line[:1500]}")
    return found


def function_errors(merchant_uids: list[str], limit: int = 12) -> str:
    """The functions' ERROR lines (with their tracebacks) that name one of the orders."""
    log = ARTIFACTS / "functions.log"
    if not merchant_uids or not log.exists():
        return "  (none)"
    lines = [
        line[:3000]
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
        if '"level":"ERROR"' in line and any(m in line for m in merchant_uids)
    ]
    return "\n".join(f"  {line}" for line in lines[-limit:]) or "  (none)"


def _state(books: Books) -> dict[str, Any]:
    return {
        m: (
            str(o["status"]),
            tuple(r["id"] for r in o["doc"].get("refunds") or []),
            tuple(
                (s["imp_uid"], s["amount"], s.get("unrefunded")) for s in o["doc"].get("stray_payments") or []
            ),
            bool(o["doc"].get("pending_refund")),
        )
        for m, o in books.orders.items()
    }
