"""Bad input gets a clear 4xx JSON error and changes nothing; no input produces a 500.

Every route in template.yaml is sent malformed requests through real HTTP on the offline stack: first a
fixed table of cases aimed at each input the route reads (body fields, path parameters, query, headers,
the caller's token), then a bounded, derandomized Hypothesis search over random combinations. After
every single request the guarded tables (products, carts, orders, points) are read in full and compared
with their state before it, so a request that changed something is named exactly.

A reply is acceptable when it is
- a 4xx with the API's error body `{"error": {"code", "message"}}`, or
- API Gateway's own `{"message": ...}` for a refused token (401/403) or a path no route matches (404), or
- a 2xx/3xx the route documents for input it legitimately accepts (`ACCEPTED`), which must change nothing.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api import BUYER, pay_order
from tests.support.fuzzing import (
    ApiRoute,
    Reply,
    Request,
    Shop,
    Snapshot,
    assert_no_changes,
    call_api,
    describe_changes,
    template_routes,
    without,
)

pytestmark = pytest.mark.integration

ROUTES = template_routes()
EXAMPLES_PER_ROUTE = 40

# 2xx/3xx replies a route gives to input it legitimately accepts (the README's API section); any other
# success is a failure. A route not listed may answer 200 to a GET (a read) and no success otherwise.
ACCEPTED: dict[str, frozenset[int]] = {
    "GET /products": frozenset({200}),  # public catalog: junk query, headers and body are ignored
    "GET /cart": frozenset({200}),
    "GET /orders": frozenset({200}),
    "GET /points": frozenset({200}),
    "GET /orders/{merchant_uid}": frozenset({200}),  # the caller's own order
    # Removing a catalog product that is not in the caller's cart has nothing to remove.
    "DELETE /cart/items/{product_id}": frozenset({200}),
    # The m_redirect_url always sends the browser on to the result page (status=error when it failed).
    "GET /payments/complete": frozenset({302}),
    # A well-formed notification for an order the shop doesn't know is acknowledged
    # (docs/iamport-v1.md#webhooks).
    "POST /iamport/webhook": frozenset({200}),
    # The paid order's own payment reported again is re-verified: nothing to do.
    "POST /payments/complete": frozenset({200}),
}

# API Gateway's own error bodies, answered before any function runs.
GATEWAY_ERRORS = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}

# Requests that broke the rule once keep a targeted regression test each at the end of this file; a new
# failure found by the table or the random search is added here as (route, case label) -> its test, and
# left out of the table and random search until it is fixed.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}
NESTED_BODY_ROUTES = (
    "PUT /cart/items/{product_id}",
    "POST /orders",
    "POST /orders/{merchant_uid}/refund",
    "POST /payments/complete",
    "POST /iamport/webhook",
)


def known_failure(route: ApiRoute, label: str) -> bool:
    return (route.key, label) in KNOWN_FAILURES


def accepted_statuses(route: ApiRoute) -> frozenset[int]:
    return ACCEPTED.get(route.key, frozenset({200}) if route.method == "GET" else frozenset())


def route_pattern(route: ApiRoute) -> re.Pattern[str]:
    """The raw paths API Gateway selects this route for."""
    parts = re.split(r"({[^}]+})", route.path)
    regex = "".join(
        ("(.+)" if p.endswith("+}") else "([^/]+)") if p.startswith("{") else re.escape(p) for p in parts
    )
    return re.compile(f"^{regex}/?$")


# -- the verdict on one reply -------------------------------------------------------------------------------


def reply_problems(route: ApiRoute, request: Request, reply: Reply) -> list[str]:
    status, body = reply.status, reply.json
    if status >= 500:
        return [f"{status}: bad input must never be a server error"]
    if status < 400:
        problems: list[str] = []
        if status not in accepted_statuses(route):
            problems.append(f"{status}: a malformed request was accepted by {route.key}")
        if status in (301, 302, 303, 307, 308):
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(reply.headers.get("location", "")).query)
            if query.get("error") == ["internal_error"]:
                problems.append(f"{status} to error=internal_error: a server error dressed as a redirect")
        elif body is None:
            problems.append(f"{status}: the success body is not JSON")
        return problems
    if isinstance(body, dict) and "error" in body:
        error = body["error"]
        if not (
            isinstance(error, dict)
            and isinstance(error.get("code"), str)
            and error["code"]
            and isinstance(error.get("message"), str)
            and error["message"]
        ):
            return [f"{status}: the error body is not {{error: {{code, message}}}}"]
        if "json" not in reply.headers.get("content-type", ""):
            return [f"{status}: an error body without a JSON content type"]
        return []
    if isinstance(body, dict) and set(body) == {"message"} and GATEWAY_ERRORS.get(status) == body["message"]:
        raw_path = request.target.split("?", 1)[0]
        if status in (401, 403) and route.public:
            return [f"{status}: the gateway refused a token on the public route {route.key}"]
        if status in (401, 403) and request.caller in SIGNED_IN:
            # Not the product's fault, but the case never reached the input it was written for.
            return [f"{status}: the gateway refused the {request.caller} token, a valid one"]
        if status == 404 and route_pattern(route).match(raw_path):
            return [f"404 Not Found from the gateway although {raw_path} matches {route.key}"]
        return []
    return [f"{status}: the error body is neither the API's nor API Gateway's"]


# -- requests -----------------------------------------------------------------------------------------------


def raw_token(shop: Shop, caller: str) -> str | None:
    """The Authorization header value for each kind of caller."""
    stack = shop.stack
    if caller == "anonymous":
        return None
    if caller == "buyer":
        return f"Bearer {shop.buyer_token}"
    if caller == "stranger":
        return f"Bearer {shop.stranger_token}"
    if caller == "unicode-sub":  # a user with no data whose id is not ASCII
        return f"Bearer {stack.token_for('손님-🙂-fuzz')}"
    if caller == "odd-sub":  # key-like characters in the id
        return f"Bearer {stack.token_for('fuzz/../#|%2F')}"
    if caller == "expired":
        return f"Bearer {stack.issuer.issue(shop.buyer_sub, ttl_s=-60)}"
    if caller == "unsigned":
        header, payload, _ = shop.buyer_token.split(".")
        none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
        return f"Bearer {none_header}.{payload}."
    if caller == "tampered":  # the buyer's signature on the stranger's claims
        _, payload, _ = shop.stranger_token.split(".")
        header, _, signature = shop.buyer_token.split(".")
        return f"Bearer {header}.{payload}.{signature}"
    if caller == "bearer-only":
        return "Bearer"
    if caller == "not-a-jwt":
        return "Bearer not.a.jwt"
    if caller == "basic":
        return "Basic " + base64.b64encode(b"buyer:password").decode()
    if caller == "no-scheme":  # the token without "Bearer "
        return shop.stranger_token
    raise ValueError(caller)


CALLERS_WITH_NO_ACCESS = ("anonymous", "expired", "unsigned", "tampered", "bearer-only", "not-a-jwt", "basic")
# Callers whose token the API's authorizer must accept.
SIGNED_IN = ("buyer", "stranger", "unicode-sub", "odd-sub", "victim")
CALLERS_WITH_NO_DATA = ("stranger", "unicode-sub", "odd-sub", "no-scheme")


def encode_segment(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def make_request(
    shop: Shop,
    route: ApiRoute,
    *,
    caller: str = "buyer",
    path: Mapping[str, str] | None = None,
    query: str = "",
    body: bytes | None = None,
    content_type: str | None = "application/json",
    headers: Sequence[tuple[str, str | bytes]] = (),
) -> Request:
    """`path` holds raw (already encoded) segment values; missing parameters get a harmless default."""
    values = {name: (path or {}).get(name, default_segment(shop, route, name)) for name in route.parameters}
    target = route.target(values) + (f"?{query}" if query else "")
    out: list[tuple[str, str | bytes]] = []
    token = raw_token(shop, caller)
    if token is not None:
        out.append(("Authorization", token))
    if content_type is not None and body is not None:
        out.append(("Content-Type", content_type))
    out.extend(headers)
    return Request(route.method, target, tuple(out), body, caller)


def default_segment(shop: Shop, route: ApiRoute, name: str) -> str:
    """A well-formed value that names nothing, so the path itself is never why a request succeeds."""
    return f"fuzz-no-such-{name.replace('_', '-')}"


def as_json(value: Any) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a lone surrogate: only its JSON escape (\\ud800) can carry it
        return json.dumps(value).encode()


# -- the probe: send, judge, compare the tables -------------------------------------------------------------


@dataclass
class Failure:
    label: str
    request: Request
    reply: Reply
    problems: list[str]

    def __str__(self) -> str:
        return f"[{self.label}] {self.request.describe()}\n    -> {self.reply.describe()}\n    " + "; ".join(
            self.problems
        )


class Probe:
    """Sends requests to one route; after each one, the guarded tables must be as they were before it."""

    def __init__(self, shop: Shop, route: ApiRoute) -> None:
        self.shop = shop
        self.route = route
        self.failures: list[Failure] = []
        self.sent = 0
        self.statuses: defaultdict[str, Counter[int]] = defaultdict(Counter)  # case kind -> status -> count
        self._last: Snapshot = shop.tables.snapshot()
        self._errors_seen = len(shop.log.errors())

    def send(self, label: str, request: Request) -> Failure | None:
        reply = self.shop.client.send(request)
        self.sent += 1
        self.statuses[label.split(":", 1)[0]][reply.status] += 1
        problems = reply_problems(self.route, request, reply)
        after = self.shop.tables.snapshot()
        changes = describe_changes(self._last, after)
        if changes:
            problems.append("the request changed stored state: " + " / ".join(changes))
            self._last = after
        if not problems:
            return None
        failure = Failure(label, request, reply, problems)
        self.failures.append(failure)
        return failure

    def finish(self) -> None:
        """Every failure at once (one run names them all), then the functions' ERROR log lines."""
        assert not self.failures, f"{len(self.failures)} of {self.sent} requests to {self.route.key}:\n" + (
            "\n".join(str(f) for f in self.failures)
        )
        errors = self.shop.log.errors_after(self._errors_seen)
        assert not errors, f"{self.route.key}: functions logged errors:\n" + "\n".join(errors[:10])


