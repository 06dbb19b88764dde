"""The payment window's decisions, shared by the browser shim and `POST /sandbox/payments`.

Opening the window validates the request_pay parameters, enforces the pre-registered amount
(docs/iamport-v1.md#prepare) and refuses a merchant_uid that was already paid; only then is a `ready` payment
created. Finishing it approves, declines, abandons or issues a virtual account
(docs/iamport-v1.md#status-lifecycle).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import urllib.parse
from dataclasses import dataclass

from sandbox.accounts import Account
from sandbox.messages import ERROR_CODES
from sandbox.payments import BANKS, Payment, custom_data_text, new_imp_uid, to_number
from sandbox.state import Sandbox

KST = dt.timezone(dt.timedelta(hours=9))
DEFAULT_VBANK_DUE_S = 72 * 3600
EASY_PAY = {"kakaopay", "naverpay", "payco", "tosspay", "samsung", "ssgpay", "lpay", "applepay"}
# The `pay_method` values the V1 SDK documents (PortOne's sdk/ko/v1-sdk/javascript-sdk/payrq.md;
# docs/iamport-v1.md#request-pay). Anything else (a typo such as "crad") keeps the window shut.
PAY_METHODS = frozenset(
    {
        "card",
        "trans",
        "vbank",
        "phone",
        "applepay",
        "naverpay",
        "samsungpay",
        "kpay",
        "kakaopay",
        "payco",
        "lpay",
        "ssgpay",
        "tosspay",
        "cultureland",
        "smartculture",
        "culturegift",
        "booknlife",
        "point",
        "wechat",
        "alipay",
        "unionpay",
        "pinpay",
        "ssgpay_bank",
        "skpay",
        "naverpay_card",
        "naverpay_point",
        "paypal",
        "toss_brandpay",
        "tosspay_card",
        "tosspay_money",
    }
)
# PG providers a V1 `pg` parameter may name (`provider` or `provider.MID`): the list in PortOne's
# sdk/ko/v1-sdk/javascript-sdk/payrq.md. An unknown provider keeps the window shut.
PG_PROVIDERS = frozenset(
    {
        "danal",
        "danal_tpay",
        "daou",
        "html5_inicis",
        "inicis_unified",
        "inicis",
        "kcp",
        "kcp_billing",
        "kicc",
        "ksnet",
        "mobilians",
        "nice",
        "nice_v2",
        "settle",
        "settle_acc",
        "smartro",
        "smartro_v2",
        "tosspayments",
        "toss_brandpay",
        "uplus",
        "welcome",
        "tosspay",
        "tosspay_v2",
        "payco",
        "kakaopay",
        "naverpay",
        "naverco",
        "smilepay",
        "paypal",
        "paypal_v2",
        "eximbay",
        "paymentwall",
    }
)
BUYER_FIELDS = ("buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode")
ACTIONS = ("pay", "fail", "close", "vbank")


class WindowRefused(Exception):
    """The window does not open (or cannot finish): the page gets error_code/error_msg."""

    def __init__(self, sandbox: Sandbox, key: str, **fields: object) -> None:
        self.error_code = ERROR_CODES.get(key, key.upper())
        self.error_msg = sandbox.messages.text(key, **fields)
        super().__init__(self.error_msg)


@dataclass
class Finished:
    payment: Payment
    success: bool
    error_code: str | None = None
    error_msg: str | None = None
    webhook_status: str | None = None  # the notification this outcome sends, if any
    webhook_event: str | None = None


def open_window(
    sb: Sandbox,
    account: Account,
    params: dict,
    user_agent: str | None,
    force: bool = False,
    channel: str | None = None,
) -> Payment:
    """Validate and create the `ready` payment. Caller holds sb.lock."""
    merchant_uid = params.get("merchant_uid")
    if not isinstance(merchant_uid, str) or not merchant_uid.strip():
        raise WindowRefused(sb, "param_missing", name="merchant_uid")
    if len(merchant_uid) > 40:
        raise WindowRefused(sb, "param_invalid", name="merchant_uid")
    amount = params.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
        # The real SDK insists on a number (docs/iamport-v1.md#request-pay).
        raise WindowRefused(sb, "amount_not_number")
    amount = to_number(amount)
    currency = str(params.get("currency") or "KRW").upper()
    if not force:
        prepared = sb.store.get_prepared(account.merchant_code, merchant_uid)
        if prepared is not None and (
            prepared.amount != amount or (prepared.currency is not None and prepared.currency != currency)
        ):
            raise WindowRefused(sb, "prepare_mismatch")
        if sb.store.already_paid(account.merchant_code, merchant_uid):
            raise WindowRefused(sb, "already_paid")
    now = sb.clock.now()
    try:
        vbank_due = parse_vbank_due(params.get("vbank_due"), now)
    except ValueError:
        raise WindowRefused(sb, "param_invalid", name="vbank_due") from None
    notice_url = _notice_url(params.get("notice_url"))
    # Checked now, not when the webhook or the confirmation fails later on a background thread.
    for name, url in (("notice_url", notice_url), ("confirm_url", params.get("confirm_url"))):
        if url not in (None, "") and not is_http_url(url):
            raise WindowRefused(sb, "param_invalid", name=name)
    pg_provider, _, pg_id = str(params.get("pg") or "html5_inicis").partition(".")
    pay_method = str(params.get("pay_method") or "card")
    if pg_provider not in PG_PROVIDERS:
        raise WindowRefused(sb, "param_invalid", name="pg")
    if pay_method not in PAY_METHODS:
        raise WindowRefused(sb, "param_invalid", name="pay_method")
    payment = Payment(
        imp_uid=new_imp_uid(),
        merchant_uid=merchant_uid,
        merchant_code=account.merchant_code,
        amount=amount,
        currency=currency,
        pay_method=pay_method,
        # The window says whether it ran on a PC or a phone; without a window (the control API), a
        # redirect URL means the phone's flow.
        channel=channel or ("mobile" if params.get("m_redirect_url") else "pc"),
        pg_provider=pg_provider or "html5_inicis",
        pg_id=pg_id or "INIpayTest",
        emb_pg_provider=pay_method if pay_method in EASY_PAY else None,
        # A form body carries "true"/"false" as text, and bool("false") would be True.
        escrow=params.get("escrow") in (True, "true", "True", "1"),
        name=_text(params.get("name"), 40),
        custom_data=custom_data_text(params.get("custom_data")),
        user_agent=user_agent,
        started_at=now,
        updated_at=now,
        notice_url=notice_url,
    )
    for buyer_field in BUYER_FIELDS:
        setattr(payment, buyer_field, _text(params.get(buyer_field), 128))
    payment.window = {
        "open": True,
        "vbank_due": vbank_due,
        "confirm_url": params.get("confirm_url") or None,
        "custom_data": params.get("custom_data"),
        "m_redirect_url": params.get("m_redirect_url"),
    }
    return sb.store.add(payment)


def finish_window(sb: Sandbox, payment: Payment, action: str, confirm_refusal: str | None = None) -> Finished:
    """Apply the buyer's choice in the window. Caller holds sb.lock (and made the confirm_url call)."""
    if action not in ACTIONS:
        raise WindowRefused(sb, "param_invalid", name="action")
    if not payment.window.get("open"):
        raise WindowRefused(sb, "window_not_open")
    payment.window["open"] = False
    now = sb.clock.now()
    if action == "close":
        code, reason = pg_error(sb, payment, "user_cancelled")
        if sb.settings.close_outcome_for(payment.pg_provider) == "failed":
            # The PG reports the buyer's cancel (Inicis): the payment is recorded failed with it.
            decline(sb, payment, reason)
        else:
            # Nothing reaches I'mport: the payment stays `ready` (docs/iamport-v1.md#status-lifecycle).
            payment.updated_at = now
            sb.store.changed()
        return Finished(payment, False, code, reason)  # no webhook either way
    if confirm_refusal is not None:
        reason = sb.messages.text("confirm_refused", reason=confirm_refusal or "알 수 없음")
        decline(sb, payment, reason)
        return Finished(payment, False, ERROR_CODES["confirm_refused"], reason)
    if action == "fail":
        code, reason = pg_error(sb, payment, "pg_declined")
        decline(sb, payment, reason)
        return Finished(payment, False, code, reason)  # failures send no webhook
    if action == "vbank":
        issue_vbank(sb, payment, int(payment.window["vbank_due"]), bank_code="004")
        return Finished(payment, True, webhook_status="ready", webhook_event="vbank_issued")
    approve(sb, payment, "card" if payment.pay_method == "vbank" else payment.pay_method)
    return Finished(payment, True, webhook_status="paid", webhook_event="paid")


