"""Read `template.yaml` (SAM/CloudFormation YAML with its short-form tags) into plain Python data.

The parsing is cfn-lint's (the loader `sam validate --lint` and the contract tests use too): short-form
intrinsics (`!Ref X`, `!Sub ...`, `!GetAtt A.B`) become their long form (`{"Ref": "X"}`,
`{"Fn::Sub": ...}`, `{"Fn::GetAtt": ["A", "B"]}`), exactly as CloudFormation reads them. Its result is
turned into plain dicts, lists and strings, so nothing downstream depends on cfn-lint's node types.
cfn-lint is imported only when a template is read (it takes most of a second to import).
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def load_template(path: pathlib.Path = TEMPLATE) -> dict[str, Any]:
    from cfnlint.decode import cfn_yaml

    data = _plain(cfn_yaml.load(str(path)))
    if not isinstance(data, dict) or "Resources" not in data:
        raise ValueError(f"{path} is not a CloudFormation template")
    return data


def resources_of_type(template: Mapping[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    return {lid: res for lid, res in template["Resources"].items() if res.get("Type") in types}
