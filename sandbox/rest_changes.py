"""REST routes that change payments: prepare, cancel and virtual accounts (docs/iamport-v1.md#prepare)."""

from __future__ import annotations

from sandbox.cancels import CancelRefused, cancel, resolve_target
from sandbox.checkout import is_http_url, issue_vbank
from sandbox.payments import BANKS, Payment, custom_data_text, new_imp_uid, to_number
from sandbox.routing import ApiError, Request, Response, Router, fail, ok
from sandbox.state import Sandbox
from sandbox.store import Prepared

BUYER_FIELDS = ("buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode")


def register(router: Router, sb: Sandbox) -> None:

    def required(body: dict, name: str) -> str:
        value = body.get(name)
        if value is None or str(value).strip() == "":
            raise ApiError(400, -1, sb.messages.text("param_missing", name=name))
        return str(value)

    def number(body: dict, name: str, *, integer: bool = False, positive: bool = True) -> int | float:
        try:
            value = to_number(body.get(name))
        except ValueError:
            raise ApiError(400, -1, sb.messages.text("param_invalid", name=name)) from None
        if (integer and not isinstance(value, int)) or (positive and value <= 0):
            raise ApiError(400, -1, sb.messages.text("param_invalid", name=name))
        return value

    def prepare_fields(req: Request) -> Prepared:
        body = req.body()
        merchant_uid = required(body, "merchant_uid")
        if len(merchant_uid) > 40:
            raise ApiError(400, -1, sb.messages.text("param_invalid", name="merchant_uid"))
        required(body, "amount")
        currency = body.get("currency")
        return Prepared(merchant_uid, number(body, "amount"), str(currency).upper() if currency else None)

    def post_prepare(req: Request) -> Response:
        prepared = prepare_fields(req)
        code = req.account.merchant_code
        if sb.store.get_prepared(code, prepared.merchant_uid) is not None:
            return fail(200, 1, sb.messages.text("prepare_duplicate"))
        sb.store.put_prepared(code, prepared)
        return ok(prepared.to_api())

    def put_prepare(req: Request) -> Response:
        prepared = prepare_fields(req)
        code = req.account.merchant_code
        if sb.store.get_prepared(code, prepared.merchant_uid) is None:
            return fail(404, -1, sb.messages.text("prepare_not_found"))
        sb.store.put_prepared(code, prepared)
        return ok(prepared.to_api())

    def get_prepare(req: Request) -> Response:
        prepared = sb.store.get_prepared(req.account.merchant_code, req.params["merchant_uid"])
        if prepared is None:
            return fail(404, -1, sb.messages.text("prepare_not_found"))
        return ok(prepared.to_api())

    def post_cancel(req: Request) -> Response:
        body = req.body()
        try:
            payment = resolve_target(
                sb, req.account.merchant_code, body.get("imp_uid"), body.get("merchant_uid")
            )
            done = cancel(sb, payment, body)
        except CancelRefused as exc:
            # Business failures are HTTP 200 (docs/iamport-v1.md#failures).
            return fail(200, exc.code, exc.message)
        if sb.settings.webhook_on_api_cancel:
            req.notifications.append((done.payment, "api_cancel", "cancelled", done.cancellation_id))
        return ok(done.payment.to_api())

    def post_vbank(req: Request) -> Response:
        body = req.body()
        code = req.account.merchant_code
        merchant_uid = required(body, "merchant_uid")
        required(body, "amount")
        amount = number(body, "amount")
        bank_code = required(body, "vbank_code")
        required(body, "vbank_due")
        due = number(body, "vbank_due", integer=True)
        if bank_code not in BANKS:
            return fail(200, 1, sb.messages.text("vbank_bad_bank"))
        now = sb.clock.now()
        if due <= now:
            return fail(200, 1, sb.messages.text("vbank_due_past"))
        if sb.store.already_paid(code, merchant_uid):
            return fail(200, 1, sb.messages.text("already_paid"))
        pg_provider, _, pg_id = str(body.get("pg") or "html5_inicis").partition(".")
        notice = body.get("notice_url")
        if isinstance(notice, list):
            notice = notice[0] if notice else None
        if notice not in (None, "") and not is_http_url(notice):
            raise ApiError(400, -1, sb.messages.text("param_invalid", name="notice_url"))
        payment = sb.store.add(
            Payment(
                imp_uid=new_imp_uid(),
                merchant_uid=merchant_uid,
                merchant_code=code,
                amount=amount,
                pay_method="vbank",
                channel="api",
                pg_provider=pg_provider,
                pg_id=pg_id or "INIpayTest",
                name=_text(body.get("name")),
                custom_data=custom_data_text(body.get("custom_data")),
                started_at=now,
                updated_at=now,
                notice_url=str(notice) if notice else None,
            )
        )
        for buyer_field in BUYER_FIELDS:
            setattr(payment, buyer_field, _text(body.get(buyer_field)))
        issue_vbank(sb, payment, int(due), bank_code, holder=_text(body.get("vbank_holder")))
        req.notifications.append((payment, "vbank_issued", "ready", None))
        return ok(payment.to_api())

    def ready_vbank(req: Request) -> Payment | Response:
        payment = sb.store.get(req.account.merchant_code, req.params["imp_uid"])
        if payment is None:
            return fail(404, -1, sb.messages.text("payment_not_found"))
        if payment.pay_method != "vbank" or payment.status != "ready" or not payment.vbank_issued_at:
            return fail(400, -1, sb.messages.text("vbank_not_ready"))
        return payment

    def put_vbank(req: Request) -> Response:
        found = ready_vbank(req)
        if isinstance(found, Response):
            return found
        body = req.body()
        if body.get("amount") not in (None, ""):
            found.amount = number(body, "amount", integer=True)
        if body.get("vbank_due") not in (None, ""):
            due = int(number(body, "vbank_due", integer=True))
            if due <= sb.clock.now():
                return fail(200, 1, sb.messages.text("vbank_due_past"))
            found.vbank_date = due
        found.updated_at = sb.clock.now()
        sb.store.changed()
        return ok(found.to_api())

    def delete_vbank(req: Request) -> Response:
        found = ready_vbank(req)
        if isinstance(found, Response):
            return found
        now = sb.clock.now()
        # Voiding is undocumented beyond "not payable any more"; `cancelled` is the likely state
        # (docs/iamport-v1.md#vbanks).
        found.status = "cancelled"
        found.cancelled_at = now
        found.cancel_reason = sb.messages.text("vbank_voided")
        found.updated_at = now
        sb.store.changed()
        return ok(found.to_api())

    router.add("POST", "/payments/prepare", post_prepare, auth=True)
    router.add("PUT", "/payments/prepare", put_prepare, auth=True)
    router.add("GET", "/payments/prepare/{merchant_uid}", get_prepare, auth=True)
    router.add("POST", "/payments/cancel", post_cancel, auth=True)
    router.add("POST", "/vbanks", post_vbank, auth=True)
    router.add("PUT", "/vbanks/{imp_uid}", put_vbank, auth=True)
    router.add("DELETE", "/vbanks/{imp_uid}", delete_vbank, auth=True)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