# -- the case table -----------------------------------------------------------------------------------------

LONG = "가" * 3400  # ~10 kB of UTF-8
TEN_KB = "x" * 10_240
ODD_TEXT = [
    "",
    " ",
    "\t\n",
    "\x00",
    "a\x00b",
    "\u202eevil",  # right-to-left override
    "🙂💳",
    "null",
    "undefined",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    LONG,
    TEN_KB,
]
# Raw JSON numbers Python's json.dumps can't write: 1e309 overflows to infinity on parsing.
NUMBER_LITERALS = ["1e309", "-1e309", "NaN", "Infinity", "1e2", "100.0", "0.5", "-0", "18446744073709551616"]
WRONG_FOR_INT = [-1, 0, 1.5, 2**64, -(2**63), "100", "1", True, False, None, [], {}, [1], {"value": 1}]
WRONG_FOR_STR = [1, 0, -1, 1.5, 2**64, True, None, [], {}, ["x"], {"x": "y"}]


FORM = "application/x-www-form-urlencoded"
ONE_MB = "x" * 1_000_000
DEEP_OBJECTS = b'{"a": ' * 10_000 + b"1" + b"}" * 10_000

# Raw JSON values that fit no field: numbers Python cannot read back or that are not finite (a 5000-digit
# integer was a 500 on every route with a body), and values too long or too deep for any request.
MONSTERS: list[tuple[str, bytes]] = [
    ("5000-digits", b"9" * 5000),
    ("minus-5000-digits", b"-" + b"9" * 5000),
    ("19-digits", b"1" + b"0" * 18),
    ("1e999", b"1e999"),
    ("minus-1e999", b"-1e999"),
    ("huge-exponent", b"1e" + b"9" * 5000),
    ("long-fraction", b"0." + b"1" * 5000),
    ("NaN", b"NaN"),
    ("Infinity", b"Infinity"),
    ("minus-Infinity", b"-Infinity"),
    ("one-mb-string", as_json(ONE_MB)),
    ("10k-deep-objects", DEEP_OBJECTS),
    ("10k-deep-arrays", b"[" * 10_000 + b"]" * 10_000),
]
_SLOT = "@@monster@@"


def with_raw(base: dict[str, Any], path: str, raw: bytes) -> bytes:
    """`base` as JSON with the dotted `path` (list items by index) holding the raw JSON text `raw`."""
    out = json.loads(json.dumps(base))
    *parents, last = path.split(".")
    node: Any = out
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last)] = _SLOT
    else:
        node[last] = _SLOT
    text = json.dumps(out, ensure_ascii=False).encode()
    return text.replace(json.dumps(_SLOT).encode(), raw)


def monster_places(route: ApiRoute) -> list[str]:
    """Where each route's body carries a value: its well-formed body's fields and the numbers it reads."""
    places = {
        "PUT /cart/items/{product_id}": ["quantity"],
        "POST /orders": ["points_to_use", "pay_method", "buyer.name", "shipping_notice"],
        "POST /orders/{merchant_uid}/refund": ["reason", "lines.0.quantity", "refund_account.number"],
        "POST /payments/complete": ["imp_uid", "merchant_uid"],
        "POST /iamport/webhook": ["imp_uid", "merchant_uid", "status"],
    }
    return places.get(route.key, [])


def monster_base(shop: Shop, route: ApiRoute) -> dict[str, Any]:
    """The route's well-formed body, with the parents of every place that needs one."""
    fields = FIELDS[route.key]
    assert fields.valid_body is not None
    base = json.loads(json.dumps(fields.valid_body(shop)))
    if route.key == "POST /orders/{merchant_uid}/refund":
        line = shop.paid_order["lines"][0]
        base["lines"] = [{"product_id": line["product_id"], "quantity": 1}]
        base["refund_account"] = {"holder": "홍길동", "bank": "004", "number": "123456-78-901234"}
    return base


