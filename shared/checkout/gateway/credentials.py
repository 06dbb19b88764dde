"""I'mport REST API credentials (`imp_key`, `imp_secret`) and where they come from.

Locally they are given in the environment. On AWS they live in SSM Parameter Store as SecureStrings and
are read through Powertools Parameters (cached for `max_age_s`, so a rotated secret is picked up without
a redeploy). The SSM read, and the boto3 import behind it, happen on the first token request, not at
import: a cold start that never talks to I'mport never pays for them. The SSM client has its own short
timeouts: boto3's defaults (60 s per attempt) would outlast the function's whole 29 s budget.

The secret never appears in a repr, a log line or an exception message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class MissingCredentials(RuntimeError):
    """Neither direct credentials nor SSM parameter names are configured."""


@dataclass(frozen=True)
class Credentials:
    key: str = field(repr=False)
    secret: str = field(repr=False)

    def __repr__(self) -> str:
        # The key identifies the merchant in I'mport's console: show only enough to tell two apart.
        return f"Credentials(key={self.key[:4]}…, secret=***)"

    __str__ = __repr__


CredentialsProvider = Callable[[], Credentials]


class SsmCredentials:
    """Reads the key and the secret from two SSM SecureString parameters, on demand, through a cache."""

    def __init__(
        self,
        key_param: str,
        secret_param: str,
        *,
        max_age_s: int = 300,
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 5.0,
    ) -> None:
        self.key_param = key_param
        self.secret_param = secret_param
        self.max_age_s = max_age_s
        self._timeouts = (connect_timeout_s, read_timeout_s)
        self._provider: Any = None
        self._lock = threading.Lock()

    def provider(self) -> Any:
        """The Powertools SSM provider (its cache lives as long as this object: one per container)."""
        with self._lock:
            if self._provider is None:
                # Imports boto3: only when the first token is needed.
                from aws_lambda_powertools.utilities.parameters import SSMProvider
                from botocore.config import Config

                connect_s, read_s = self._timeouts
                self._provider = SSMProvider(
                    boto_config=Config(
                        connect_timeout=connect_s,
                        read_timeout=read_s,
                        retries={"mode": "standard", "max_attempts": 2},
                    )
                )
            return self._provider

    def __call__(self) -> Credentials:
        ssm = self.provider()
        key = ssm.get(self.key_param, decrypt=True, max_age=self.max_age_s)
        secret = ssm.get(self.secret_param, decrypt=True, max_age=self.max_age_s)
        if not isinstance(key, str) or not isinstance(secret, str) or not key or not secret:
            raise MissingCredentials(f"SSM parameters {self.key_param} / {self.secret_param} are empty")
        return Credentials(key, secret)

    def __repr__(self) -> str:
        return f"SsmCredentials(key_param={self.key_param!r}, secret_param={self.secret_param!r})"


def _fixed(credentials: Credentials) -> CredentialsProvider:
    return lambda: credentials


def credentials_provider(
    *,
    api_key: str | None = None,
    api_secret: str | None = None,
    key_param: str | None = None,
    secret_param: str | None = None,
    max_age_s: int = 300,
) -> CredentialsProvider:
    """Direct credentials win (local runs), then the SSM parameter names; neither is a loud config error."""
    if api_key and api_secret:
        return _fixed(Credentials(api_key, api_secret))
    if key_param and secret_param:
        return SsmCredentials(key_param, secret_param, max_age_s=max_age_s)
    raise MissingCredentials(
        "I'mport credentials are not configured: set IAMPORT_API_KEY and IAMPORT_API_SECRET (local) "
        "or IAMPORT_API_KEY_PARAM and IAMPORT_API_SECRET_PARAM (SSM parameter names)"
    )