def approve(sb: Sandbox, payment: Payment, pay_method: str | None) -> None:
    now = sb.clock.now()
    payment.pay_method = pay_method
    payment.status = "paid"
    payment.paid_at = now
    payment.updated_at = now
    payment.pg_tid = payment.pg_tid or f"sandbox_{secrets.token_hex(10)}"
    payment.receipt_url = sb.receipt_url(payment.imp_uid)
    if pay_method == "card":
        payment.apply_num = "".join(secrets.choice("0123456789") for _ in range(8))
        payment.card_code, payment.card_name = "361", "BC카드"
        payment.card_number, payment.card_quota, payment.card_type = "910020******3567", 0, 0
    elif pay_method == "trans":
        payment.bank_code, payment.bank_name = "004", BANKS["004"]
    sb.store.changed()


def pg_error(sb: Sandbox, payment: Payment, situation: str) -> tuple[str, str]:
    """The PG's own error_code and message for this situation (sandbox/README.md, "Error codes")."""
    code, message = sb.settings.pg_error(payment.pg_provider, situation)
    return code, message if message is not None else sb.messages.text(situation)


def decline(sb: Sandbox, payment: Payment, reason: str) -> None:
    now = sb.clock.now()
    payment.status = "failed"
    payment.failed_at = now
    payment.updated_at = now
    payment.fail_reason = reason
    sb.store.changed()


