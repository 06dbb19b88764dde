"""The runbook stays true to the template: every alarm has its section, and nothing it names is gone."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from local.cfn import load_template

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = ROOT / "docs" / "operations.md"


def _alarm_ids() -> set[str]:
    resources = load_template()["Resources"]
    return {lid for lid, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def _runbook_alarm_names() -> set[str]:
    """Every identifier ending in Alarm that a heading of the runbook names."""
    names: set[str] = set()
    for line in RUNBOOK.read_text().splitlines():
        if line.startswith("#"):
            names |= set(re.findall(r"\b([A-Z][A-Za-z]+Alarm)\b", line))
    return names


def test_every_alarm_has_a_runbook_section_and_every_section_an_alarm():
    alarms, documented = _alarm_ids(), _runbook_alarm_names()
    assert len(alarms) >= 20
    assert alarms - documented == set(), "alarms without a runbook section"
    assert documented - alarms == set(), "runbook sections for alarms the template does not have"


def test_every_path_make_target_and_function_the_runbook_names_exists():
    text = RUNBOOK.read_text()
    for path in set(re.findall(r"\b((?:docs|events|bench|tools)/[\w./-]+\.(?:md|json|py))\b", text)):
        assert (ROOT / path).is_file(), path
    makefile = (ROOT / "Makefile").read_text()
    for target in set(re.findall(r"`make (\w[\w-]*)", text)):
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), f"make {target}"
    names = {
        r["Properties"]["FunctionName"]["Fn::Sub"].replace("${AWS::StackName}", "STACK")
        for r in load_template()["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
    }
    for function in set(re.findall(r"\bSTACK-[a-z-]+[a-z]", text)):
        assert function in names, function


def test_the_changelog_names_the_projects_version():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert released and released[0] == version
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
