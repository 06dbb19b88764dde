"""Merchant accounts (imp code + REST key/secret) and their access tokens (docs/iamport-v1.md#tokens).

Token rules: a token lives 30 minutes; asking again while it is valid returns the same token and the
same `expired_at`, except within its last minute, when the expiry moves 5 minutes later (several web
servers of one merchant share a token and their clocks drift). After expiry a new token is issued.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import asdict, dataclass

from sandbox import DEV_IMP_KEY, DEV_IMP_SECRET, DEV_MERCHANT_CODE

TOKEN_LIFETIME_S = 1800
EXTEND_WINDOW_S = 60
EXTEND_BY_S = 300


@dataclass
class Account:
    merchant_code: str
    imp_key: str
    imp_secret: str
    webhook_url: str | None = None  # the console's webhook URL; None: the server's default

    def public(self) -> dict[str, object]:
        """Account without its secret, for listings."""
        data = asdict(self)
        data.pop("imp_secret")
        return data


@dataclass
class Token:
    access_token: str
    merchant_code: str
    expired_at: int


DEV_ACCOUNT = Account(DEV_MERCHANT_CODE, DEV_IMP_KEY, DEV_IMP_SECRET)


class AccountBook:
    """Accounts and the one live token per account. The caller holds the sandbox lock."""

    def __init__(self, accounts: list[Account] | None = None) -> None:
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[str, Token] = {}  # by access_token
        for account in accounts or [DEV_ACCOUNT]:
            self.add(account)

    def add(self, account: Account) -> None:
        for existing in self.accounts.values():
            if existing.imp_key == account.imp_key and existing.merchant_code != account.merchant_code:
                raise ValueError(f"imp_key {account.imp_key!r} already belongs to {existing.merchant_code}")
        self.accounts[account.merchant_code] = account

    def by_code(self, merchant_code: str) -> Account | None:
        return self.accounts.get(merchant_code)

    def authenticate(self, imp_key: str, imp_secret: str) -> Account | None:
        for account in self.accounts.values():
            # Constant-time comparison: the sandbox is also a model of how to check secrets.
            if hmac.compare_digest(account.imp_key, imp_key) and hmac.compare_digest(
                account.imp_secret, imp_secret
            ):
                return account
        return None

    def issue_token(self, account: Account, now: int) -> Token:
        live = self._live_token(account.merchant_code, now)
        if live is not None:
            if live.expired_at - now <= EXTEND_WINDOW_S:
                live.expired_at += EXTEND_BY_S
            return live
        token = Token(secrets.token_hex(20), account.merchant_code, now + TOKEN_LIFETIME_S)
        self.tokens = {k: t for k, t in self.tokens.items() if t.merchant_code != account.merchant_code}
        self.tokens[token.access_token] = token
        return token

    def resolve_token(self, access_token: str, now: int) -> Account | None:
        token = self.tokens.get(access_token)
        if token is None or now >= token.expired_at:
            return None
        return self.accounts.get(token.merchant_code)

    def expire_token(self, access_token: str) -> None:
        self.tokens.pop(access_token, None)

    def _live_token(self, merchant_code: str, now: int) -> Token | None:
        for token in self.tokens.values():
            if token.merchant_code == merchant_code and now < token.expired_at:
                return token
        return None

    def snapshot(self) -> dict[str, object]:
        return {
            "accounts": [asdict(a) for a in self.accounts.values()],
            "tokens": [asdict(t) for t in self.tokens.values()],
        }

    def restore(self, data: dict) -> None:
        for raw in data.get("accounts", []):
            self.add(Account(**raw))
        self.tokens = {t["access_token"]: Token(**t) for t in data.get("tokens", [])}
