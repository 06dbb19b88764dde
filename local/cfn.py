"""Read `template.yaml` (SAM/CloudFormation YAML with its short-form tags) into plain Python data.

Short-form intrinsics (`!Ref X`, `!Sub ...`, `!GetAtt A.B`) become their long form (`{"Ref": "X"}`,
`{"Fn::Sub": ...}`, `{"Fn::GetAtt": ["A", "B"]}`), exactly as CloudFormation reads them.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Mapping
from typing import Any

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    pass


def _intrinsic(tag: str) -> Callable[[yaml.SafeLoader, yaml.Node], dict[str, Any]]:
    # `!Ref` and `!Condition` are the two short forms whose long form has no "Fn::" prefix.
    name = tag if tag in ("Ref", "Condition") else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    return construct


for _tag in (
    "Ref",
    "Sub",
    "GetAtt",
    "Join",
    "Select",
    "Split",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "FindInMap",
    "ImportValue",
    "Base64",
    "Cidr",
    "GetAZs",
    "Condition",
):
    _CfnLoader.add_constructor(f"!{_tag}", _intrinsic(_tag))


def load_template(path: pathlib.Path = TEMPLATE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass with CFN tags only
    if not isinstance(data, dict) or "Resources" not in data:
        raise ValueError(f"{path} is not a CloudFormation template")
    return data


def resources_of_type(template: Mapping[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    return {lid: res for lid, res in template["Resources"].items() if res.get("Type") in types}
