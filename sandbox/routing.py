"""Request parsing, replies and routing for the sandbox's HTTP server (stdlib only).

Bodies may be JSON or `application/x-www-form-urlencoded`, as every I'mport endpoint accepts both
(docs/iamport-v1.md#transport). Form keys in bracket style (`extra[requester]`, `imp_uid[]`) become
nested values.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class BadBody(ValueError):
    pass


class ApiError(Exception):
    """A refusal in the envelope; raised anywhere in a handler, answered by the dispatcher."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    raw_body: bytes
    params: dict[str, str] = field(default_factory=dict)  # path parameters
    account: Any = None  # the authenticated account on REST routes
    token: str | None = None
    # Webhooks to start once the state lock is released: (payment, event, status, cancellation_id).
    notifications: list = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def body(self) -> dict:
        """The body as a dict; empty when there is none."""
        if not self.raw_body.strip():
            return {}
        content_type = (self.header("content-type") or "").split(";")[0].strip().lower()
        text = self.raw_body.decode("utf-8", errors="strict") if _is_utf8(self.raw_body) else None
        if text is None:
            raise BadBody("body is not UTF-8")
        looks_json = text.lstrip().startswith(("{", "["))
        if content_type == "application/x-www-form-urlencoded" and looks_json:
            # `curl -d '{...}'` labels a JSON body as a form; no real form starts with a brace and
            # still parses as a JSON object, so such a body is read as the JSON it is.
            data = _json_or_none(text)
            if isinstance(data, dict):
                return data
            return parse_form(text)
        if content_type == "application/x-www-form-urlencoded" or (
            content_type != "application/json" and not looks_json
        ):
            return parse_form(text)
        try:
            data = _strict_json(text)
        except ValueError as exc:
            raise BadBody(f"invalid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise BadBody("the JSON body must be an object")
        return data


@dataclass
class Response:
    status: int
    body: Any = None  # dict/list -> JSON; bytes/str sent as is
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=UTF-8"

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        if self.body is None:
            return b""
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


def envelope(status: int, code: int = 0, message: str | None = None, response: Any = None) -> Response:
    """I'mport's `{code, message, response}`: message null on success, response null on failure."""
    return Response(status, {"code": code, "message": message, "response": response})


def ok(response: Any, status: int = 200) -> Response:
    return envelope(status, 0, None, response)


def fail(status: int, code: int, message: str) -> Response:
    return envelope(status, code, message, None)


def parse_form(text: str) -> dict:
    result: dict[str, Any] = {}
    for key, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
        _assign(result, key, value)
    return result


def query_values(query: dict[str, list[str]], name: str) -> list[str]:
    """`name[]=a&name[]=b` (the spec's collectionFormat multi) and plain `name=a` both count."""
    return [v for key in (f"{name}[]", name) for v in query.get(key, []) if v != ""]


def _assign(target: dict, key: str, value: str) -> None:
    match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])+)", key)
    if not match:
        target[key] = value
        return
    parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
    node: Any = target
    for index, part in enumerate(parts[:-1]):
        nxt = parts[index + 1]
        default: Any = [] if nxt == "" else {}
        if isinstance(node, dict):
            if not isinstance(node.get(part), type(default)):
                node[part] = default
            node = node[part]
        else:  # a list only holds leaves here
            return
    last = parts[-1]
    if last == "":
        if isinstance(node, list):
            node.append(value)
    elif isinstance(node, dict):
        node[last] = value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _strict_json(text: str) -> Any:
    """JSON as RFC 8259 has it: Python's NaN/Infinity extension would put non-numbers in amounts."""
    return json.loads(text, parse_constant=_refuse_constant)


def _json_or_none(text: str) -> Any:
    try:
        return _strict_json(text)
    except ValueError:
        return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


Handler = Callable[[Request], Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    handler: Handler
    auth: bool


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, path: str, handler: Handler, auth: bool = False) -> None:
        """`path` uses `{name}` placeholders; each matches one path segment."""
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"
        self.routes.append(Route(method, re.compile(regex), handler, auth))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, path params, path_exists_for_another_method)."""
        other_method = False
        for route in self.routes:
            found = route.pattern.match(path)
            if not found:
                continue
            if route.method == method:
                params = {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}
                return route, params, False
            other_method = True
        return None, {}, other_method
