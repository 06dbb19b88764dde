"""Resolve CloudFormation intrinsics (`Ref`, `Fn::Sub`, `Fn::GetAtt`, ...) to the offline stack's values.

On AWS these resolve to deployed resources; offline a table `Ref` becomes the local table name, a
parameter `Ref` the local parameter value, and anything naming the HTTP API (its id in an
`execute-api` URL, `GetAtt HttpApi.ApiEndpoint`) the local API's URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"

# `https://<api id>.execute-api.<region>.amazonaws.com` as a Sub-built URL ends up after resolution.
_EXECUTE_API_URL = re.compile(r"https://[A-Za-z0-9-]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?")
_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


class UnresolvableIntrinsic(ValueError):
    pass


class _NoValue:
    """`!Ref AWS::NoValue`: the property (or list item) is left out, as CloudFormation does."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


@dataclass
class LocalValues:
    """Everything a template expression can point at, offline."""

    region: str
    api_url: str
    parameters: Mapping[str, Any]
    resources: Mapping[str, str]  # logical id -> what `Ref` gives (table name, api id, function name)
    attributes: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (logical id, attr) -> value
    http_api_ids: frozenset[str] = frozenset()
    conditions: dict[str, bool] = field(default_factory=dict)  # filled by evaluate_conditions()
    stack_name: str = "checkout-local"

    def pseudo(self, name: str) -> str | None:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{ACCOUNT_ID}:stack/{self.stack_name}/"
            "00000000-0000-0000-0000-000000000000",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }.get(name)

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return self.resources[name]
        if name.startswith("AWS::"):
            value = self.pseudo(name)
            if value is not None:
                return value
        raise UnresolvableIntrinsic(f"!Ref {name} names no parameter or resource of the template")

    def get_att(self, logical_id: str, attribute: str) -> str:
        if (logical_id, attribute) in self.attributes:
            return self.attributes[(logical_id, attribute)]
        if logical_id in self.http_api_ids and attribute == "ApiEndpoint":
            return self.api_url
        if logical_id in self.resources:
            # ARNs and other attributes have no local meaning beyond being stable, readable strings.
            return f"arn:aws:local:{self.region}:{ACCOUNT_ID}:{logical_id}/{attribute}"
        raise UnresolvableIntrinsic(f"!GetAtt {logical_id}.{attribute} names no resource of the template")


def resolve(value: Any, local: LocalValues) -> Any:
    """Resolve every intrinsic inside `value` (a template fragment); plain data is returned as is."""
    if isinstance(value, list):
        return [out for out in (resolve(v, local) for v in value) if out is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, arg),) = value.items()
        handler = _FUNCTIONS.get(key)
        if handler is not None:
            return handler(arg, local)
    resolved = {k: resolve(v, local) for k, v in value.items()}
    return {k: v for k, v in resolved.items() if v is not NO_VALUE}


def resolve_str(value: Any, local: LocalValues) -> str:
    out = resolve(value, local)
    if isinstance(out, bool):
        return "true" if out else "false"
    if isinstance(out, (int, float)):
        return str(out)
    if isinstance(out, list):
        return ",".join(resolve_str(v, local) for v in out)
    if not isinstance(out, str):
        raise UnresolvableIntrinsic(f"expected a string, got {out!r}")
    return out


def _ref(arg: Any, local: LocalValues) -> Any:
    if arg in local.http_api_ids:
        return local.resources[arg]
    return local.ref(str(arg))


def _sub(arg: Any, local: LocalValues) -> str:
    if isinstance(arg, list):
        template, variables = arg[0], {k: resolve_str(v, local) for k, v in (arg[1] or {}).items()}
    else:
        template, variables = arg, {}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in variables:
            return variables[name]
        if "." in name and not name.startswith("AWS::"):
            logical_id, attribute = name.split(".", 1)
            return local.get_att(logical_id, attribute)
        return _ref(name, local)

    out = _SUB_VAR.sub(replace, str(template)).replace("${!", "${")
    # The API's own URL, however the template spells it, is the local adapter's URL offline.
    return _EXECUTE_API_URL.sub(local.api_url, out)


def _get_att(arg: Any, local: LocalValues) -> str:
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    logical_id, attribute = resolve(arg[0], local), resolve(arg[1], local)
    return local.get_att(str(logical_id), str(attribute))


def _join(arg: Any, local: LocalValues) -> str:
    sep, items = arg
    return str(sep).join(resolve_str(v, local) for v in resolve(items, local))


def _select(arg: Any, local: LocalValues) -> Any:
    index, items = arg
    return resolve(items, local)[int(resolve(index, local))]


def _split(arg: Any, local: LocalValues) -> list[str]:
    sep, text = arg
    return resolve_str(text, local).split(str(sep))


def evaluate_conditions(conditions: Mapping[str, Any], local: LocalValues) -> None:
    """Evaluate the template's `Conditions` with the local parameter values (in dependency order)."""
    pending = dict(conditions)
    while pending:
        progressed = False
        for name, expr in list(pending.items()):
            try:
                local.conditions[name] = bool(resolve(expr, local))
            except _ConditionNotYet:
                continue
            del pending[name]
            progressed = True
        if not progressed:
            raise UnresolvableIntrinsic(f"conditions {sorted(pending)} refer to unknown conditions")


class _ConditionNotYet(LookupError):
    pass


def _condition(arg: Any, local: LocalValues) -> bool:
    if arg not in local.conditions:
        raise _ConditionNotYet(arg)
    return local.conditions[arg]


def _if(arg: Any, local: LocalValues) -> Any:
    name, when_true, when_false = arg
    return resolve(when_true if _condition(name, local) else when_false, local)


def _equals(arg: Any, local: LocalValues) -> bool:
    left, right = arg
    return resolve(left, local) == resolve(right, local)


def _not(arg: Any, local: LocalValues) -> bool:
    return not resolve(arg[0], local)


def _and(arg: Any, local: LocalValues) -> bool:
    return all(resolve(a, local) for a in arg)


def _or(arg: Any, local: LocalValues) -> bool:
    return any(resolve(a, local) for a in arg)


def _base64(arg: Any, local: LocalValues) -> str:
    import base64

    return base64.b64encode(resolve_str(arg, local).encode()).decode()


_FUNCTIONS: dict[str, Callable[[Any, LocalValues], Any]] = {
    "Ref": _ref,
    "Fn::Sub": _sub,
    "Fn::GetAtt": _get_att,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": _not,
    "Fn::And": _and,
    "Fn::Or": _or,
    "Condition": _condition,
    "Fn::Base64": _base64,
}