def issue_vbank(sb: Sandbox, payment: Payment, due: int, bank_code: str, holder: str | None = None) -> None:
    now = sb.clock.now()
    payment.pay_method = "vbank"
    payment.status = "ready"
    payment.vbank_code, payment.vbank_name = bank_code, BANKS[bank_code]
    payment.vbank_num = "".join(secrets.choice("0123456789") for _ in range(14))
    payment.vbank_holder = holder or "아임포트샌드박스"
    payment.vbank_date = due
    payment.vbank_issued_at = now
    payment.pg_tid = payment.pg_tid or f"sandbox_{secrets.token_hex(10)}"
    payment.receipt_url = sb.receipt_url(payment.imp_uid)
    payment.updated_at = now
    sb.store.changed()


def parse_vbank_due(value: object, now: int) -> int:
    """The browser's vbank_due strings (docs/iamport-v1.md#request-pay), read as Korean time; date-only = end
    of day."""
    if value is None or value == "":
        return now + DEFAULT_VBANK_DUE_S
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    text = str(value).strip()
    for fmt, date_only in (
        ("%Y-%m-%d %H:%M:%S", False),
        ("%Y%m%d%H%M%S", False),
        ("%Y-%m-%d", True),
        ("%Y%m%d", True),
        ("%Y-%m-%d %H:%M", False),
        ("%Y%m%d%H%M", False),
    ):
        try:
            parsed = dt.datetime.strptime(text, fmt).replace(tzinfo=KST)
        except ValueError:
            continue
        if date_only:
            parsed = parsed.replace(hour=23, minute=59, second=59)
        return int(parsed.timestamp())
    raise ValueError(f"vbank_due {text!r} is not YYYY-MM-DD, YYYYMMDD, YYYY-MM-DD HH:mm:ss or YYYYMMDDHHmmss")


