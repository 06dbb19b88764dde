"""The control API under /sandbox/ (not part of I'mport): drive payments, time, faults and webhooks.

Replies use the same envelope as the REST API; failures carry a proper HTTP status (400 bad input,
404 unknown payment, 409 not possible in the payment's state) and, from the window, an `error_code`.
"""

from __future__ import annotations

from sandbox import DEV_IMP_KEY, DEV_IMP_SECRET, DEV_MERCHANT_CODE
from sandbox.accounts import Account
from sandbox.cancels import CancelRefused, cancel
from sandbox.checkout import WindowRefused, approve
from sandbox.routing import ApiError, Request, Response, Router, fail, ok
from sandbox.state import Sandbox
from sandbox.window_flow import finish_payment, open_payment

OUTCOMES = {"paid": "pay", "failed": "fail", "vbank": "vbank", "abandoned": "close"}
WINDOW_PARAMS = (
    "merchant_uid",
    "amount",
    "pay_method",
    "name",
    "currency",
    "notice_url",
    "custom_data",
    "vbank_due",
    "confirm_url",
    "pg",
    "buyer_name",
    "buyer_email",
    "buyer_tel",
    "buyer_addr",
    "buyer_postcode",
    "escrow",
)


CONSOLE_CANCEL_REASON = "관리자페이지취소"