def body_fault_bodies() -> list[tuple[str, bytes, str | None]]:
    """(label, body, content type) bodies that are not a JSON object, for every route."""
    deep = b"[" * 100_000 + b"]" * 100_000
    return [
        ("not-json", b"not json", "application/json"),
        ("truncated-json", b'{"quantity": ', "application/json"),
        ("single-quoted", b"{'quantity': 1}", "application/json"),
        ("trailing-comma", b'{"a": 1,}', "application/json"),
        ("json-array", b"[]", "application/json"),
        ("json-array-of-objects", b'[{"quantity": 1}]', "application/json"),
        ("json-string", b'"quantity"', "application/json"),
        ("json-number", b"123", "application/json"),
        ("json-huge-number", b"1e309", "application/json"),
        # Numbers no field can hold, inside an object (Python refuses integer text over 4300 digits with a
        # ValueError of its own: once a 500 on every route with a body).
        *(
            (f"huge-number:{name}", b'{"' + name.encode() + b'": ' + number + b"}", "application/json")
            for name in ("quantity", "points_to_use", "imp_uid", "merchant_uid", "reason", "a")
            for number in (b"9" * 5000,)
        ),
        ("huge-negative-integer", b'{"quantity": -' + b"9" * 5000 + b"}", "application/json"),
        ("huge-float", b'{"quantity": 1e999}', "application/json"),
        ("long-fraction", b'{"quantity": 0.' + b"1" * 5000 + b"}", "application/json"),
        ("nan-literal", b'{"quantity": NaN}', "application/json"),
        ("infinity-literal", b'{"points_to_use": -Infinity}', "application/json"),
        (
            "huge-number-deep-inside",
            b'{"lines": [{"product_id": "x", "quantity": ' + b"9" * 5000 + b"}]}",
            "application/json",
        ),
        # Bodies no request of the API can be: 10,000 levels deep, a 1 MB string, megabytes of JSON.
        ("deep-objects-10k", DEEP_OBJECTS, "application/json"),
        (
            "deep-arrays-10k-in-object",
            b'{"lines": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
            "application/json",
        ),
        ("one-mb-string", as_json({"reason": ONE_MB}), "application/json"),
        ("one-mb-key", as_json({ONE_MB: 1}), "application/json"),
        ("two-mb-of-whitespace", b'{"quantity": 1' + b" " * 2_000_000 + b"}", "application/json"),
        ("hundred-thousand-keys", as_json({f"k{i}": i for i in range(100_000)}), "application/json"),
        ("huge-exponent", b'{"quantity": 1e' + b"9" * 5000 + b"}", "application/json"),
        ("tiny-float-long-text", b'{"quantity": 0.' + b"0" * 5000 + b"1}", "application/json"),
        ("nan-in-array", b'{"lines": [NaN, Infinity]}', "application/json"),
        ("form-5000-digits", b"quantity=" + b"9" * 5000 + b"&imp_uid=" + b"9" * 5000, FORM),
        ("form-one-mb-value", b"reason=" + b"x" * 1_000_000, FORM),
        ("form-many-fields", b"a=1&" * 50_000, FORM),
        ("json-true", b"true", "application/json"),
        ("json-null", b"null", "application/json"),
        ("nested-junk", as_json({"a": {"b": [{"c": [None, {}, [], "d"]}]}}), "application/json"),
        ("deeply-nested", deep, "application/json"),
        ("duplicate-keys", b'{"a": 1, "a": {"b": 2}}', "application/json"),
        ("lone-surrogate", b'{"a": "\\ud800"}', "application/json"),
        ("invalid-utf8", b'{"a": "\xff\xfe"}', "application/json"),
        ("utf16-json", '{"a": 1}'.encode("utf-16"), "application/json; charset=utf-16"),
        ("bom-json", b'\xef\xbb\xbf{"a": 1}', "application/json"),
        ("empty-body", b"", "application/json"),
        ("whitespace-body", b"   \n", "application/json"),
        ("ten-kb-string", as_json(TEN_KB), "application/json"),
        (
            "form-body",
            b"quantity=1&reason=x&imp_uid=imp_1&merchant_uid=m_1",
            "application/x-www-form-urlencoded",
        ),
        ("form-as-json", b"quantity=1", "application/json"),
        ("binary-garbage", bytes(range(256)), "application/octet-stream"),  # arrives isBase64Encoded
        ("binary-no-content-type", b"\x89PNG\r\n\x1a\n\x00\x00", None),
        ("text-plain", b"hello", "text/plain"),
        ("xml", b"<order><quantity>1</quantity></order>", "application/xml"),
        (
            "multipart",
            b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--\r\n",
            "multipart/form-data; boundary=x",
        ),
        ("base64-text", base64.b64encode(b'{"quantity": 1}'), "application/octet-stream"),
    ]


def query_faults(route: ApiRoute) -> list[tuple[str, str]]:
    return [
        ("limit-negative", "limit=-1"),
        ("limit-zero", "limit=0"),
        ("limit-text", "limit=abc"),
        ("limit-float", "limit=1.5"),
        ("limit-huge", "limit=18446744073709551616"),
        ("limit-1e309", "limit=1e309"),
        ("limit-5000-digits", "limit=" + "9" * 5000),
        ("limit-nan", "limit=NaN"),
        ("limit-infinity", "limit=-Infinity"),
        ("limit-over-page", "limit=100000"),
        ("limit-empty", "limit="),
        ("limit-twice", "limit=1&limit=2"),
        ("cursor-garbage", "cursor=%%%garbage"),
        ("cursor-empty", "cursor="),
        ("cursor-not-base64", "cursor=" + encode_segment("!!!***")),
        ("cursor-long", "cursor=" + "A" * 3000),
        ("cursor-unicode", "cursor=" + encode_segment("커서🙂")),
        ("cursor-json-not-base64", "cursor=" + encode_segment('{"merchant_uid":{"S":"x"}}')),
        ("only-separators", "&&==&"),
        ("unicode-key", encode_segment("키") + "=" + encode_segment("값")),
        ("control-chars", "a=%00%01%1b"),
        ("long-value", "q=" + "x" * 10_000),
        ("bad-percent", "limit=%ZZ"),
        (
            "merchant-uid-garbage",
            "merchant_uid=" + encode_segment("../../x") + "&imp_uid=" + encode_segment("🙂"),
        ),
    ]


