"""Every message the sandbox can send, keyed by situation.

Texts marked REAL were observed from the live API (docs/iamport-v1.md#messages, #sandbox-choices); the others
are
undocumented there, so the sandbox picks a plausible Korean text. Every entry can be overridden per
server (`POST /sandbox/config {"messages": {...}}`) for clients that match on text.
"""

from __future__ import annotations

REAL = {
    "payment_not_found": "존재하지 않는 결제정보입니다.",
    "prepare_not_found": "사전등록된 결제정보가 존재하지 않습니다.",
    "prepare_duplicate": "결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다).",
    "cancel_not_found": "취소할 결제건이 존재하지 않습니다.",
    "cancel_already_cancelled": "이미 전액취소된 주문입니다.",
    "cancel_amount_exceeds": (
        "결제취소에 실패하였습니다.(requested cancel amount is bigger than cancelable amount)"
    ),
    "bad_status": "지원되지 않는 상태값입니다.",
    "token_params_missing": "imp_key, imp_secret 파라메터가 누락되었습니다.",
    "confirm_refused": "고객사 요청에 의해 결제를 중단합니다. (상세사유 : {reason})",
    "pg_declined": "카드정보 인증에 실패하였습니다.",
}

CHOSEN = {
    "cancel_target_missing": "취소할 결제건의 imp_uid 또는 merchant_uid 중 하나는 지정해주셔야합니다.",
    "bad_credentials": "imp_key 또는 imp_secret이 올바르지 않습니다.",
    "unauthorized": "Unauthorized",
    "route_not_found": "요청하신 API를 찾을 수 없습니다.",
    "method_not_allowed": "허용되지 않는 HTTP 메소드입니다.",
    "bad_body": "요청 본문을 해석할 수 없습니다.",
    "param_missing": "{name} 파라메터가 누락되었습니다.",
    "param_invalid": "{name} 파라메터가 올바르지 않습니다.",
    "too_many_ids": "한 번에 최대 100건까지 조회할 수 있습니다.",
    "ids_missing": "imp_uid[] 또는 merchant_uid[] 중 하나 이상을 지정해주셔야합니다.",
    "bad_sorting": "지원되지 않는 정렬기준입니다.",
    "bad_limit": "limit은 1 이상 1000 이하여야 합니다.",
    "bad_page": "page는 1 이상이어야 합니다.",
    "page_out_of_range": "요청하신 페이지가 범위를 벗어났습니다.",
    "bad_period": "조회기간은 from <= to 이면서 최대 90일까지 가능합니다.",
    "cancel_checksum_mismatch": (
        "요청하신 checksum({checksum})이 취소가능잔액({remaining})과 일치하지 않아 취소를 진행할 수 없습니다."
    ),
    "cancel_not_paid": "결제완료 상태가 아닌 결제건은 취소할 수 없습니다.",
    "cancel_unpaid_vbank": (
        "입금 전 가상계좌는 취소할 수 없습니다. 가상계좌 발급취소(DELETE /vbanks/{{imp_uid}})를 이용해주세요."
    ),
    "cancel_vbank_refund_missing": (
        "가상계좌 환불은 환불계좌정보(refund_holder, refund_bank, refund_account)가 필요합니다."
    ),
    "cancel_bad_amount": "취소요청금액은 0 이상이어야 합니다.",
    "already_paid": "이미 결제완료된 merchant_uid입니다.",
    "vbank_not_ready": "입금대기 상태의 가상계좌가 아닙니다.",
    "vbank_bad_bank": "지원되지 않는 은행코드입니다.",
    "vbank_due_past": "입금기한은 현재 시각 이후여야 합니다.",
    "vbank_due_passed": "입금기한이 지난 가상계좌입니다.",
    "vbank_voided": "가상계좌 발급취소",
    "prepare_mismatch": (
        "사전등록된 결제정보와 요청된 결제금액(또는 통화)이 일치하지 않아 결제를 진행할 수 없습니다."
    ),
    "unknown_merchant": "등록되지 않은 가맹점 식별코드입니다.",
    "not_initialised": "IMP.init()으로 가맹점 식별코드를 먼저 설정해주세요.",
    "user_cancelled": "사용자가 결제를 취소하셨습니다",
    "amount_not_number": "결제금액(amount)은 숫자여야 합니다.",
    "window_not_open": "진행중인 결제창이 아닙니다.",
    "payment_failed": "결제에 실패하였습니다.",
}

DEFAULTS: dict[str, str] = {**REAL, **CHOSEN}

# error_code values of the window's own refusals, made before any PG is involved (I'mport documents
# none, so they name the situation). What a PG reports (the buyer's cancel, a decline) is the PG's own
# code: sandbox/config.py, DEFAULT_PG_ERRORS.
ERROR_CODES = {
    "prepare_mismatch": "PREPARE_MISMATCH",
    "already_paid": "ALREADY_PAID",
    "unknown_merchant": "UNKNOWN_MERCHANT",
    "not_initialised": "NOT_INITIALISED",
    "confirm_refused": "CONFIRM_REFUSED",
    "amount_not_number": "INVALID_PARAM",
    "param_missing": "INVALID_PARAM",
    "param_invalid": "INVALID_PARAM",
}


class Messages:
    """The active catalog: defaults plus per-server overrides."""

    def __init__(self, overrides: dict[str, str] | None = None) -> None:
        self.overrides: dict[str, str] = dict(overrides or {})

    def text(self, key: str, **fields: object) -> str:
        template = self.overrides.get(key, DEFAULTS[key])
        return template.format(**fields) if fields else template.replace("{{", "{").replace("}}", "}")

    def update(self, overrides: dict[str, str]) -> None:
        unknown = sorted(set(overrides) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"unknown message keys: {', '.join(unknown)}")
        self.overrides.update({k: str(v) for k, v in overrides.items()})
