"""Imports point one way (docs/architecture.md): the services see the ports, never the adapters."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = ROOT / "shared" / "checkout"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_services_depend_on_the_ports_not_on_the_adapters():
    offenders = {
        path.name: sorted(m for m in _imports(path) if m.startswith(("checkout.gateway", "checkout.store")))
        for path in sorted((CHECKOUT / "services").glob("*.py"))
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_domain_imports_nothing_from_aws_the_adapters_or_the_api():
    banned = (
        "boto3",
        "botocore",
        "pynamodb",
        "requests",
        "aws_lambda_powertools",
        "checkout.gateway",
        "checkout.store",
        "checkout.api",
        "checkout.services",
    )
    offenders = {
        path.name: sorted(m for m in _imports(path) if m.startswith(banned))
        for path in sorted((CHECKOUT / "domain").glob("*.py"))
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_one_metric_helper_and_no_status_alias():
    assert not (CHECKOUT / "services" / "telemetry.py").exists()
    assert not (CHECKOUT / "domain" / "transition.py").exists()
    for path in CHECKOUT.rglob("*.py"):
        assert "S = OrderStatus" not in path.read_text(), path.name


def test_test_support_lives_in_one_package_and_nothing_imports_a_conftest():
    tests = ROOT / "tests"
    stray = [
        str(p.relative_to(ROOT))
        for p in tests.rglob("*.py")
        if not p.name.startswith("test_")
        and p.name not in ("conftest.py", "__init__.py")
        and "support" not in p.parts
        and "fixtures" not in p.parts  # the local adapter's sample functions and templates
    ]
    assert stray == []
    reaching = [
        str(p.relative_to(ROOT))
        for p in tests.rglob("*.py")
        if any(m.endswith("conftest") for m in _imports(p))
    ]
    assert reaching == []