def callback_rsp(
    payment: Payment | None,
    finished: Finished | None,
    params: dict,
    error_code: str | None = None,
    error_msg: str | None = None,
    *,
    legacy_success: bool = False,
) -> dict:
    """The object IMP.request_pay hands to the page's callback, as the current SDK builds it
    (docs/iamport-v1.md#callback-rsp): `imp_uid` (null when the window never opened) and `merchant_uid`
    always; `error_code`/`error_msg` only on failure; every other field only when it has a value;
    `custom_data` as the JSON text the API stores. `success`/`imp_success` only with `legacy_success`."""
    if finished is not None:
        error_code, error_msg = finished.error_code, finished.error_msg
    success = finished.success if finished is not None else False
    p = payment
    custom_data = params.get("custom_data")
    if custom_data is not None and not isinstance(custom_data, str):
        custom_data = json.dumps(custom_data, ensure_ascii=False, separators=(",", ":"))
    fields: dict[str, object] = {
        "error_code": None if success else error_code,
        "error_msg": None if success else error_msg,
        "pay_method": p.pay_method if p else params.get("pay_method"),
        "pg_provider": p.pg_provider if p else None,
        "emb_pg_provider": p.emb_pg_provider if p else None,
        "pg_tid": p.pg_tid if p else None,
        "pg_type": "payment" if p else None,
        "paid_amount": p.amount if p else params.get("amount"),
        "status": p.status if p else None,
        "name": p.name if p else params.get("name"),
        "currency": p.currency if p else params.get("currency"),
        **{f: (getattr(p, f) if p else params.get(f)) for f in BUYER_FIELDS},
        "custom_data": custom_data,
        "paid_at": (p.paid_at or None) if p else None,
        "receipt_url": p.receipt_url if p else None,
        "apply_num": p.apply_num if p else None,
        "card_name": p.card_name if p else None,
        "card_number": p.card_number if p else None,
        "card_quota": p.card_quota if p else None,
        "bank_name": p.bank_name if p else None,
        "vbank_num": p.vbank_num if p else None,
        "vbank_name": p.vbank_name if p else None,
        "vbank_holder": p.vbank_holder if p else None,
        "vbank_date": p.vbank_date if p else None,
    }
    rsp: dict[str, object] = {
        "imp_uid": p.imp_uid if p else None,
        "merchant_uid": p.merchant_uid if p else params.get("merchant_uid"),
        **{k: v for k, v in fields.items() if v is not None},
    }
    if legacy_success:
        rsp["success"] = rsp["imp_success"] = success
    return rsp


def redirect_query(rsp: dict) -> dict[str, str]:
    """The m_redirect_url query (docs/iamport-v1.md#redirect): ids, imp_success, and the error on failure."""
    failed = rsp.get("error_code") is not None or rsp.get("error_msg") is not None
    query = {"merchant_uid": str(rsp["merchant_uid"] or ""), "imp_success": "false" if failed else "true"}
    if rsp["imp_uid"]:
        query = {"imp_uid": str(rsp["imp_uid"]), **query}
    if failed:
        query["error_code"] = str(rsp.get("error_code") or "")
        query["error_msg"] = str(rsp.get("error_msg") or "")
    return query


def _text(value: object, limit: int) -> str | None:
    return None if value is None else str(value)[:limit]


def _notice_url(value: object) -> str | None:
    # POST /vbanks types notice_url as an array (docs/iamport-v1.md#transport): the first URL is the one used.
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value else None


def is_http_url(value: object) -> bool:
    """An absolute http(s) URL with a host: somewhere the sandbox can POST a webhook or a confirmation."""
    if not isinstance(value, str):
        return False
    parts = urllib.parse.urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
