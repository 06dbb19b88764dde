"""Per-server settings: webhook delivery and messages. Changed at run time with `POST /sandbox/config`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

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
    close_outcome: dict = field(default_factory=lambda: dict(DEFAULT_CLOSE_OUTCOME))

    def close_outcome_for(self, pg_provider: str | None) -> str:
        table = self.close_outcome
        return str(table.get(pg_provider or "", table.get("*", "ready")))

    def update(self, changes: dict) -> None:
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        if isinstance(changes.get("close_outcome"), dict) and isinstance(self.close_outcome, dict):
            # PGs not named keep their outcome: a test changes the one PG it is about.
            changes = {**changes, "close_outcome": {**self.close_outcome, **changes["close_outcome"]}}
        candidate = Settings(**{**asdict(self), **changes})
        candidate.validate()
        for name in changes:
            setattr(self, name, getattr(candidate, name))

    def validate(self) -> None:
        if not isinstance(self.close_outcome, dict) or not all(
            isinstance(pg, str) and outcome in CLOSE_OUTCOMES for pg, outcome in self.close_outcome.items()
        ):
            raise ValueError('close_outcome must map PG codes (or "*") to "failed" or "ready"')
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

    def to_dict(self) -> dict:
        return asdict(self)
