"""The whole sandbox state behind one lock, and its optional state file.

Every request that reads or changes payments, tokens or accounts holds `Sandbox.lock`. The state
file (if any) is rewritten atomically after each change, so a restarted dev stack keeps its data.
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile
import threading
from dataclasses import asdict

from sandbox.accounts import DEV_ACCOUNT, Account, AccountBook
from sandbox.clock import Clock
from sandbox.config import Settings
from sandbox.faults import Faults
from sandbox.messages import Messages
from sandbox.payments import Payment
from sandbox.store import PaymentStore
from sandbox.webhooks import Delivery, WebhookDispatcher

STATE_VERSION = 1


class Sandbox:
    def __init__(
        self,
        settings: Settings | None = None,
        accounts: list[Account] | None = None,
        state_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = Clock()
        self.faults = Faults()
        self._initial_settings = settings or Settings()
        self._initial_settings.validate()
        self._initial_accounts = [Account(**asdict(a)) for a in (accounts or [DEV_ACCOUNT])]
        self.settings = Settings(**asdict(self._initial_settings))
        self.messages = Messages()
        self.accounts = AccountBook(self._fresh_accounts())
        self.store = PaymentStore()
        self.webhooks = WebhookDispatcher(lambda: self.settings, self.faults, self.clock)
        self.base_url = ""
        self.generation = 0  # bumped on reset, so requests delayed by a fault do not touch new state
        self.state_file = pathlib.Path(state_file) if state_file else None
        self._dirty = False
        self.store.on_change = self.mark_dirty
        if self.state_file and self.state_file.exists():
            self._load()

    # -- lifecycle ---------------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.generation += 1
            self.clock.reset()
            self.faults.clear()
            self.webhooks.reset()
            self.settings = Settings(**asdict(self._initial_settings))
            self.messages = Messages()
            self.accounts = AccountBook(self._fresh_accounts())
            self.store = PaymentStore()
            self.store.on_change = self.mark_dirty
            self.mark_dirty()
            self.persist()

    def close(self) -> None:
        self.webhooks.reset()
        self.persist()

    # -- shared decisions --------------------------------------------------------------------

    def webhook_url_for(self, payment: Payment) -> str | None:
        """notice_url wins; otherwise the account's console URL; otherwise the server default."""
        if payment.notice_url:
            return payment.notice_url
        account = self.accounts.by_code(payment.merchant_code)
        if account is not None and account.webhook_url:
            return account.webhook_url
        return self.settings.webhook_url

    def receipt_url(self, imp_uid: str, cancellation_id: str | None = None) -> str:
        base = (self.settings.public_url or self.base_url).rstrip("/")
        suffix = f"?cancellation_id={cancellation_id}" if cancellation_id else ""
        return f"{base}/sandbox/receipts/{imp_uid}{suffix}"

    def notify(
        self,
        payment: Payment,
        event: str,
        status: str,
        cancellation_id: str | None = None,
        held: bool = False,
    ) -> list[Delivery]:
        return self.webhooks.notify(
            event=event,
            url=self.webhook_url_for(payment),
            imp_uid=payment.imp_uid,
            merchant_uid=payment.merchant_uid,
            status=status,
            cancellation_id=cancellation_id,
            held=held,
        )

    # -- persistence -------------------------------------------------------------------------

    def mark_dirty(self) -> None:
        self._dirty = True

    def persist(self) -> None:
        """Write the state file atomically (temp file + rename) if anything changed."""
        with self.lock:
            if self.state_file is None or not self._dirty:
                return
            data = {
                "version": STATE_VERSION,
                "store": self.store.snapshot(),
                "accounts": self.accounts.snapshot(),
            }
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".sandbox-state-", dir=self.state_file.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(data, handle, ensure_ascii=False)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.state_file)
            except BaseException:
                pathlib.Path(tmp).unlink(missing_ok=True)
                raise
            self._dirty = False

    def _load(self) -> None:
        assert self.state_file is not None
        advice = "delete it to start with no payments"
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read sandbox state file {self.state_file} ({exc}): {advice}") from exc
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ValueError(f"sandbox state file {self.state_file} has an unknown format: {advice}")
        try:
            self.store.restore(data.get("store", {}))
            self.accounts.restore(data.get("accounts", {}))
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            # A file edited by hand or written by another version: say which file, not a traceback.
            raise ValueError(
                f"sandbox state file {self.state_file} does not hold sandbox state ({exc!r}): {advice}"
            ) from exc

    def _fresh_accounts(self) -> list[Account]:
        return [Account(**asdict(a)) for a in self._initial_accounts]
