"""The I'mport access token, cached per gateway instance (= per Lambda container when wiring keeps one).

Rules (docs/iamport-v1.md#token-lifetime): a token lives 30 minutes; getToken while it is valid returns
the same token; a call within the last minute extends it by 5 minutes; any API call with an expired
token is a 401.

- The token is refreshed `refresh_margin_s` (60 s) before it expires. Expiry is measured as
  `expired_at - now` with both numbers from the *server*, then counted down on the local monotonic
  clock: a container whose wall clock is off by minutes still refreshes on time.
- Single flight: when many threads need a token at once, exactly one calls getToken; the others wait
  for its result instead of stampeding the endpoint.
- On a 401 the caller invalidates the token it used; only that token is dropped, so a burst of 401s
  on one stale token leads to one refresh, not one per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field


class AccessToken(BaseModel):
    """`AuthAnnotation`: the token, its expiry and the server's clock at issue (unix seconds)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    access_token: str = Field(repr=False)
    expired_at: int
    now: int

    @property
    def lifetime_s(self) -> int:
        return self.expired_at - self.now


class TokenCache:
    def __init__(
        self,
        fetch: Callable[[], AccessToken],
        *,
        refresh_margin_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._refresh_margin_s = refresh_margin_s
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def get(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                # Count the lifetime from before the request: the answer's latency only shortens it.
                asked_at = self._clock()
                return self._store(self._fetch(), asked_at)
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget `token` if it is still the cached one (the server refused it)."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _store(self, issued: AccessToken, asked_at: float) -> str:
        lifetime = max(issued.lifetime_s, 0)
        # A token issued close to its end (e.g. reissued inside the last minute) would otherwise be
        # refreshed on every call: keep at least half of whatever lifetime the server granted.
        margin = min(self._refresh_margin_s, lifetime / 2)
        self._token = issued.access_token
        self._refresh_at = asked_at + lifetime - margin
        return issued.access_token

    def __repr__(self) -> str:
        return f"TokenCache(cached={self._token is not None})"