def redirect_queries(shop: Shop) -> list[tuple[str, str]]:
    """The m_redirect_url's query as a broken or forged payment window might send it."""
    ready, paid = shop.ready_order["merchant_uid"], shop.paid_order["merchant_uid"]
    paid_imp_uid = shop.paid_order["imp_uid"]
    return [
        ("redirect-no-imp-uid", f"merchant_uid={ready}"),
        ("redirect-null-imp-uid", f"merchant_uid={ready}&imp_uid=null"),
        ("redirect-unknown-payment", f"merchant_uid={ready}&imp_uid=imp_fuzz0000"),
        ("redirect-other-orders-payment", f"merchant_uid={ready}&imp_uid={paid_imp_uid}&imp_success=true"),
        ("redirect-long-imp-uid", f"merchant_uid={ready}&imp_uid=" + "i" * 33),
        ("redirect-long-merchant-uid", "merchant_uid=" + "m" * 41),
        ("redirect-two-merchant-uids", f"merchant_uid={ready}&merchant_uid={paid}"),
        ("redirect-blank-merchant-uid", "merchant_uid=%20%20"),
        ("redirect-emoji-merchant-uid", "merchant_uid=" + encode_segment("🙂")),
        ("redirect-unknown-order", "merchant_uid=fuzz-no-such-order&imp_uid=" + paid_imp_uid),
        # The redirect's query read as numbers nowhere: values no field can hold are refused as text.
        ("redirect-5000-digit-merchant-uid", "merchant_uid=" + "9" * 5000),
        ("redirect-5000-digit-imp-uid", f"merchant_uid={ready}&imp_uid=" + "9" * 5000),
        ("redirect-1e999-imp-uid", f"merchant_uid={ready}&imp_uid=1e999&imp_success=NaN"),
        ("redirect-5000-digit-window-fields", f"merchant_uid={ready}&imp_success=" + "9" * 5000),
        (
            "redirect-window-junk",
            f"merchant_uid={paid}&imp_uid={paid_imp_uid}&imp_success=maybe&error_code=%00&error_msg="
            + encode_segment(LONG),
        ),
    ]


