"""Per-server settings: webhook delivery and messages. Changed at run time with `POST /sandbox/config`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

WEBHOOK_CONTENT_TYPES = {"json": "application/json", "form": "application/x-www-form-urlencoded"}
WEBHOOK_ORDERS = ("concurrent", "webhook_first", "browser_first")


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

    def update(self, changes: dict) -> None:
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        candidate = Settings(**{**asdict(self), **changes})
        candidate.validate()
        for name in changes:
            setattr(self, name, getattr(candidate, name))

    def validate(self) -> None:
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
