"""One payment-window run: open, (confirm_url), finish, webhooks in the configured order.

The browser shim and `POST /sandbox/payments` both go through here, so a payment made by the
control API is indistinguishable from one made by clicking in the window.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from sandbox.checkout import Finished, WindowRefused, finish_window, open_window
from sandbox.payments import Payment
from sandbox.state import Sandbox

CONFIRM_TIMEOUT_S = 10.0  # PortOne waits 10 s for the merchant's confirm_url (docs/iamport-v1.md#confirm-url)


def open_payment(
    sb: Sandbox,
    merchant_code: object,
    params: dict,
    user_agent: str | None,
    channel: str | None = None,
    force: bool = False,
) -> Payment:
    with sb.lock:
        account = sb.accounts.by_code(str(merchant_code)) if merchant_code else None
        if account is None:
            raise WindowRefused(sb, "unknown_merchant" if merchant_code else "not_initialised")
        return open_window(sb, account, params, user_agent, force=force, channel=channel)


def finish_payment(sb: Sandbox, imp_uid: str, action: str) -> Finished:
    with sb.lock:
        payment = sb.store.payments.get(imp_uid)
        if payment is None or not payment.window.get("open"):
            raise WindowRefused(sb, "window_not_open")
        confirm_url = payment.window.get("confirm_url") if action in ("pay", "vbank") else None
        confirm_body = {
            "imp_uid": payment.imp_uid,
            "merchant_uid": payment.merchant_uid,
            "amount": payment.amount,
        }
    # The merchant's confirm_url is called without the lock: it may take up to 10 s.
    refusal = ask_confirm_url(str(confirm_url), confirm_body) if confirm_url else None
    with sb.lock:
        finished = finish_window(sb, payment, action, confirm_refusal=refusal)
        order = sb.settings.webhook_order
        wait_s = (
            sb.settings.webhook_delay_s
            + sb.settings.webhook_connect_timeout_s
            + sb.settings.webhook_read_timeout_s
        )
    if finished.webhook_status is not None and finished.webhook_event is not None:
        deliveries = sb.notify(
            payment, finished.webhook_event, finished.webhook_status, held=order == "browser_first"
        )
        if order == "webhook_first":
            sb.webhooks.wait_first_attempts(deliveries, wait_s)
    return finished


def ask_confirm_url(url: str, body: dict) -> str | None:
    """None: go ahead. A string: the merchant's refusal reason ("" when it gave none)."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=CONFIRM_TIMEOUT_S) as response:  # noqa: S310
            if response.status == 200:
                return None
            return _reason(response.read())
    except urllib.error.HTTPError as exc:
        return _reason(exc.read())
    except (OSError, ValueError):
        return ""


def _reason(raw: bytes) -> str:
    try:
        reason = json.loads(raw.decode("utf-8")).get("reason")
    except (ValueError, AttributeError):
        return ""
    return str(reason) if reason else ""