def cursor_for(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def crafted_cursors(shop: Shop) -> list[tuple[str, str]]:
    """Cursors shaped like the real ones (base64url of a DynamoDB key) with wrong contents."""
    me = shop.buyer_sub
    real_uid = shop.paid_order["merchant_uid"]

    def key(merchant_uid: Any, user_id: Any, created_at: Any) -> dict[str, Any]:
        return {
            "merchant_uid": {"S": merchant_uid},
            "user_id": {"S": user_id},
            "created_at": {"S": created_at},
        }

    return [
        ("cursor-someone-elses", cursor_for(key(real_uid, shop.stranger_sub, "2020-01-01T00:00:00Z"))),
        (
            "cursor-wrong-types",
            cursor_for({"merchant_uid": {"N": "1"}, "user_id": {"S": me}, "created_at": 1}),
        ),
        ("cursor-missing-key", cursor_for({"user_id": {"S": me}})),
        ("cursor-extra-key", cursor_for({**key(real_uid, me, "x"), "sk": {"S": "BALANCE"}})),
        ("cursor-list", cursor_for([1, 2, 3])),
        ("cursor-empty-merchant-uid", cursor_for(key("", me, "2020-01-01T00:00:00Z"))),
        ("cursor-empty-created-at", cursor_for(key(real_uid, me, ""))),
        ("cursor-huge-merchant-uid", cursor_for(key("m" * 700, me, "2020-01-01T00:00:00Z"))),
        ("cursor-not-a-date", cursor_for(key(real_uid, me, "not-a-date"))),
    ]


def crafted_ledger_cursors(shop: Shop) -> list[tuple[str, str]]:
    """Cursors shaped like the points ledger's (base64url of the index key) with wrong contents."""
    me = shop.buyer_sub
    entry_sk = f"LEDGER#{shop.paid_order['merchant_uid']}#earn"
    moment = "2020-01-01T00:00:00.000000Z"

    def key(user_id: Any, sk: Any, at: Any) -> dict[str, Any]:
        return {"user_id": {"S": user_id}, "sk": {"S": sk}, "at": {"S": at}}

    return [
        ("ledger-cursor-someone-elses", cursor_for(key(shop.stranger_sub, entry_sk, moment))),
        ("ledger-cursor-balance-item", cursor_for(key(me, "BALANCE", moment))),
        ("ledger-cursor-wrong-types", cursor_for({"user_id": {"S": me}, "sk": {"N": "1"}, "at": 1})),
        ("ledger-cursor-missing-key", cursor_for({"user_id": {"S": me}, "sk": {"S": entry_sk}})),
        ("ledger-cursor-extra-key", cursor_for({**key(me, entry_sk, moment), "kind": {"S": "earn"}})),
        ("ledger-cursor-empty-sk", cursor_for(key(me, "", moment))),
        ("ledger-cursor-empty-at", cursor_for(key(me, entry_sk, ""))),
        ("ledger-cursor-not-a-date", cursor_for(key(me, entry_sk, "not-a-date"))),
        ("ledger-cursor-odd-date", cursor_for(key(me, entry_sk, "0001-01-01T00:00:00+09:00"))),
        ("ledger-cursor-huge-sk", cursor_for(key(me, "LEDGER#" + "m" * 700, moment))),
        ("ledger-cursor-far-future", cursor_for(key(me, entry_sk, "9999-12-31T23:59:59.999999Z"))),
        (
            "ledger-cursor-orders-shaped",
            cursor_for({"merchant_uid": {"S": "x"}, "user_id": {"S": me}, "created_at": {"S": moment}}),
        ),
    ]


ODD_SEGMENTS = [
    ("dot-dot", ".."),
    ("dot", "."),
    ("encoded-slash", "a%2Fb"),
    ("encoded-dot-dot", "%2e%2e"),
    ("encoded-dot-dot-slash", "%2E%2E%2F%2E%2E%2Fetc"),
    ("two-hundred-chars", "a" * 200),
    ("emoji", encode_segment("🙂💳")),
    ("hangul", encode_segment("상품")),
    ("nul", "%00"),
    ("newline-injection", "%0d%0aX-Injected:%201"),
    ("bad-percent", "%ZZ"),
    ("space", "%20"),
    ("plus", "+"),
    ("null-word", "null"),
    ("minus-one", "-1"),
    ("float-literal", "1e309"),
    ("rtl-override", encode_segment("\u202eabc")),
    ("sql", encode_segment("' OR '1'='1")),
    ("tilde", "~"),
    ("double-encoded", "%252F"),
]


def header_faults() -> list[tuple[str, list[tuple[str, str | bytes]]]]:
    return [
        ("idempotency-key-spaces", [("Idempotency-Key", "two words")]),
        ("idempotency-key-comma", [("Idempotency-Key", "a,b")]),
        ("idempotency-key-300", [("Idempotency-Key", "k" * 300)]),
        ("idempotency-key-unicode", [("Idempotency-Key", "키🙂".encode())]),
        ("idempotency-key-control", [("Idempotency-Key", "a\x01b")]),
        ("idempotency-key-twice", [("Idempotency-Key", "a"), ("Idempotency-Key", "b")]),
    ]


CONTENT_TYPE_FAULTS = [
    ("content-type-text", "text/plain"),
    ("content-type-form", "application/x-www-form-urlencoded"),
    ("content-type-xml", "application/xml"),
    ("content-type-binary", "application/octet-stream"),
    ("content-type-garbage", "garbage/;;;==="),
    ("content-type-missing", None),
]


@dataclass(frozen=True)
class RouteFields:
    """What the table knows about one route's input: the caller and path for which a well-formed body
    would really change something (so a wrongly accepted bad value shows in the tables), a well-formed
    body, and values that are each wrong for one field."""

    caller: str
    path: Callable[[Shop], dict[str, str]]
    valid_body: Callable[[Shop], dict[str, Any]] | None
    field_faults: Callable[[Shop], list[tuple[str, Any]]]  # (label, whole body)
    # Where even the well-formed body can change nothing (the caller, the path): header faults and users
    # with no data go here, since a route may legitimately ignore a header or serve any signed-in user.
    harmless_path: Callable[[Shop], dict[str, str]] | None = None
    harmless_caller: str | None = None
    reads_idempotency_key: bool = False  # README: "Idempotency-Key honoured"


def _with(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `base` with the dotted `path` set to `value` (`...` deletes it)."""
    out = json.loads(json.dumps(base))
    *parents, last = path.split(".")
    node = out
    for part in parents:
        node = node[part]
    if value is ...:
        node.pop(last, None)
    else:
        node[last] = value
    return out


def _mutations(base: dict[str, Any], spec: Iterable[tuple[str, Sequence[Any]]]) -> list[tuple[str, Any]]:
    """One body per (field, wrong value): `base` with only that field changed (`...`: left out)."""
    return [
        (
            f"{name}=" + ("<missing>" if v is ... else json.dumps(v, ensure_ascii=False)[:40]),
            _with(base, name, v),
        )
        for name, values in spec
        for v in values
    ]


def cart_item_faults(shop: Shop) -> list[tuple[str, Any]]:
    base = {"quantity": 1}
    return [
        *_mutations(base, [("quantity", [*WRONG_FOR_INT, 100, 99.0, "", TEN_KB, ...])]),
        ("unknown-field", {"quantity": 1, "price": 1}),
        ("only-unknown-field", {"qty": 1}),
    ]


def order_faults(shop: Shop) -> list[tuple[str, Any]]:
    base = {"buyer": dict(BUYER), "points_to_use": 0, "pay_method": "card"}
    return [
        *_mutations(
            base,
            [
                ("points_to_use", [-1, 1.5, 2**64, 1_000_000_001, "100", "0", True, [], {}]),
                ("pay_method", ["bitcoin", "CARD", "", None, 1, ["card"], {"card": True}, TEN_KB]),
                ("buyer", [None, "홍길동", [], {}, 1, ...]),
                ("buyer.name", ["", "   ", "가" * 17, TEN_KB, 123, None, True, [], "\ud800"]),
                ("buyer.email", ["no-at-sign", "a@b", "", "x" * 60 + "@example.com", 1, None, "a b@c.d"]),
                ("buyer.tel", ["phone", "", "0" * 17, 1012345678, None, "010\n1234", "\x00"]),
                ("buyer.addr", [TEN_KB, 123, [], {}]),
                ("buyer.postcode", ["123456789", "12#45", 12345, []]),
                ("shipping_notice", [TEN_KB, 1, [], {}]),
            ],
        ),
        ("buyer-unknown-field", _with(base, "buyer.nickname", "x")),
        ("amount-injected", _with(base, "amount", 100)),
        ("total-injected", _with(base, "total", 100)),
        (
            "lines-injected",
            _with(base, "lines", [{"product_id": shop.product_ids[0], "quantity": 1, "price": 1}]),
        ),
        ("misspelt-points", _with(base, "points_to_used", 100)),
        ("empty-object", {}),
        ("points-more-than-held", _with(base, "points_to_use", 999_999_999)),
    ]


def refund_faults(shop: Shop) -> list[tuple[str, Any]]:
    line = shop.paid_order["lines"][0]
    pid, bought = line["product_id"], int(line["quantity"])
    base: dict[str, Any] = {"reason": "fuzz"}
    account = {"holder": "홍길동", "bank": "004", "number": "123456-78-901234"}
    return [
        *_mutations(base, [("reason", ["", "   ", "가" * 300, TEN_KB, 1, None, True, [], {}, ...])]),
        *[
            (f"lines={label}", {"reason": "fuzz", "lines": value})
            for label, value in [
                ("empty", []),
                ("string", "all"),
                ("object", {"product_id": pid, "quantity": 1}),
                ("numbers", [1, 2]),
                ("null-entry", [None]),
                ("no-quantity", [{"product_id": pid}]),
                ("no-product", [{"quantity": 1}]),
                ("empty-product", [{"product_id": "", "quantity": 1}]),
                ("unknown-product", [{"product_id": "fuzz-not-in-order", "quantity": 1}]),
                ("more-than-bought", [{"product_id": pid, "quantity": bought + 1}]),
                (
                    "duplicate-product",
                    [{"product_id": pid, "quantity": 1}, {"product_id": pid, "quantity": 1}],
                ),
                ("unknown-line-field", [{"product_id": pid, "quantity": 1, "amount": 1}]),
                ("too-many", [{"product_id": f"p{i}", "quantity": 1} for i in range(101)]),
                *[(f"quantity={json.dumps(q)}", [{"product_id": pid, "quantity": q}]) for q in WRONG_FOR_INT],
            ]
        ],
        *[
            (f"refund_account={label}", {"reason": "fuzz", "refund_account": value})
            for label, value in [
                ("string", "004-123456"),
                ("empty", {}),
                ("empty-holder", {**account, "holder": ""}),
                ("lowercase-bank", {**account, "bank": "kb"}),
                ("letters-number", {**account, "number": "abcdefgh"}),
                ("long-holder", {**account, "holder": TEN_KB}),
                ("unknown-field", {**account, "branch": "x"}),
                ("number-as-int", {**account, "number": 12345678}),
            ]
        ],
        ("amount-injected", {"reason": "fuzz", "amount": 1000}),
        ("checksum-injected", {"reason": "fuzz", "checksum": 0}),
        ("points-injected", {"reason": "fuzz", "points": 1}),
    ]


def completion_faults(shop: Shop) -> list[tuple[str, Any]]:
    ready = shop.ready_order["merchant_uid"]
    paid_imp_uid = shop.paid_order["imp_uid"]
    return [
        *_mutations(
            {"imp_uid": "imp_fuzz0000", "merchant_uid": ready},
            [
                ("merchant_uid", ["", "m" * 41, "../x", 1, None, True, [], {}, TEN_KB, "🙂", ...]),
                ("imp_uid", ["i" * 33, "imp 1", 1, True, [], {}, TEN_KB, "🙂"]),
            ],
        ),
        ("unknown-payment-for-ready-order", {"imp_uid": "imp_fuzz0000", "merchant_uid": ready}),
        ("other-orders-payment", {"imp_uid": paid_imp_uid, "merchant_uid": ready}),
        ("unknown-order", {"imp_uid": paid_imp_uid, "merchant_uid": "fuzz-no-such-order"}),
        ("nested-operator", {"imp_uid": {"$ne": None}, "merchant_uid": {"$gt": ""}}),
    ]


def webhook_faults(shop: Shop) -> list[tuple[str, Any]]:
    ready = shop.ready_order["merchant_uid"]
    paid_imp_uid = shop.paid_order["imp_uid"]
    base = {"imp_uid": "imp_fuzz0000", "merchant_uid": "fuzz-no-such-order", "status": "paid"}
    return [
        *_mutations(
            base,
            [
                ("imp_uid", ["", "i" * 33, "imp 1", None, [], {}, TEN_KB, ...]),
                ("merchant_uid", ["", "m" * 41, "../x", None, [], {}, TEN_KB, ...]),
                ("status", ["x" * 33, TEN_KB, [], {}]),
                ("cancellation_id", ["c" * 129, TEN_KB]),
            ],
        ),
        ("unknown-payment-for-ready-order", {**base, "merchant_uid": ready}),
        ("other-orders-payment-for-ready-order", {**base, "merchant_uid": ready, "imp_uid": paid_imp_uid}),
        (
            "claims-cancelled",
            {**base, "merchant_uid": shop.paid_order["merchant_uid"], "status": "cancelled"},
        ),
    ]


def _paid_order_path(shop: Shop) -> dict[str, str]:
    return {"merchant_uid": shop.paid_order["merchant_uid"]}


def _cart_product_path(shop: Shop) -> dict[str, str]:
    return {"product_id": next(iter(shop.cart))}


FIELDS: dict[str, RouteFields] = {
    "PUT /cart/items/{product_id}": RouteFields(
        caller="buyer",
        path=_cart_product_path,
        valid_body=lambda shop: {"quantity": 1},
        field_faults=cart_item_faults,
        harmless_path=lambda shop: {"product_id": "fuzz-no-such-product"},
    ),
    "POST /orders": RouteFields(
        caller="buyer",
        path=lambda shop: {},
        valid_body=lambda shop: {"buyer": BUYER, "pay_method": "card"},
        field_faults=order_faults,
        harmless_caller="stranger",  # an empty cart: a well-formed order is refused
        reads_idempotency_key=True,
    ),
    "POST /orders/{merchant_uid}/refund": RouteFields(
        caller="buyer",
        path=_paid_order_path,
        valid_body=lambda shop: {"reason": "fuzz"},
        field_faults=refund_faults,
        # A ready order is not refundable yet: a well-formed refund there is a 409 and changes nothing.
        harmless_path=lambda shop: {"merchant_uid": shop.ready_order["merchant_uid"]},
        reads_idempotency_key=True,
    ),
    "POST /payments/complete": RouteFields(
        caller="buyer",  # the page's report carries the buyer's token
        path=lambda shop: {},
        valid_body=lambda shop: {"imp_uid": "imp_fuzz0000", "merchant_uid": "fuzz-no-such-order"},
        field_faults=completion_faults,
        harmless_path=lambda shop: {},
    ),
    "POST /iamport/webhook": RouteFields(
        caller="anonymous",
        path=lambda shop: {},
        valid_body=lambda shop: {
            "imp_uid": "imp_fuzz0000",
            "merchant_uid": "fuzz-no-such-order",
            "status": "paid",
        },
        field_faults=webhook_faults,
        harmless_path=lambda shop: {},
    ),
}


def table_cases(shop: Shop, route: ApiRoute) -> list[tuple[str, Request]]:
    """Every malformed request of the fixed table for one route."""
    fields = FIELDS.get(route.key)
    caller = "anonymous" if route.public else "buyer"
    cases: list[tuple[str, Request]] = []

    def add(label: str, **kwargs: Any) -> None:
        kwargs.setdefault("caller", caller)
        cases.append((label, make_request(shop, route, **kwargs)))

    # The body is not a JSON object.
    path = fields.path(shop) if fields else None
    for label, body, content_type in body_fault_bodies():
        add(f"body:{label}", path=path, body=body, content_type=content_type)
    # Each field wrong in turn, where the rest of the body is right and a success would show; and the
    # whole well-formed body wrapped in an array.
    if fields:
        for label, body in fields.field_faults(shop):
            add(f"field:{label}", caller=fields.caller, path=path, body=as_json(body))
        if fields.valid_body is not None:
            valid_body = fields.valid_body(shop)
            wrapped: list[tuple[str, Any]] = [
                ("in-array", [valid_body]),
                ("in-nested-array", [[valid_body]]),
                ("twice-in-array", [valid_body, valid_body]),
            ]
            for label, wrapped_body in wrapped:
                add(f"body:valid-{label}", caller=fields.caller, path=path, body=as_json(wrapped_body))
    # Each place of a well-formed body holding a value no field can hold, sent by the caller and to the
    # path where a wrongly accepted request would change something; the webhook's form as well.
    if fields and fields.valid_body is not None:
        base = monster_base(shop, route)
        for place in monster_places(route):
            for label, raw in MONSTERS:
                add(
                    f"monster:{place}={label}",
                    caller=fields.caller,
                    path=path,
                    body=with_raw(base, place, raw),
                )
    if route.key == "POST /iamport/webhook":
        note = {"imp_uid": "imp_fuzz0000", "merchant_uid": shop.ready_order["merchant_uid"], "status": "paid"}
        for name in note:
            for label, value in [("5000-digits", "9" * 5000), ("1e999", "1e999"), ("one-mb", ONE_MB)]:
                form = urllib.parse.urlencode({**note, name: value}).encode()
                add(f"monster:form:{name}={label}", path=path, body=form, content_type=FORM)
    # Odd path parameters, with a well-formed body.
    valid = fields.valid_body(shop) if fields and fields.valid_body else None
    for name in route.parameters:
        for label, segment in ODD_SEGMENTS:
            add(f"path:{name}:{label}", path={name: segment}, body=as_json(valid) if valid else None)
        add(f"path:{name}:empty", path={name: ""}, body=as_json(valid) if valid else None)
        add(f"path:{name}:extra-segment", path={name: "a/b"}, body=as_json(valid) if valid else None)
    # Odd query strings.
    for label, query in query_faults(route):
        add(f"query:{label}", path=path, query=query)
    if route.key == "GET /orders":
        for label, cursor in crafted_cursors(shop):
            add(f"query:{label}", query=f"cursor={cursor}")
    if route.key == "GET /points":
        for label, cursor in crafted_ledger_cursors(shop) + crafted_cursors(shop):
            add(f"query:{label}", query=f"cursor={cursor}")
    if route.key == "GET /payments/complete":
        for label, query in redirect_queries(shop):
            add(f"query:{label}", query=query)
    harmless_path = fields.harmless_path(shop) if fields and fields.harmless_path else path
    harmless_caller = (fields.harmless_caller if fields else None) or caller
    # Odd headers. Where the route reads the Idempotency-Key, a bad one must stop the request that would
    # otherwise succeed before it does anything, so it goes with the well-formed body to the real
    # target; a route that ignores the header gets the request where it changes nothing.
    reads_key = bool(fields and fields.reads_idempotency_key)
    for label, headers in header_faults():
        add(
            f"header:{label}",
            caller=caller if reads_key else harmless_caller,
            path=path if reads_key else harmless_path,
            body=as_json(valid) if valid else None,
            headers=headers,
        )
    # A well-formed JSON body sent as something else. Reading it anyway is lenient, not wrong, so the
    # body goes where it changes nothing.
    for label, content_type in CONTENT_TYPE_FAULTS:
        add(
            f"header:{label}",
            caller=harmless_caller,
            path=harmless_path,
            body=as_json(valid) if valid else b"quantity=1",
            content_type=content_type,
        )
    # Who is calling: no token or a refused one (the request that would succeed must be stopped), and
    # users who have no data (a well-formed request may succeed for them, so it goes where it changes
    # nothing).
    for who in CALLERS_WITH_NO_ACCESS:
        add(f"caller:{who}", caller=who, path=path, body=as_json(valid) if valid else None)
    for who in CALLERS_WITH_NO_DATA:
        add(f"caller:{who}", caller=who, path=harmless_path, body=as_json(valid) if valid else None)
    # The buyer's own orders read, reported or refunded by someone else.
    for name in route.parameters:
        if name == "merchant_uid":
            for uid in shop.known_merchant_uids:
                for who in ("stranger", "unicode-sub", "anonymous"):
                    add(
                        f"caller:{who}:buyers-order",
                        caller=who,
                        path={name: uid},
                        body=as_json(valid) if valid else None,
                    )
        if name == "product_id" and route.method in ("GET", "DELETE"):
            add(
                "caller:stranger:buyers-cart-product",
                caller="stranger",
                path=_cart_product_path(shop),
                body=as_json(valid) if valid else None,
            )
    return [(label, request) for label, request in cases if not known_failure(route, label)]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.key)
def test_every_malformed_request_in_the_table_gets_a_4xx_json_error_and_changes_nothing(
    shop: Shop, route: ApiRoute
) -> None:
    probe = Probe(shop, route)
    cases = table_cases(shop, route)
    assert cases
    for label, request in cases:
        probe.send(label, request)
    print(f"{route.key}: {len(cases)} cases", {kind: dict(c) for kind, c in probe.statuses.items()})
    probe.finish()
    if route.key in FIELDS:
        # The field cases reached the body validation, not just the gateway or a missing route.
        assert probe.statuses["field"][422] > 0, dict(probe.statuses["field"])


# -- random requests ----------------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(ODD_TEXT)
)
json_junk = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _known_fields(route: ApiRoute) -> set[str]:
    return {
        "PUT /cart/items/{product_id}": {"quantity"},
        "POST /orders": {"buyer", "points_to_use", "pay_method", "shipping_notice"},
        "POST /orders/{merchant_uid}/refund": {"reason", "lines", "refund_account"},
        "POST /payments/complete": {"imp_uid", "merchant_uid"},
        "POST /iamport/webhook": {"imp_uid", "merchant_uid", "status", "cancellation_id"},
    }.get(route.key, set())


def random_requests(shop: Shop, route: ApiRoute) -> st.SearchStrategy[tuple[str, Request]]:
    names = sorted(_known_fields(route)) or ["quantity", "reason", "imp_uid", "merchant_uid", "buyer"]
    field_bodies = st.dictionaries(st.sampled_from(names) | st.text(max_size=12), json_junk, max_size=5)
    encoded = st.one_of(
        field_bodies.map(lambda b: (json.dumps(b, ensure_ascii=False).encode(), "application/json")),
        json_junk.map(lambda b: (json.dumps(b).encode(), "application/json")),
        st.binary(max_size=200).map(lambda b: (b, "application/octet-stream")),
        st.text(max_size=200).map(lambda t: (t.encode("utf-8", "surrogatepass"), "application/json")),
        field_bodies.map(
            lambda b: (
                urllib.parse.urlencode({k: str(v) for k, v in b.items()}).encode(),
                "application/x-www-form-urlencoded",
            )
        ),
        st.sampled_from(
            [(b, ct) for label, b, ct in body_fault_bodies() if not known_failure(route, f"body:{label}")]
        ),
        st.none().map(lambda _: (None, None)),
    )
    segment = st.one_of(
        st.sampled_from([s for _, s in ODD_SEGMENTS]),
        st.text(min_size=1, max_size=80).map(encode_segment),
    )
    # A payment reference that names a real order or payment half the time, so the reconcile behind the
    # completion routes is reached, not only the query validation.
    references = st.fixed_dictionaries(
        {"merchant_uid": st.sampled_from(shop.known_merchant_uids) | st.text(max_size=45)},
        optional={
            "imp_uid": st.sampled_from([shop.paid_order["imp_uid"], "null", ""]) | st.text(max_size=40),
            "imp_success": st.sampled_from(["true", "false", "🙂"]),
        },
    ).map(urllib.parse.urlencode)
    query = st.one_of(
        st.just(""),
        references,
        st.sampled_from([q for _, q in query_faults(route)]),
        st.dictionaries(
            st.sampled_from(["limit", "cursor", "imp_uid", "merchant_uid", "imp_success"])
            | st.text(max_size=8),
            st.text(max_size=60) | st.integers().map(str) | st.sampled_from(NUMBER_LITERALS),
            max_size=3,
        ).map(urllib.parse.urlencode),
    )
    callers = st.sampled_from(
        ["buyer", "buyer", "stranger", "anonymous", "expired", "not-a-jwt", "unicode-sub"]
    )
    no_headers: list[tuple[str, str | bytes]] = []
    headers = st.one_of(st.just(no_headers), st.sampled_from([h for _, h in header_faults()]))

    @st.composite
    def build(draw: st.DrawFn) -> tuple[str, Request]:
        body, content_type = draw(encoded)
        if route.method in ("GET", "DELETE") and draw(st.booleans()):
            body, content_type = None, None
        path = {name: draw(segment) for name in route.parameters}
        request = make_request(
            shop,
            route,
            caller=draw(callers),
            path=path,
            query=draw(query),
            body=body,
            content_type=content_type,
            headers=draw(headers),
        )
        return "random", request

    return build()


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.key)
def test_random_malformed_requests_get_a_4xx_json_error_and_change_nothing(
    shop: Shop, route: ApiRoute
) -> None:
    probe = Probe(shop, route)

    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        derandomize=True,  # the same requests on every run: CI is reproducible
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(case=random_requests(shop, route))
    def one(case: tuple[str, Request]) -> None:
        failure = probe.send(*case)
        assert failure is None, str(failure)

    one()
    print(f"{route.key}: {probe.sent} random requests", {k: dict(c) for k, c in probe.statuses.items()})
    probe.finish()


def test_after_all_the_fuzzing_the_cart_stock_orders_and_points_are_exactly_as_before(shop: Shop) -> None:
    after = shop.tables.snapshot()
    # Only the victims of the known failures below (their own users and products) may have changed.
    assert_no_changes(
        without(shop.baseline, shop.excluded), without(after, shop.excluded), "after fuzzing every route"
    )
    # The snapshot really holds what bad input could have damaged.
    assert shop.baseline["CartsTable"] and shop.baseline["OrdersTable"] and shop.baseline["PointsTable"]


# -- known failures: exact reproductions, kept until fixed ----------------------------------------------


def route_by_key(key: str) -> ApiRoute:
    return next(r for r in ROUTES if r.key == key)


def send_and_judge(shop: Shop, route: ApiRoute, request: Request) -> list[str]:
    """Problems with one request's reply and with what it did to the tables."""
    seen = len(shop.log.errors())
    before = shop.tables.snapshot()
    reply = shop.client.send(request)
    after = shop.tables.snapshot()
    shop.log.errors_after(seen)  # let the function's log lines land here, not in the next test
    problems = reply_problems(route, request, reply)
    problems += [f"changed: {change}" for change in describe_changes(before, after)]
    return [f"{request.describe()[:300]} -> {reply.describe()[:300]}: {p}" for p in problems]


DEEP = b"[" * 100_000 + b"]" * 100_000


# 100,000 levels (200 kB) are refused for their size (413); 10,000 levels (60 kB, in MONSTERS) reach the
# parser and are refused for their depth (400).
@pytest.mark.parametrize("route_key", NESTED_BODY_ROUTES)
def test_a_deeply_nested_json_body_is_a_4xx_not_a_500(shop: Shop, route_key: str) -> None:
    route = route_by_key(route_key)
    fields = FIELDS[route_key]
    request = make_request(
        shop,
        route,
        caller="anonymous" if route.public else "buyer",
        path=fields.path(shop),
        body=DEEP,
        content_type="application/json",
    )
    assert not send_and_judge(shop, route, request)


@pytest.mark.parametrize("route_key", NESTED_BODY_ROUTES)
@pytest.mark.parametrize(
    "label", ["5000-digits", "1e999", "NaN", "10k-deep-objects", "one-mb-string"], ids=lambda x: x
)
def test_a_value_no_field_can_hold_is_a_4xx_not_a_500_on_every_route_with_a_body(
    shop: Shop, route_key: str, label: str
) -> None:
    """Each route's well-formed body, sent by the caller and to the path where it would change
    something, with its first value replaced by one no field can hold."""
    route = route_by_key(route_key)
    fields = FIELDS[route_key]
    raw = dict(MONSTERS)[label]
    place = monster_places(route)[0]
    request = make_request(
        shop,
        route,
        caller=fields.caller,
        path=fields.path(shop),
        body=with_raw(monster_base(shop, route), place, raw),
    )
    seen = len(shop.log.errors())
    before = shop.tables.snapshot()
    reply = shop.client.send(request)
    after = shop.tables.snapshot()
    assert 400 <= reply.status < 500, reply.describe()
    assert not reply_problems(route, request, reply), reply.describe()
    assert_no_changes(before, after, request.describe())
    assert not shop.log.errors_after(seen), "a refusal of ours leaves no error in the logs"


@dataclass
class Victim:
    """A user of its own with a product of its own, for a request that really changes something when
    the bug is there; the final comparison leaves both out."""

    sub: str
    token: str
    product_id: str
    paid_order: dict[str, Any] | None


def new_victim(shop: Shop, *, with_paid_order: bool) -> Victim:
    suffix = uuid.uuid4().hex[:10]
    sub, product_id = f"fuzz-victim-{suffix}", f"fuzz-victim-{suffix}"
    shop.excluded.update({sub, product_id})
    shop.tables.add_product(product_id, price=1_000, stock=100)
    token = shop.stack.token_for(sub)
    paid_order = None
    if with_paid_order:
        call_api(shop.stack, "PUT", f"/cart/items/{product_id}", token, {"quantity": 2}, 200)
        created = call_api(shop.stack, "POST", "/orders", token, {"buyer": BUYER, "pay_method": "card"}, 201)
        paid_order = pay_order(shop.stack, token, created)
    call_api(shop.stack, "PUT", f"/cart/items/{product_id}", token, {"quantity": 1}, 200)
    return Victim(sub, token, product_id, paid_order)


def victim_request(route: ApiRoute, victim: Victim, path: dict[str, str], body: Any) -> Request:
    headers = (("Authorization", f"Bearer {victim.token}"), ("Content-Type", "application/json"))
    return Request(route.method, route.target(path), headers, as_json(body), "victim")


ARRAY_CASES: dict[str, tuple[Callable[[Victim], dict[str, str]], Callable[[Victim], Any], str]] = {
    "PUT /cart/items/{product_id}": (
        lambda v: {"product_id": v.product_id},
        lambda v: [{"quantity": 5}],
        "PUT /cart/items/<a product in the buyer's cart> with the buyer's token, Content-Type: "
        'application/json and the body [{"quantity": 5}] answers 200 and sets the cart line to 5',
    ),
    "POST /orders": (
        lambda v: {},
        lambda v: [{"buyer": BUYER, "pay_method": "card"}],
        "POST /orders with the buyer's token (non-empty cart), Content-Type: application/json and the body "
        '[{"buyer": {"name": "홍길동", "email": "buyer@example.com", "tel": "010-1234-5678"}, '
        '"pay_method": "card"}] answers 201 and creates an order (stock reserved, cart emptied)',
    ),
    "POST /orders/{merchant_uid}/refund": (
        lambda v: {"merchant_uid": v.paid_order["merchant_uid"] if v.paid_order else ""},
        lambda v: [{"reason": "fuzz"}],
        "POST /orders/<the buyer's paid order>/refund with the buyer's token, Content-Type: application/json "
        'and the body [{"reason": "fuzz"}] answers 200 and refunds the whole order at I\'mport',
    ),
}


# Powertools' field normalisation turns a list into its first element for any non-sequence field, the
# body model included: without the API's own check, [valid, anything] would pass validation as valid.
@pytest.mark.parametrize("route_key", list(ARRAY_CASES))
def test_a_json_array_body_is_refused_not_read_as_its_first_element(shop: Shop, route_key: str) -> None:
    route = route_by_key(route_key)
    path, body, _ = ARRAY_CASES[route_key]
    victim = new_victim(shop, with_paid_order=route_key == "POST /orders/{merchant_uid}/refund")
    assert not send_and_judge(shop, route, victim_request(route, victim, path(victim), body(victim)))


# DynamoDB refuses an empty key string in ExclusiveStartKey; such a cursor is the caller's mistake.
@pytest.mark.parametrize("empty", ["merchant_uid", "created_at"])
def test_a_cursor_with_an_empty_key_value_is_a_400_not_a_503(shop: Shop, empty: str) -> None:
    key = {
        "merchant_uid": {"S": shop.paid_order["merchant_uid"]},
        "user_id": {"S": shop.buyer_sub},
        "created_at": {"S": "2020-01-01T00:00:00Z"},
    }
    key[empty] = {"S": ""}
    route = route_by_key("GET /orders")
    request = make_request(shop, route, caller="buyer", query=f"cursor={cursor_for(key)}")
    assert not send_and_judge(shop, route, request)
