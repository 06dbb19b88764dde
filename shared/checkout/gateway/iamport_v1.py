"""The I'mport (PortOne V1) REST adapter of the `PaymentGateway` port, on `requests`.

Keep one instance per container (wiring builds it once): it owns the HTTP connection pool and the
cached access token. What it does better than the official client (docs/iamport-v1.md#official-client):
it caches the token instead of fetching one per call, sets a timeout on every request, retries only
what is safe to repeat, and raises typed errors that keep the HTTP status and the envelope's
`code`/`message`.

Which calls are retried (on connection errors, timeouts, 5xx and 429):
- GETs (single and batch lookups, listings by status), and getToken (a repeated getToken returns the
  same token, docs/iamport-v1.md#token-lifetime);
- `prepare`: the whole operation converges (see `prepare`), so a repeat after a lost answer is harmless;
- `cancel` only when it carries a `checksum`: I'mport refuses a cancel whose checksum no longer equals
  the cancellable balance, so a repeat of a cancel that did go through is refused, never paid twice.
  Without a checksum a repeat could refund twice, so it is never repeated;
- never `void_vbank` (not needed: a retry would only hit "not ready" after a success).
Every authorized call is repeated once after an HTTP 401 with a fresh token: a 401 is decided before
I'mport does anything, so this is safe for all of them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests
import urllib3
from requests.adapters import HTTPAdapter

from checkout.deadline import time_left_s
from checkout.gateway.credentials import Credentials, CredentialsProvider
from checkout.gateway.envelope import parse_model, unwrap
from checkout.gateway.models import Payment, PaymentPage, PaymentStatus, PreparedAmount
from checkout.gateway.retry import RetryPolicy, Timeouts
from checkout.gateway.token import AccessToken, TokenCache
from checkout.payment_errors import (
    CancelRejected,
    IamportError,
    IamportMalformedResponse,
    IamportNotFound,
    IamportRejected,
    IamportUnavailable,
    PaymentNotFound,
)

DEFAULT_BASE_URL = "https://api.iamport.kr"
# An I'mport call is not started with less time than this left in the invocation.
MIN_CALL_S = 1.0
# The largest answer read (a page of 100 payments is a few hundred KiB).
MAX_ANSWER_BYTES = 8 * 1024 * 1024
_CHUNK = 64 * 1024

# Batch lookup and listing limits, as I'mport documents them (docs bundle: `schema/v1.openapi.json`,
# operations `getPaymentListByImpUid` and `getPaymentsByStatus`).
MAX_BATCH_IDS = 100  # ids per `GET /payments`
MAX_PAGE_LIMIT = 1000  # `limit` of `GET /payments/status/{status}`
MAX_LIST_WINDOW = timedelta(days=90)  # `to - from` of `GET /payments/status/{status}`
LIST_STATUSES = frozenset({"all", *PaymentStatus})
LIST_SORTINGS = frozenset({"-started", "started", "-paid", "paid", "-updated", "updated"})

logger = logging.getLogger(__name__)


def _segment(value: str) -> str:
    # Ids come from browsers and webhooks: quote everything so an id can never turn into another route.
    return quote(value, safe="")


class IamportV1Gateway:
    def __init__(
        self,
        credentials: Credentials | CredentialsProvider,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        token_refresh_margin_s: float = 60.0,
        pool_size: int = 10,
        clock: Callable[[], float] = time.monotonic,
        on_unavailable: Callable[[str], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Told "METHOD /path" each time a call gives up because I'mport could not be reached or answered
        # garbage (after its retries): the wiring counts it as the IamportUnavailable metric.
        self._on_unavailable = on_unavailable
        self._credentials: CredentialsProvider = (
            (lambda: credentials) if isinstance(credentials, Credentials) else credentials
        )
        self._timeouts = timeouts or Timeouts()
        self._retry = retry or RetryPolicy()
        if session is None:
            session = requests.Session()
            # Retries are ours (they depend on the call); the pool only keeps connections warm.
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self._session = session
        # `clock` only paces token refreshes (tests move it); it never compares with server timestamps.
        self._tokens = TokenCache(self._issue_token, refresh_margin_s=token_refresh_margin_s, clock=clock)

    def __repr__(self) -> str:
        return f"IamportV1Gateway(base_url={self.base_url!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> IamportV1Gateway:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the PaymentGateway port -------------------------------------------------------------------

    def get_payment(self, imp_uid: str) -> Payment:
        """`GET /payments/{imp_uid}`. Raises PaymentNotFound."""
        if not imp_uid:
            raise PaymentNotFound("no imp_uid given")
        payload = self._call(
            "GET", f"/payments/{_segment(imp_uid)}", retryable=True, not_found=PaymentNotFound
        )
        return parse_model(Payment, payload)

    def find_payment(self, merchant_uid: str, status: str | None = None) -> Payment | None:
        """`GET /payments/find/{merchant_uid}[/{status}]`: the latest attempt (in `status`), or None.

        One merchant_uid may carry several attempts (a failed one, then a paid one): without `status`
        I'mport answers the most recently started one (docs/iamport-v1.md#find-by-merchant-uid).
        """
        if status is not None and status not in set(PaymentStatus):
            raise ValueError(f"unknown payment status {status!r}")
        if not merchant_uid:
            return None
        path = f"/payments/find/{_segment(merchant_uid)}"
        if status is not None:
            path += f"/{status}"
        try:
            payload = self._call("GET", path, retryable=True, not_found=PaymentNotFound)
        except PaymentNotFound:
            return None
        return parse_model(Payment, payload)

    def get_payments(self, imp_uids: Sequence[str], merchant_uids: Sequence[str] = ()) -> list[Payment]:
        """`GET /payments?imp_uid[]=...&merchant_uid[]=...`: the payments I'mport knows among them.

        At most 100 ids per call (docs bundle: `schema/v1.openapi.json`, `getPaymentListByImpUid`), so a
        longer list is asked in batches of 100. For a merchant_uid I'mport answers its latest attempt (an
        order it has seen paid takes no new attempt). Ids I'mport does not know are simply absent from the
        answer: it says HTTP 207 (the same body as 200) when some were found, and 404 when none was.
        Repeated and empty ids are asked once, not at all; the payments come in the order I'mport lists them.
        """
        wanted = [("imp_uid[]", i) for i in dict.fromkeys(i for i in imp_uids if i)]
        wanted += [("merchant_uid[]", m) for m in dict.fromkeys(m for m in merchant_uids if m)]
        found: list[Payment] = []
        for start in range(0, len(wanted), MAX_BATCH_IDS):
            batch = wanted[start : start + MAX_BATCH_IDS]
            try:
                payload = self._call(
                    "GET",
                    "/payments",
                    params=batch,
                    retryable=True,
                    not_found=PaymentNotFound,
                    partial_ok=True,
                )
            except PaymentNotFound:
                continue  # none of this batch exists
            if not isinstance(payload, list):
                raise IamportMalformedResponse(
                    "I'mport answered the batch lookup without a list of payments", http_status=200, code=0
                )
            found.extend(parse_model(Payment, item) for item in payload)
        return found

    def list_payments(
        self,
        status: str,
        since: datetime,
        until: datetime,
        page: int = 1,
        limit: int = 100,
        *,
        sorting: str = "started",
    ) -> tuple[list[Payment], int | None]:
        """`GET /payments/status/{status}`: one page of the payments in `status` ("all" for every status)
        whose time is within [since, until]; returns (payments, the next page number or None).

        I'mport matches each payment on the time of its *current* status: `started_at` for ready,
        `paid_at` for paid, `cancelled_at` for cancelled, `failed_at` for failed. So a payment made last
        week and cancelled today is listed today, as cancelled; a partial cancel leaves it `paid`, listed
        by its payment time. The window may span at most 90 days, `limit` is 1 to 1000 (docs bundle:
        `schema/v1.openapi.json`, `getPaymentsByStatus`, and `PagedPaymentAnnotation` for the paging
        fields). Times are sent as unix seconds, both ends inclusive.
        """
        if status not in LIST_STATUSES:
            raise ValueError(f"unknown payment status {status!r}")
        if sorting not in LIST_SORTINGS:
            raise ValueError(f"unknown sorting {sorting!r}")
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            raise ValueError(f"page must be a positive integer, got {page!r}")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_LIMIT:
            raise ValueError(f"limit must be 1 to {MAX_PAGE_LIMIT}, got {limit!r}")
        start, end = _unix(since, "since"), _unix(until, "until")
        if start > end:
            raise ValueError("since must not be after until")
        if end - start > MAX_LIST_WINDOW.total_seconds():
            raise ValueError("I'mport lists at most 90 days at a time: split the window")
        payload = self._call(
            "GET",
            f"/payments/status/{status}",
            params=[
                ("from", str(start)),
                ("to", str(end)),
                ("page", str(page)),
                ("limit", str(limit)),
                ("sorting", sorting),
            ],
            retryable=True,
        )
        listed = parse_model(PaymentPage, payload)
        next_page = listed.next_page
        # A next page is always further on; anything else would page for ever.
        return list(listed.payments), next_page if next_page is not None and next_page > page else None

    def prepare(self, merchant_uid: str, amount: int) -> None:
        """Register `amount` for `merchant_uid` so I'mport's window refuses any other amount
        (docs/iamport-v1.md#prepare).

        Idempotent, so order creation can be retried freely:
        - not registered yet: `POST /payments/prepare`;
        - already registered with the same amount (a retried create, or a POST whose answer was lost):
          nothing to do;
        - registered with another amount: `PUT /payments/prepare`. The order is the source of truth
          and the registration is what the window enforces; left stale it would block the buyer's
          correct payment and admit the amount the order no longer asks for.
        I'mport refuses a duplicate POST with HTTP 200 and code 1; rather than matching its Korean
        message, any refused POST is followed by a lookup, and only a missing registration re-raises.
        """
        _require_positive(amount)
        body = {"merchant_uid": merchant_uid, "amount": amount}
        try:
            self._call("POST", "/payments/prepare", json=body, retryable=True)
            return
        except IamportRejected as refused:
            registered = self.get_prepared(merchant_uid)
            if registered is None:
                raise refused from None
            if registered.amount == amount:
                return
        logger.info("re-registering prepared amount", extra={"merchant_uid": merchant_uid})
        self._call("PUT", "/payments/prepare", json=body, retryable=True)

    def get_prepared(self, merchant_uid: str) -> PreparedAmount | None:
        """`GET /payments/prepare/{merchant_uid}`, None when nothing is registered."""
        try:
            payload = self._call("GET", f"/payments/prepare/{_segment(merchant_uid)}", retryable=True)
        except IamportNotFound:
            return None
        return parse_model(PreparedAmount, payload)

    def cancel(
        self,
        *,
        imp_uid: str,
        amount: int,
        checksum: int | None,
        reason: str,
        refund_holder: str | None = None,
        refund_bank: str | None = None,
        refund_account: str | None = None,
    ) -> Payment:
        """`POST /payments/cancel`: refund `amount` of `imp_uid`; returns the updated payment.

        `checksum` is the cancellable balance *before* this cancel (`Payment.cancellable_amount`);
        I'mport refuses the cancel when it no longer matches (docs/iamport-v1.md#cancel), which is what makes
        a repeated
        refund impossible. `amount` must be positive: I'mport reads 0 as "cancel everything", which
        the checkout never means by accident. A paid virtual account needs the refund_* fields.
        Raises CancelRejected (check `.ambiguous`) and IamportUnavailable.
        """
        if not imp_uid:
            raise ValueError("cancel needs the imp_uid of the payment")
        _require_positive(amount)
        body: dict[str, Any] = {"imp_uid": imp_uid, "amount": amount, "reason": reason}
        if checksum is not None:
            body["checksum"] = checksum
        refund = {
            "refund_holder": refund_holder,
            "refund_bank": refund_bank,
            "refund_account": refund_account,
        }
        body.update({name: value for name, value in refund.items() if value is not None})
        payload = self._call(
            "POST",
            "/payments/cancel",
            json=body,
            retryable=checksum is not None,
            rejected=CancelRejected,
            not_found=PaymentNotFound,
        )
        return parse_model(Payment, payload)

    def void_vbank(self, imp_uid: str) -> Payment:
        """`DELETE /vbanks/{imp_uid}`: close an unpaid virtual account so no deposit can arrive.

        Raises PaymentNotFound, or IamportRejected (HTTP 400) when it is not an unpaid virtual account.
        """
        if not imp_uid:
            raise ValueError("void_vbank needs the imp_uid of the virtual account")
        payload = self._call(
            "DELETE", f"/vbanks/{_segment(imp_uid)}", retryable=False, not_found=PaymentNotFound
        )
        return parse_model(Payment, payload)

    # -- token ------------------------------------------------------------------------------------

    def access_token(self) -> str:
        """The cached token, fetched or refreshed when needed."""
        return self._tokens.get()

    def _issue_token(self) -> AccessToken:
        creds = self._credentials()
        payload = self._call(
            "POST",
            "/users/getToken",
            json={"imp_key": creds.key, "imp_secret": creds.secret},
            retryable=True,
            authorized=False,
        )
        return parse_model(AccessToken, payload)

    # -- transport --------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: list[tuple[str, str]] | None = None,
        retryable: bool,
        authorized: bool = True,
        not_found: type[IamportNotFound] = IamportNotFound,
        rejected: type[IamportRejected] = IamportRejected,
        partial_ok: bool = False,
    ) -> Any:
        """One call with its retries. `partial_ok`: HTTP 207 (a batch lookup that found only some of the
        ids) carries the same envelope as 200 and is read like it."""
        policy = self._retry
        started_at = policy.clock()
        attempt = 0
        refreshed_after_401 = False
        maybe_reached_iamport = False  # an earlier attempt may have been processed before it failed
        while True:
            attempt += 1
            left = time_left_s()
            if left is not None and left <= MIN_CALL_S:
                # The invocation would end before I'mport could answer: say so instead of being killed.
                raise IamportUnavailable(f"no time left in this invocation for {method} {path}")
            token = self._tokens.get() if authorized else None
            left = time_left_s()
            if left is not None and left <= MIN_CALL_S:
                # Fetching the token took what was left.
                raise IamportUnavailable(f"no time left in this invocation for {method} {path}")
            try:
                response = self._session.request(
                    method,
                    self.base_url + path,
                    json=json,
                    params=params,
                    timeout=self._timeouts.as_requests(left),
                    headers={"Accept": "application/json", **({"Authorization": token} if token else {})},
                    allow_redirects=False,
                    stream=True,
                )
                with response:
                    content = _read_within(response, self._timeouts.total_s(left), f"{method} {path}")
                status = 200 if partial_ok and response.status_code == 207 else response.status_code
                return unwrap(status, content, not_found=not_found, rejected=rejected)
            except requests.RequestException as exc:
                failure: IamportError = IamportUnavailable(f"{type(exc).__name__} on {method} {path}")
                cause: BaseException | None = exc
            except IamportError as exc:
                if exc.http_status == 401 and authorized and not refreshed_after_401 and token is not None:
                    # Expired or revoked under us (e.g. right at expiry, docs/iamport-v1.md#token-lifetime):
                    # one fresh token, one retry.
                    refreshed_after_401 = True
                    self._tokens.invalidate(token)
                    attempt -= 1
                    continue
                if isinstance(exc, CancelRejected) and maybe_reached_iamport:
                    exc.ambiguous = True
                failure, cause = exc, None
            # A malformed answer would come back the same: only transport-level trouble is retried.
            transient = isinstance(failure, IamportUnavailable) and not isinstance(
                failure, IamportMalformedResponse
            )
            left = time_left_s()
            in_time = left is None or left > MIN_CALL_S + policy.max_delay_s
            if not (transient and retryable and in_time and policy.may_retry(attempt, started_at)):
                if isinstance(failure, IamportUnavailable) and self._on_unavailable is not None:
                    self._on_unavailable(f"{method} {path}")
                raise failure from cause
            maybe_reached_iamport = True
            delay = policy.delay_before(attempt)
            logger.warning(
                "I'mport call failed, retrying",
                extra={
                    "method": method,
                    "path": path,
                    "attempt": attempt,
                    "http_status": failure.http_status,
                    "failure": type(cause or failure).__name__,
                    "retry_in_s": round(delay, 3),
                },
            )
            policy.sleep(delay)


def _read_within(response: requests.Response, seconds: float, what: str) -> bytes:
    """The answer's body, read in chunks: cut when the whole request outlasts `seconds` or the body
    outgrows anything I'mport sends, instead of waiting on a trickle for ever."""
    until = time.monotonic() + seconds
    chunks: list[bytes] = []
    size = 0
    while True:
        # read1: whatever has arrived (one socket read), so the clock is looked at between trickles.
        try:
            chunk = response.raw.read1(_CHUNK, decode_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise IamportUnavailable(f"{type(exc).__name__} reading the answer to {what}") from exc
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise IamportUnavailable(f"answer to {what} larger than {MAX_ANSWER_BYTES} bytes")
        if time.monotonic() > until:
            raise IamportUnavailable(f"answer to {what} still arriving after {seconds:.1f} s")
    return b"".join(chunks)


def _require_positive(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"amount must be a positive integer of KRW, got {amount!r}")


def _unix(moment: datetime, name: str) -> int:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return int(moment.timestamp())
