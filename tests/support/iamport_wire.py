"""Raw HTTP access to an I'mport V1 compatible server, for the conformance tests.

Deliberately independent of the product's gateway adapter: it sends exactly what the test asks for
and hands back the status and the decoded body, so a test can judge both layers of failure
(HTTP status, then the envelope's `code`; docs/iamport-v1.md#failures).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import requests

DEV_IMP_KEY = "sandbox-key"
DEV_IMP_SECRET = "sandbox-secret"
TIMEOUT_S = 10


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def code(self) -> Any:
        return self.body.get("code") if isinstance(self.body, dict) else None

    @property
    def message(self) -> Any:
        return self.body.get("message") if isinstance(self.body, dict) else None

    @property
    def response(self) -> Any:
        return self.body.get("response") if isinstance(self.body, dict) else None


def new_merchant_uid(label: str) -> str:
    # merchant_uid is at most 40 characters (PaymentAnnotation.merchant_uid maxLength).
    return f"ct-{label[:16]}-{uuid.uuid4().hex[:16]}"


class IamportWire:
    def __init__(self, base_url: str, imp_key: str = DEV_IMP_KEY, imp_secret: str = DEV_IMP_SECRET) -> None:
        self.base_url = base_url.rstrip("/")
        self.imp_key = imp_key
        self.imp_secret = imp_secret
        self.http = requests.Session()
        self._token: str | None = None

    def close(self) -> None:
        self.http.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> Reply:
        sent = dict(headers or {})
        if auth and "Authorization" not in sent:
            sent["Authorization"] = self.token()
        resp = self.http.request(
            method, self.base_url + path, json=json, data=data, params=params, headers=sent, timeout=TIMEOUT_S
        )
        try:
            body = resp.json()
        except ValueError:
            body = resp.text
        return Reply(resp.status_code, body, dict(resp.headers))

    def get_token(self, **body: Any) -> Reply:
        return self.call("POST", "/users/getToken", json=body, auth=False)

    def token(self) -> str:
        if self._token is None:
            reply = self.get_token(imp_key=self.imp_key, imp_secret=self.imp_secret)
            if reply.status != 200 or reply.code != 0:
                raise AssertionError(f"getToken failed: HTTP {reply.status} {reply.body!r}")
            self._token = reply.response["access_token"]
        return self._token

    # --- the sandbox's control API (not part of I'mport) -------------------------------------------

    def seed_payment(
        self, merchant_uid: str, amount: int, outcome: str, *, force: bool = False, **window: Any
    ) -> dict[str, Any]:
        """Create a payment the way a buyer's checkout would (`paid`, `failed`, `vbank`, `abandoned`).

        `window` carries further `IMP.request_pay` parameters (`custom_data`, `name`, `buyer_name`...).
        """
        body: dict[str, Any] = {**window, "merchant_uid": merchant_uid, "amount": amount, "outcome": outcome}
        if force:
            body["force"] = True
        resp = self.http.post(f"{self.base_url}/sandbox/payments", json=body, timeout=TIMEOUT_S)
        if resp.status_code != 200:
            raise AssertionError(f"sandbox control API refused {body}: HTTP {resp.status_code} {resp.text}")
        payload = resp.json()
        payment = payload["response"] if isinstance(payload, dict) and "response" in payload else payload
        if not isinstance(payment, dict) or "imp_uid" not in payment:
            raise AssertionError(f"sandbox control API answered without a payment: {payload!r}")
        return payment

    def advance_clock(self, seconds: int) -> int:
        """Move the sandbox's clock forward (token expiry, vbank due dates) without sleeping."""
        resp = self.http.post(
            f"{self.base_url}/sandbox/clock", json={"advance_s": seconds}, timeout=TIMEOUT_S
        )
        if resp.status_code != 200:
            raise AssertionError(f"sandbox clock refused to advance: HTTP {resp.status_code} {resp.text}")
        now: int = resp.json()["response"]["now"]
        return now

    def deposit(self, imp_uid: str) -> dict[str, Any]:
        """Simulate the buyer's deposit into an issued virtual account (the console's test deposit)."""
        resp = self.http.post(
            f"{self.base_url}/sandbox/payments/{imp_uid}/deposit", json={}, timeout=TIMEOUT_S
        )
        if resp.status_code != 200:
            raise AssertionError(f"sandbox refused the deposit: HTTP {resp.status_code} {resp.text}")
        payment: dict[str, Any] = resp.json()["response"]
        return payment
