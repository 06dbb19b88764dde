"""HTTP API route selection: the most specific matching route wins, as API Gateway chooses it.

Literal segments beat `{param}` segments, which beat a greedy `{proxy+}`; a route for the exact method
beats `ANY`; the `$default` route catches what nothing else matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from local.samapp import Route

_LITERAL, _PARAM, _GREEDY = 0, 1, 2


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/") if path.strip("/") else []


def _kind(segment: str) -> int:
    if segment.startswith("{") and segment.endswith("+}"):
        return _GREEDY
    if segment.startswith("{") and segment.endswith("}"):
        return _PARAM
    return _LITERAL


def _match_path(route_path: str, raw_path: str) -> dict[str, str] | None:
    pattern, actual = _segments(route_path), _segments(raw_path)
    params: dict[str, str] = {}
    for i, segment in enumerate(pattern):
        kind = _kind(segment)
        if kind == _GREEDY:
            rest = actual[i:]
            if not rest:
                return None
            params[segment[1:-2]] = "/".join(rest)
            return params
        if i >= len(actual):
            return None
        if kind == _PARAM:
            if not actual[i]:
                return None
            params[segment[1:-1]] = actual[i]
        elif segment != actual[i]:
            return None
    return params if len(actual) == len(pattern) else None


def _specificity(route: Route) -> tuple[list[int], int]:
    return [_kind(s) for s in _segments(route.path)], 1 if route.method == "ANY" else 0


def select_route(routes: Sequence[Route], method: str, raw_path: str) -> RouteMatch | None:
    candidates: list[RouteMatch] = []
    for route in routes:
        if route.path == "$default" or route.method not in (method.upper(), "ANY"):
            continue
        params = _match_path(route.path, raw_path)
        if params is not None:
            candidates.append(RouteMatch(route, params))
    if candidates:
        return min(candidates, key=lambda m: _specificity(m.route))
    default = next((r for r in routes if r.path == "$default"), None)
    return RouteMatch(default, {}) if default else None
