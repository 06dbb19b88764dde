"""What a PG reports when the buyer cancels or it declines: the PG's own code and message, by PG.

I'mport passes the PG's error code and message on unchanged (sandbox/README.md, "Error codes"); the
sandbox keeps a table per PG, Toss Payments' entries from its published list, and a test may set its
own PG's.
"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.config import DEFAULT_PG_ERRORS, Settings
from sandbox.control import SandboxControlError
from tests.support.imp_api import ImpApi

TOSS_DECLINE = DEFAULT_PG_ERRORS["tosspayments"]["pg_declined"]


def test_a_toss_payments_decline_records_its_own_message(sandbox: Any, api: ImpApi) -> None:
    failed = sandbox.control.create_payment("order-pe1", 1000, outcome="failed", pg="tosspayments.tosstest")
    payment = api.payment(failed["imp_uid"])
    assert payment["status"] == "failed" and payment["pg_provider"] == "tosspayments"
    assert (
        payment["fail_reason"]
        == TOSS_DECLINE["message"]
        == "카드 사용이 거절되었습니다. 카드사 문의가 필요합니다."
    )


def test_other_pgs_record_the_catalog_message_and_report_a_sandbox_code(sandbox: Any, api: ImpApi) -> None:
    failed = sandbox.control.create_payment("order-pe2", 1000, outcome="failed", pg="kcp.T0000")
    assert api.payment(failed["imp_uid"])["fail_reason"] == "카드정보 인증에 실패하였습니다."
    settings = Settings()
    assert settings.pg_error("kcp", "pg_declined") == ("SANDBOX_PG_DECLINED", None)
    assert settings.pg_error(None, "user_cancelled") == ("SANDBOX_USER_CANCEL", None)
    assert settings.pg_error("tosspayments", "user_cancelled") == (
        "PAY_PROCESS_CANCELED",
        "사용자에 의해 결제가 취소되었습니다.",
    )


def test_a_test_sets_its_pgs_real_code_and_the_rest_stay(sandbox: Any, api: ImpApi) -> None:
    sandbox.control.configure(pg_errors={"kcp": {"pg_declined": {"code": "8003", "message": "한도초과"}}})
    config = sandbox.control.config()["pg_errors"]
    assert config["kcp"] == {"pg_declined": {"code": "8003", "message": "한도초과"}}
    assert config["tosspayments"] == DEFAULT_PG_ERRORS["tosspayments"]  # PGs not named keep theirs
    sandbox.control.configure(pg_errors={"kcp": {"user_cancelled": {"code": "3001"}}})
    assert sandbox.control.config()["pg_errors"]["kcp"]["pg_declined"]["code"] == "8003"  # merged
    failed = sandbox.control.create_payment("order-pe3", 1000, outcome="failed", pg="kcp.T0000")
    assert api.payment(failed["imp_uid"])["fail_reason"] == "한도초과"
    sandbox.control.reset()
    assert sandbox.control.config()["pg_errors"] == DEFAULT_PG_ERRORS


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"kcp": "8003"},
        {"kcp": {"declined": {"code": "8003"}}},
        {"kcp": {"pg_declined": {"message": "no code"}}},
        {"kcp": {"pg_declined": {"code": ""}}},
        {"kcp": {"pg_declined": {"code": "x" * 65}}},
        {"kcp": {"pg_declined": {"code": "8003", "message": 7}}},
        {"kcp": {"pg_declined": {"code": "8003", "extra": 1}}},
        {"*": {"pg_declined": {"code": 8003}}},
    ],
)
def test_a_bad_table_is_400_and_changes_nothing(sandbox: Any, bad: object) -> None:
    with pytest.raises(SandboxControlError) as refused:
        sandbox.control.configure(pg_errors=bad)
    assert refused.value.status == 400 and "pg_errors" in refused.value.message
    assert sandbox.control.config()["pg_errors"] == DEFAULT_PG_ERRORS


def test_table_settings_merge_what_a_change_names_and_other_settings_are_replaced() -> None:
    from sandbox.config import DEFAULT_CLOSE_OUTCOME

    settings = Settings()
    settings.update(
        {
            "close_outcome": {"kcp": "failed"},
            "pg_errors": {"tosspayments": {"pg_declined": {"code": "REJECT_CARD_COMPANY"}}},
            "webhook_copies": 2,
        }
    )

    assert settings.close_outcome == {**DEFAULT_CLOSE_OUTCOME, "kcp": "failed"}
    toss = settings.pg_errors["tosspayments"]
    assert toss["pg_declined"] == {"code": "REJECT_CARD_COMPANY"}  # an entry is replaced whole
    assert toss["user_cancelled"] == DEFAULT_PG_ERRORS["tosspayments"]["user_cancelled"]
    assert settings.webhook_copies == 2
    # The defaults themselves never change: a fresh server starts from them.
    assert Settings().close_outcome == DEFAULT_CLOSE_OUTCOME and "kcp" not in DEFAULT_CLOSE_OUTCOME
    assert DEFAULT_PG_ERRORS["tosspayments"]["pg_declined"]["code"] == "INVALID_REJECT_CARD"
