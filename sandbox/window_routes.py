"""Routes of the browser payment window: the `IMP` shim script and the endpoints it calls.

These answer any origin (CORS), because the shop's page is served from another port or host.
"""

from __future__ import annotations

import html
import pathlib
import urllib.parse

from sandbox.checkout import WindowRefused, callback_rsp, redirect_query
from sandbox.routing import Request, Response, Router
from sandbox.state import Sandbox
from sandbox.window_flow import finish_payment, open_payment

SHIM = pathlib.Path(__file__).with_name("static") / "iamport.js"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}


def cors(response: Response) -> Response:
    response.headers.update(CORS)
    return response


def register(router: Router, sb: Sandbox) -> None:
    def script(req: Request) -> Response:
        return cors(
            Response(
                200,
                SHIM.read_bytes(),
                {"Cache-Control": "no-store"},
                content_type="application/javascript; charset=UTF-8",
            )
        )

    def preflight(req: Request) -> Response:
        return cors(Response(204))

    def open_window(req: Request) -> Response:
        body = req.body()
        params = body.get("params")
        if not isinstance(params, dict):
            params = {}
        try:
            mode = body.get("mode")
            channel = mode if mode in ("pc", "mobile") else None
            payment = open_payment(sb, body.get("merchant_code"), params, req.header("user-agent"), channel)
        except WindowRefused as exc:
            # The window does not open: no payment exists, so imp_uid is null
            # (docs/iamport-v1.md#callback-rsp).
            rsp = callback_rsp(
                None, None, params, exc.error_code, exc.error_msg, legacy_success=sb.settings.legacy_success
            )
            return cors(Response(200, {"opened": False, "rsp": rsp, "redirect_url": _redirect(params, rsp)}))
        with sb.lock:
            account = sb.accounts.by_code(payment.merchant_code)
            summary = {
                "imp_uid": payment.imp_uid,
                "merchant_uid": payment.merchant_uid,
                "name": payment.name,
                "amount": payment.amount,
                "currency": payment.currency,
                "pay_method": payment.pay_method,
                "merchant_code": account.merchant_code if account else None,
            }
        return cors(Response(200, {"opened": True, "imp_uid": payment.imp_uid, "payment": summary}))

    def finish(req: Request) -> Response:
        body = req.body()
        imp_uid = req.params["imp_uid"]
        try:
            finished = finish_payment(sb, imp_uid, str(body.get("action") or ""))
        except WindowRefused as exc:
            return cors(Response(409, {"error_code": exc.error_code, "error_msg": exc.error_msg}))
        with sb.lock:
            params = {
                "custom_data": finished.payment.window.get("custom_data"),
                "m_redirect_url": finished.payment.window.get("m_redirect_url"),
            }
            rsp = callback_rsp(finished.payment, finished, params, legacy_success=sb.settings.legacy_success)
        return cors(Response(200, {"rsp": rsp, "redirect_url": _redirect(params, rsp)}))

    def delivered(req: Request) -> Response:
        # The page now has its result: webhooks held for `browser_first` may go.
        released = sb.webhooks.release(req.params["imp_uid"])
        return cors(Response(200, {"released": released}))

    def receipt(req: Request) -> Response:
        with sb.lock:
            payment = sb.store.payments.get(req.params["imp_uid"])
            if payment is None:
                return Response(404, "<h1>Unknown payment</h1>", content_type="text/html; charset=UTF-8")
            rows = "".join(
                f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(getattr(payment, k)))}</td></tr>"
                for k in (
                    "imp_uid",
                    "merchant_uid",
                    "name",
                    "amount",
                    "currency",
                    "status",
                    "cancel_amount",
                    "paid_at",
                    "cancelled_at",
                )
            )
        page = (
            f"<!doctype html><meta charset=utf-8><title>Sandbox receipt</title>"
            f"<h1>I'mport sandbox receipt (not a real sales slip)</h1><table>{rows}</table>"
        )
        return Response(200, page, content_type="text/html; charset=UTF-8")

    router.add("GET", "/sandbox/iamport.js", script)
    router.add("OPTIONS", "/sandbox/window/open", preflight)
    router.add("POST", "/sandbox/window/open", open_window)
    router.add("OPTIONS", "/sandbox/window/{imp_uid}/finish", preflight)
    router.add("POST", "/sandbox/window/{imp_uid}/finish", finish)
    router.add("OPTIONS", "/sandbox/window/{imp_uid}/delivered", preflight)
    router.add("POST", "/sandbox/window/{imp_uid}/delivered", delivered)
    router.add("GET", "/sandbox/receipts/{imp_uid}", receipt)


def _redirect(params: dict, rsp: dict) -> str | None:
    """m_redirect_url plus the result query, keeping any query the merchant put in it."""
    target = params.get("m_redirect_url")
    if not target:
        return None
    parts = urllib.parse.urlsplit(str(target))
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True) + list(redirect_query(rsp).items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
