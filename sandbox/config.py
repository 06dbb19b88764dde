"""Per-server settings: webhook delivery and messages. Changed at run time with `POST /sandbox/config`."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from typing import Any

WEBHOOK_CONTENT_TYPES = {"json": "application/json", "form": "application/x-www-form-urlencoded"}
WEBHOOK_ORDERS = ("concurrent", "webhook_first", "browser_first")

# What closing the payment window leaves at I'mport, by PG (sandbox/README.md, "Closing the window"):
# `failed` (the PG reports the buyer's cancel, and the payment is recorded failed with it as the
# reason) or `ready` (nothing is recorded: the payment stays ready). Inicis is the one PG this is known
# for; for every other PG the sandbox keeps the payment `ready` unless told otherwise
# (`POST /sandbox/config {"close_outcome": {"<pg>": "failed"}}`, "*" for every PG not listed).
CLOSE_OUTCOMES = ("failed", "ready")
DEFAULT_CLOSE_OUTCOME = {
    "html5_inicis": "failed",
    "inicis_unified": "failed",
    "inicis": "failed",
    "*": "ready",
}

# What the PG reports when the buyer closes its window (`user_cancelled`) or it declines the payment
# (`pg_declined`): the `error_code` (and `error_msg`) of the callback's rsp and of the redirect, and the
# payment's `fail_reason` when it is recorded failed. I'mport passes the PG's own code and message on
# unchanged and keeps no common list (PortOne's FAQ, opi/ko/support/faq/undefined.md); each PG's list
# is linked from opi/ko/support/code-info/pg-3.md. Toss Payments publishes its list
# (https://docs.tosspayments.com/reference/error-codes), so its entries are its own. For every other PG
# (`"*"`) the codes are the sandbox's, named so they cannot be taken for a real PG's: a test that needs
# its PG's real code sets it (`POST /sandbox/config {"pg_errors": {"<pg>": {"pg_declined": {"code":
# ...}}}}`). An entry without `message` uses the message catalog (`user_cancelled`, `pg_declined`).
PG_ERROR_SITUATIONS = ("user_cancelled", "pg_declined")
DEFAULT_PG_ERRORS: dict[str, dict[str, dict[str, str]]] = {
    "tosspayments": {
        "user_cancelled": {"code": "PAY_PROCESS_CANCELED", "message": "사용자에 의해 결제가 취소되었습니다."},
        "pg_declined": {
            "code": "INVALID_REJECT_CARD",
            "message": "카드 사용이 거절되었습니다. 카드사 문의가 필요합니다.",
        },
    },
    "*": {
        "user_cancelled": {"code": "SANDBOX_USER_CANCEL"},
        "pg_declined": {"code": "SANDBOX_PG_DECLINED"},
    },
}


def _merged(current: object, changes: object, depth: int) -> object:
    """`changes` laid over `current` down to `depth` levels of tables: a table change names only the
    keys it is about (a PG, then a situation) and the others keep theirs. Anything that is not a table
    replaces what was there, and validate() says what is wrong with it. Never changes `current`."""
    if depth == 0 or not isinstance(changes, dict) or not isinstance(current, dict):
        return changes
    return {**current, **{key: _merged(current.get(key), value, depth - 1) for key, value in changes.items()}}


def _table(default: dict, depth: int) -> Any:
    """A setting that is a table of `depth` levels, merged by POST /sandbox/config (see `_merged`)."""
    return field(default_factory=lambda: copy.deepcopy(default), metadata={"merge_depth": depth})


@dataclass
class Settings:
    webhook_url: str | None = None
    webhook_content_type: str = "json"
    # I'mport documents webhooks only for console cancels; whether API cancels send one is unknown.
    webhook_on_api_cancel: bool = False
    webhook_retry: bool = False  # PortOne's optional resend: up to 5 tries on network error or 5xx
    webhook_retry_tries: int = 5
    webhook_retry_interval_s: float = 60.0
    webhook_delay_s: float = 0.0
    webhook_copies: int = 1  # > 1: every notification is delivered that many times
    webhook_drop: bool = False  # every notification is recorded but never sent
    # concurrent: like PortOne's default; webhook_first: the browser waits for the first delivery;
    # browser_first: held until the window has handed its result to the page (or webhook_hold_s).
    webhook_order: str = "concurrent"
    webhook_hold_s: float = 30.0
    webhook_connect_timeout_s: float = 10.0
    webhook_read_timeout_s: float = 30.0
    webhook_resend_timeout_s: float = 15.0
    public_url: str | None = None  # base of receipt URLs; the server's own URL when unset
    # The current SDK's rsp has no `success` (and `imp_success` is deprecated): true adds both, as older
    # SDK versions sent them, for pages written against those.
    legacy_success: bool = False
    # Tables whose changes merge: PG -> outcome; PG -> situation -> {code, message}.
    close_outcome: dict = _table(DEFAULT_CLOSE_OUTCOME, depth=1)
    pg_errors: dict = _table(DEFAULT_PG_ERRORS, depth=2)

    def pg_error(self, pg_provider: str | None, situation: str) -> tuple[str, str | None]:
        """(error_code, message or None for the catalog's) the PG reports in this situation."""
        entry = self.pg_errors.get(pg_provider or "", {}).get(situation) or self.pg_errors["*"][situation]
        return str(entry["code"]), entry.get("message")

    def close_outcome_for(self, pg_provider: str | None) -> str:
        table = self.close_outcome
        return str(table.get(pg_provider or "", table.get("*", "ready")))

    def update(self, changes: dict) -> None:
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        # A table setting keeps what the change does not name: a test changes the one PG it is about.
        changes = {
            name: _merged(getattr(self, name), value, known[name].metadata.get("merge_depth", 0))
            for name, value in changes.items()
        }
        candidate = Settings(**{**asdict(self), **changes})
        candidate.validate()
        for name in changes:
            setattr(self, name, getattr(candidate, name))

    def validate(self) -> None:
        if not isinstance(self.close_outcome, dict) or not all(
            isinstance(pg, str) and outcome in CLOSE_OUTCOMES for pg, outcome in self.close_outcome.items()
        ):
            raise ValueError('close_outcome must map PG codes (or "*") to "failed" or "ready"')
        self._validate_pg_errors()
        if self.webhook_content_type not in WEBHOOK_CONTENT_TYPES:
            raise ValueError("webhook_content_type must be 'json' or 'form'")
        if self.webhook_order not in WEBHOOK_ORDERS:
            raise ValueError(f"webhook_order must be one of {', '.join(WEBHOOK_ORDERS)}")
        for name in ("webhook_on_api_cancel", "webhook_retry", "webhook_drop", "legacy_success"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false")
        for name in ("webhook_retry_tries", "webhook_copies"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 20:
                raise ValueError(f"{name} must be an integer from 1 to 20")
        for name in (
            "webhook_retry_interval_s",
            "webhook_delay_s",
            "webhook_hold_s",
            "webhook_connect_timeout_s",
            "webhook_read_timeout_s",
            "webhook_resend_timeout_s",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 3600:
                raise ValueError(f"{name} must be a number of seconds from 0 to 3600")
        for name in ("webhook_url", "public_url"):
            value = getattr(self, name)
            if value is not None and not (
                isinstance(value, str) and value.startswith(("http://", "https://"))
            ):
                raise ValueError(f"{name} must be an http(s) URL or null")

    def _validate_pg_errors(self) -> None:
        shape = (
            'pg_errors must map PG codes (or "*") to {"user_cancelled"|"pg_declined": {"code": text of 1-64'
            ' characters, "message"?: text of 1-500 characters}}, and "*" must name both situations'
        )
        table = self.pg_errors
        if not isinstance(table, dict) or not isinstance(table.get("*"), dict):
            raise ValueError(shape)
        for pg, entries in table.items():
            if not isinstance(pg, str) or not isinstance(entries, dict):
                raise ValueError(shape)
            for situation, entry in entries.items():
                if situation not in PG_ERROR_SITUATIONS or not isinstance(entry, dict):
                    raise ValueError(shape)
                code, message = entry.get("code"), entry.get("message")
                if set(entry) - {"code", "message"} or not isinstance(code, str) or not 1 <= len(code) <= 64:
                    raise ValueError(shape)
                if message is not None and (not isinstance(message, str) or not 1 <= len(message) <= 500):
                    raise ValueError(shape)
        if set(table["*"]) != set(PG_ERROR_SITUATIONS):
            raise ValueError(shape)

    def to_dict(self) -> dict:
        return asdict(self)
