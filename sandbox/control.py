"""A small Python client for the control API: `SandboxControl(url).pay("order-1", 1000)`.

Stdlib only (urllib), with a timeout on every call. Methods return the envelope's `response`;
failures raise `SandboxControlError` carrying the HTTP status, code, message and error_code.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class SandboxControlError(Exception):
    def __init__(self, status: int, code: int | None, message: str, error_code: str | None = None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.error_code = error_code


class SandboxControl:
    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s

    # -- payments ----------------------------------------------------------------------------

    def create_payment(
        self, merchant_uid: str, amount: int | float, outcome: str = "paid", **fields: Any
    ) -> dict:
        """Run the payment window without a browser. fields: pay_method, name, buyer_*, notice_url,
        currency, custom_data, vbank_due, confirm_url, merchant_code, force."""
        return self._call(
            "POST",
            "/sandbox/payments",
            {"merchant_uid": merchant_uid, "amount": amount, "outcome": outcome, **fields},
        )

    def pay(self, merchant_uid: str, amount: int | float, **fields: Any) -> dict:
        return self.create_payment(merchant_uid, amount, "paid", **fields)

    def fail(self, merchant_uid: str, amount: int | float, **fields: Any) -> dict:
        return self.create_payment(merchant_uid, amount, "failed", **fields)

    def issue_vbank(self, merchant_uid: str, amount: int | float, **fields: Any) -> dict:
        return self.create_payment(merchant_uid, amount, "vbank", **fields)

    def abandon(self, merchant_uid: str, amount: int | float, **fields: Any) -> dict:
        return self.create_payment(merchant_uid, amount, "abandoned", **fields)

    def payments(self) -> list[dict]:
        return self._call("GET", "/sandbox/payments")

    def deposit(self, imp_uid: str) -> dict:
        return self._call("POST", f"/sandbox/payments/{_q(imp_uid)}/deposit", {})

    def console_cancel(
        self, imp_uid: str, amount: int | float | None = None, reason: str | None = None
    ) -> dict:
        body = {k: v for k, v in (("amount", amount), ("reason", reason)) if v is not None}
        return self._call("POST", f"/sandbox/payments/{_q(imp_uid)}/console-cancel", body)

    # -- time, faults, settings --------------------------------------------------------------

    def clock(self) -> dict:
        return self._call("GET", "/sandbox/clock")

    def advance_clock(self, seconds: float) -> dict:
        return self._call("POST", "/sandbox/clock", {"advance_s": seconds})

    def add_fault(self, route: str, kind: str, count: int = 1, delay_s: float | None = None) -> dict:
        body: dict[str, Any] = {"route": route, "kind": kind, "count": count}
        if delay_s is not None:
            body["delay_s"] = delay_s
        return self._call("POST", "/sandbox/faults", body)

    def faults(self) -> list[dict]:
        return self._call("GET", "/sandbox/faults")

    def clear_faults(self) -> None:
        self._call("DELETE", "/sandbox/faults")

    def config(self) -> dict:
        return self._call("GET", "/sandbox/config")

    def configure(self, **settings: Any) -> dict:
        """e.g. configure(webhook_retry=True, webhook_retry_interval_s=0.1, messages={...})."""
        return self._call("POST", "/sandbox/config", settings)

    def accounts(self) -> list[dict]:
        return self._call("GET", "/sandbox/accounts")

    def add_account(
        self, merchant_code: str, imp_key: str, imp_secret: str, webhook_url: str | None = None
    ) -> list[dict]:
        return self._call(
            "POST",
            "/sandbox/accounts",
            {
                "merchant_code": merchant_code,
                "imp_key": imp_key,
                "imp_secret": imp_secret,
                "webhook_url": webhook_url,
            },
        )

    def reset(self) -> None:
        self._call("POST", "/sandbox/reset", {})

    # -- webhooks ----------------------------------------------------------------------------

    def webhooks(self, imp_uid: str | None = None) -> list[dict]:
        query = f"?imp_uid={_q(imp_uid)}" if imp_uid else ""
        return self._call("GET", f"/sandbox/webhooks{query}")

    def resend_webhook(self, imp_uid: str | None = None, delivery_id: str | None = None) -> dict:
        body = {k: v for k, v in (("imp_uid", imp_uid), ("delivery_id", delivery_id)) if v}
        return self._call("POST", "/sandbox/webhooks/resend", body)

    def release_webhooks(self, imp_uid: str) -> int:
        return int(self._call("POST", "/sandbox/webhooks/release", {"imp_uid": imp_uid})["released"])

    # -- transport ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                envelope = json.loads(response.read().decode("utf-8"))
                status = response.status
        except urllib.error.HTTPError as exc:
            raw = exc.read().decode("utf-8", errors="replace")
            try:
                envelope = json.loads(raw)
            except ValueError:
                raise SandboxControlError(exc.code, None, raw or exc.reason) from None
            raise SandboxControlError(
                exc.code, envelope.get("code"), envelope.get("message") or "", envelope.get("error_code")
            ) from None
        if envelope.get("code") != 0:
            raise SandboxControlError(
                status, envelope.get("code"), envelope.get("message") or "", envelope.get("error_code")
            )
        return envelope.get("response")


def _q(value: str) -> str:
    return urllib.parse.quote(value, safe="")
