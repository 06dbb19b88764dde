"""Settings: the environment the template gives every function, validated once per container.

Bad configuration fails loudly at import/cold start (a `ConfigError` listing every problem), never
later in the middle of a payment. Credentials are `SecretStr` so they never show up in a log line or a
repr.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

_URL = r"^https?://[^\s/]+(/[^\s]*)?$"
TableName = Annotated[str, Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.\-]+$")]


class ConfigError(RuntimeError):
    """The function's environment is incomplete or invalid."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    products_table: TableName = Field(alias="PRODUCTS_TABLE")
    carts_table: TableName = Field(alias="CARTS_TABLE")
    orders_table: TableName = Field(alias="ORDERS_TABLE")
    points_table: TableName = Field(alias="POINTS_TABLE")
    idempotency_table: TableName = Field(alias="IDEMPOTENCY_TABLE")
    dynamodb_endpoint: str | None = Field(default=None, alias="DYNAMODB_ENDPOINT", pattern=_URL)
    region: str = Field(default="ap-northeast-2", alias="AWS_REGION", pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")

    iamport_base_url: str = Field(default="https://api.iamport.kr", alias="IAMPORT_BASE_URL", pattern=_URL)
    iamport_api_key: SecretStr | None = Field(default=None, alias="IAMPORT_API_KEY")
    iamport_api_secret: SecretStr | None = Field(default=None, alias="IAMPORT_API_SECRET")
    iamport_api_key_param: str | None = Field(default=None, alias="IAMPORT_API_KEY_PARAM")
    iamport_api_secret_param: str | None = Field(default=None, alias="IAMPORT_API_SECRET_PARAM")
    iamport_pg: str = Field(default="html5_inicis", alias="IAMPORT_PG", min_length=2, max_length=64)

    public_api_url: str = Field(alias="PUBLIC_API_URL", pattern=_URL)
    site_url: str = Field(alias="SITE_URL", pattern=_URL)

    min_cash_amount: int = Field(default=100, alias="MIN_CASH_AMOUNT", ge=1, le=1_000_000)
    # Unpaid orders one buyer may hold at once (each holds stock and costs a registration at I'mport).
    max_open_orders: int = Field(default=3, alias="MAX_OPEN_ORDERS", ge=1, le=100)
    points_earn_bp: int = Field(default=100, alias="POINTS_EARN_BP", ge=0, le=10_000)
    order_ttl_minutes: int = Field(default=30, alias="ORDER_TTL_MINUTES", ge=1, le=24 * 60)
    vbank_ttl_hours: int = Field(default=72, alias="VBANK_TTL_HOURS", ge=1, le=24 * 30)

    admin_groups_claim: str = Field(default="cognito:groups", alias="ADMIN_GROUPS_CLAIM", min_length=1)
    admin_group: str = Field(default="admin", alias="ADMIN_GROUP", min_length=1)
    webhook_allowed_ips: tuple[str, ...] = Field(default=(), alias="WEBHOOK_ALLOWED_IPS")

    @field_validator("public_api_url", "site_url", "iamport_base_url", "dynamodb_endpoint")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @field_validator("webhook_allowed_ips", mode="before")
    @classmethod
    def _split_ips(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(ip.strip() for ip in value.split(",") if ip.strip())
        return value

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        # Lambda sets AWS_REGION; tools and older SDK setups often only set AWS_DEFAULT_REGION.
        if not env.get("AWS_REGION") and env.get("AWS_DEFAULT_REGION"):
            env["AWS_REGION"] = env["AWS_DEFAULT_REGION"]
        # An empty variable in a template means "not set".
        env = {k: v for k, v in env.items() if v != ""}
        try:
            settings = cls.model_validate(env)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"invalid checkout configuration: {problems}") from None
        settings._check_credentials()
        return settings

    def _check_credentials(self) -> None:
        # A key without its secret (or a parameter name without its partner) is always a mistake.
        if (self.iamport_api_key is None) != (self.iamport_api_secret is None):
            raise ConfigError("IAMPORT_API_KEY and IAMPORT_API_SECRET must be set together")
        if (self.iamport_api_key_param is None) != (self.iamport_api_secret_param is None):
            raise ConfigError("IAMPORT_API_KEY_PARAM and IAMPORT_API_SECRET_PARAM must be set together")

    @property
    def complete_url(self) -> str:
        """`m_redirect_url`: where the mobile payment window sends the buyer back."""
        return f"{self.public_api_url}/payments/complete"

    @property
    def notice_url(self) -> str:
        """I'mport's per-payment webhook URL (overrides the console setting, docs/iamport-v1.md#webhooks)."""
        return f"{self.public_api_url}/iamport/webhook"


@functools.lru_cache(maxsize=1)
def load_settings() -> Settings:
    """The container's settings, read from the environment once."""
    return Settings.from_env()