def register(router: Router, sb: Sandbox) -> None:
    def bad(message: str) -> ApiError:
        return ApiError(400, -1, message)

    def create_payment(req: Request) -> Response:
        body = req.body()
        outcome = body.get("outcome", "paid")
        if outcome not in OUTCOMES:
            raise bad(f"outcome must be one of {', '.join(OUTCOMES)}")
        force = body.get("force", False)
        if not isinstance(force, bool):
            raise bad("force must be true or false")
        params = {k: body[k] for k in WINDOW_PARAMS if k in body}
        if outcome == "vbank":
            params["pay_method"] = "vbank"
        try:
            payment = open_payment(
                sb,
                body.get("merchant_code") or first_account(),
                params,
                req.header("user-agent"),
                force=force,
            )
            finished = finish_payment(sb, payment.imp_uid, OUTCOMES[outcome])
        except WindowRefused as exc:
            return Response(
                409, {"code": 1, "message": exc.error_msg, "response": None, "error_code": exc.error_code}
            )
        with sb.lock:
            return ok(finished.payment.to_api())

    def list_payments(req: Request) -> Response:
        with sb.lock:
            return ok([p.to_api() for p in sorted(sb.store.payments.values(), key=lambda p: p.seq)])

    def deposit(req: Request) -> Response:
        with sb.lock:
            payment = sb.store.payments.get(req.params["imp_uid"])
            if payment is None:
                return fail(404, -1, sb.messages.text("payment_not_found"))
            if payment.pay_method != "vbank" or payment.status != "ready" or not payment.vbank_issued_at:
                return fail(409, 1, sb.messages.text("vbank_not_ready"))
            if sb.clock.now() > payment.vbank_date:
                # The bank refuses deposits after the due date (our choice for an undocumented case,
                # docs/iamport-v1.md#vbanks).
                return fail(409, 1, sb.messages.text("vbank_due_passed"))
            approve(sb, payment, "vbank")
            req.notifications.append((payment, "vbank_deposit", "paid", None))
            return ok(payment.to_api())

    def console_cancel(req: Request) -> Response:
        body = req.body()
        with sb.lock:
            payment = sb.store.payments.get(req.params["imp_uid"])
            if payment is None:
                return fail(404, -1, sb.messages.text("cancel_not_found"))
            try:
                # The console asks no checksum and books vbank refunds itself. Its cancels carry the reason
                # "관리자페이지취소" (docs bundle: opi/ko/console/guide/payments, 내역 검색 > 취소 사유).
                done = cancel(
                    sb,
                    payment,
                    {"amount": body.get("amount"), "reason": body.get("reason") or CONSOLE_CANCEL_REASON},
                    check_refund_account=False,
                )
            except CancelRefused as exc:
                return fail(409, exc.code, exc.message)
            req.notifications.append((payment, "console_cancel", "cancelled", done.cancellation_id))
            return ok(payment.to_api())

    def add_fault(req: Request) -> Response:
        body = req.body()
        try:
            fault = sb.faults.add(
                body.get("route"), body.get("kind"), body.get("count", 1), body.get("delay_s")
            )
        except ValueError as exc:
            raise bad(str(exc)) from None
        return ok(fault.to_dict())

    def clear_faults(req: Request) -> Response:
        sb.faults.clear()
        return ok([])

    def clock(req: Request) -> Response:
        if req.method == "POST":
            advance = req.body().get("advance_s")
            if isinstance(advance, bool) or not isinstance(advance, int | float):
                raise bad("advance_s must be a number of seconds")
            try:
                sb.clock.advance(advance)
            except ValueError as exc:
                raise bad(str(exc)) from None
        return ok({"now": sb.clock.now(), "offset_s": sb.clock.offset_s})

    def webhooks(req: Request) -> Response:
        return ok(sb.webhooks.records(req.arg("imp_uid")))

    def resend(req: Request) -> Response:
        body = req.body()
        if not body.get("delivery_id") and not body.get("imp_uid"):
            raise bad("give delivery_id or imp_uid")
        try:
            delivery = sb.webhooks.resend(body.get("delivery_id"), body.get("imp_uid"))
        except LookupError as exc:
            return fail(404, -1, str(exc))
        return ok(delivery.to_dict())

    def release(req: Request) -> Response:
        imp_uid = req.body().get("imp_uid")
        if not imp_uid:
            raise bad("imp_uid is required")
        return ok({"released": sb.webhooks.release(str(imp_uid))})

    def reset(req: Request) -> Response:
        sb.reset()
        return ok({"reset": True})

    def config(req: Request) -> Response:
        if req.method == "POST":
            body = dict(req.body())
            messages = body.pop("messages", None)
            try:
                with sb.lock:
                    if messages is not None:
                        if not isinstance(messages, dict):
                            raise ValueError("messages must be an object")
                        sb.messages.update(messages)
                    sb.settings.update(body)
            except (ValueError, TypeError) as exc:
                raise bad(str(exc)) from None
        return ok({**sb.settings.to_dict(), "messages": dict(sb.messages.overrides)})

    def accounts(req: Request) -> Response:
        with sb.lock:
            if req.method == "POST":
                body = req.body()
                code, key, secret = (body.get(k) for k in ("merchant_code", "imp_key", "imp_secret"))
                if not all(isinstance(v, str) and v for v in (code, key, secret)):
                    raise bad("merchant_code, imp_key and imp_secret are required strings")
                webhook_url = body.get("webhook_url")
                if webhook_url is not None and not str(webhook_url).startswith(("http://", "https://")):
                    raise bad("webhook_url must be an http(s) URL")
                try:
                    sb.accounts.add(Account(str(code), str(key), str(secret), webhook_url))
                except ValueError as exc:
                    raise bad(str(exc)) from None
                sb.mark_dirty()
            return ok([a.public() for a in sb.accounts.accounts.values()])

    def index(req: Request) -> Response:
        return ok(
            {
                "name": "I'mport V1 sandbox",
                "url": sb.base_url,
                "dev_credentials": {
                    "merchant_code": DEV_MERCHANT_CODE,
                    "imp_key": DEV_IMP_KEY,
                    "imp_secret": DEV_IMP_SECRET,
                },
                "script": f"{sb.base_url}/sandbox/iamport.js",
            }
        )

    def first_account() -> str:
        with sb.lock:
            return next(iter(sb.accounts.accounts))

    router.add("GET", "/sandbox", index)
    router.add("POST", "/sandbox/payments", create_payment)
    router.add("GET", "/sandbox/payments", list_payments)
    router.add("POST", "/sandbox/payments/{imp_uid}/deposit", deposit)
    router.add("POST", "/sandbox/payments/{imp_uid}/console-cancel", console_cancel)
    router.add("POST", "/sandbox/faults", add_fault)
    router.add("GET", "/sandbox/faults", lambda req: ok(sb.faults.list()))
    router.add("DELETE", "/sandbox/faults", clear_faults)
    router.add("GET", "/sandbox/clock", clock)
    router.add("POST", "/sandbox/clock", clock)
    router.add("GET", "/sandbox/webhooks", webhooks)
    router.add("POST", "/sandbox/webhooks/resend", resend)
    router.add("POST", "/sandbox/webhooks/release", release)
    router.add("POST", "/sandbox/reset", reset)
    router.add("GET", "/sandbox/config", config)
    router.add("POST", "/sandbox/config", config)
    router.add("GET", "/sandbox/accounts", accounts)
    router.add("POST", "/sandbox/accounts", accounts)
