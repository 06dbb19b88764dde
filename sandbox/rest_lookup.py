"""REST routes that read: `POST /users/getToken` and the payment lookups (docs/iamport-v1.md#tokens,
#lookups)."""

from __future__ import annotations

import math

from sandbox.payments import STATUSES, Payment
from sandbox.routing import ApiError, Request, Response, Router, fail, ok, query_values
from sandbox.state import Sandbox
from sandbox.store import SORTINGS, sort_payments

MAX_IDS = 100
MAX_LIMIT = 1000
WINDOW_S = 90 * 24 * 3600
# /payments/status/{s} filters on the timestamp of each payment's current status (docs/iamport-v1.md#lookups).
STATUS_TIME = {"ready": "started_at", "paid": "paid_at", "cancelled": "cancelled_at", "failed": "failed_at"}


def register(router: Router, sb: Sandbox) -> None:
    def get_token(req: Request) -> Response:
        body = req.body()
        imp_key, imp_secret = body.get("imp_key"), body.get("imp_secret")
        if not imp_key or not imp_secret:
            return fail(400, -1, sb.messages.text("token_params_missing"))
        account = sb.accounts.authenticate(str(imp_key), str(imp_secret))
        if account is None:
            return fail(401, -1, sb.messages.text("bad_credentials"))
        now = sb.clock.now()
        token = sb.accounts.issue_token(account, now)
        sb.mark_dirty()
        return ok({"access_token": token.access_token, "now": now, "expired_at": token.expired_at})

    def get_many(req: Request) -> Response:
        imp_uids = query_values(req.query, "imp_uid")
        merchant_uids = query_values(req.query, "merchant_uid")
        if not imp_uids and not merchant_uids:
            return fail(400, -1, sb.messages.text("ids_missing"))
        if len(imp_uids) + len(merchant_uids) > MAX_IDS:
            return fail(400, -1, sb.messages.text("too_many_ids"))
        code = req.account.merchant_code
        found: list[Payment] = []
        missing: list[str] = []
        for imp_uid in imp_uids:
            payment = sb.store.get(code, imp_uid)
            if payment is None:
                missing.append(imp_uid)
            else:
                found.append(payment)
        for merchant_uid in merchant_uids:
            attempts = sb.store.by_merchant_uid(code, merchant_uid)
            if attempts:
                found.append(attempts[0])
            else:
                missing.append(merchant_uid)
        if not found:
            return not_found()
        listing = [p.to_api() for p in found]
        if missing:
            # Partial success: the same body as 200 (message null); the absent ids are simply missing.
            return ok(listing, status=207)
        return ok(listing)

    def get_payment(req: Request) -> Response:
        payment = sb.store.get(req.account.merchant_code, req.params["imp_uid"])
        return ok(payment.to_api()) if payment is not None else not_found()

    def find(req: Request) -> Response:
        status = _status(req.params.get("payment_status"), allow_all=False)
        sorting = _sorting(req)
        attempts = sb.store.by_merchant_uid(
            req.account.merchant_code, req.params["merchant_uid"], status, sorting
        )
        return ok(attempts[0].to_api()) if attempts else not_found()

    def find_all(req: Request) -> Response:
        status = _status(req.params.get("payment_status"), allow_all=False)
        sorting = _sorting(req)
        page, limit = _paging(req)
        attempts = sb.store.by_merchant_uid(
            req.account.merchant_code, req.params["merchant_uid"], status, sorting
        )
        if not attempts:
            return not_found()
        return _page(attempts, page, limit)

    def by_status(req: Request) -> Response:
        status = _status(req.params["payment_status"], allow_all=True)
        sorting = _sorting(req)
        page, limit = _paging(req)
        now = sb.clock.now()
        to = _int_arg(req, "to", now)
        since = _int_arg(req, "from", to - WINDOW_S)
        if since > to or to - since > WINDOW_S:
            raise ApiError(400, -1, sb.messages.text("bad_period"))
        matching = [
            p
            for p in sb.store.of_account(req.account.merchant_code)
            if (status is None or p.status == status) and since <= getattr(p, STATUS_TIME[p.status]) <= to
        ]
        return _page(sort_payments(matching, sorting), page, limit)

    def not_found() -> Response:
        return fail(404, -1, sb.messages.text("payment_not_found"))

    def _status(value: str | None, allow_all: bool) -> str | None:
        if value is None or (allow_all and value == "all"):
            return None
        if value not in STATUSES:
            raise ApiError(400, -1, sb.messages.text("bad_status"))
        return value

    def _sorting(req: Request) -> str:
        sorting = req.arg("sorting") or "-started"
        if sorting not in SORTINGS:
            raise ApiError(400, -1, sb.messages.text("bad_sorting"))
        return sorting

    def _paging(req: Request) -> tuple[int, int]:
        page = _int_arg(req, "page", 1)
        limit = _int_arg(req, "limit", 20)
        if page < 1:
            raise ApiError(400, -1, sb.messages.text("bad_page"))
        if not 1 <= limit <= MAX_LIMIT:
            raise ApiError(400, -1, sb.messages.text("bad_limit"))
        return page, limit

    def _int_arg(req: Request, name: str, default: int) -> int:
        raw = req.arg(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, -1, sb.messages.text("param_invalid", name=name)) from None

    def _page(payments: list[Payment], page: int, limit: int) -> Response:
        total = len(payments)
        last_page = max(1, math.ceil(total / limit))
        if page > last_page:
            return fail(400, -1, sb.messages.text("page_out_of_range"))
        chunk = payments[(page - 1) * limit : page * limit]
        return ok(
            {
                "total": total,
                # 0 means "no such page" (docs/iamport-v1.md#paged-lists).
                "previous": page - 1 if page > 1 else 0,
                "next": page + 1 if page < last_page else 0,
                "list": [p.to_api() for p in chunk],
            }
        )

    router.add("POST", "/users/getToken", get_token)
    router.add("GET", "/payments", get_many, auth=True)
    router.add("GET", "/payments/find/{merchant_uid}", find, auth=True)
    router.add("GET", "/payments/find/{merchant_uid}/{payment_status}", find, auth=True)
    router.add("GET", "/payments/findAll/{merchant_uid}", find_all, auth=True)
    router.add("GET", "/payments/findAll/{merchant_uid}/{payment_status}", find_all, auth=True)
    router.add("GET", "/payments/status/{payment_status}", by_status, auth=True)
    router.add("GET", "/payments/{imp_uid}", get_payment, auth=True)
