"""A handler's import loads Powertools' HTTP API resolver, not the rest of its event handler
(checkout.api.powertools), and everything else in Powertools still works once asked for.

Nothing here is timed (bench/REPORT.md has the figures): these check which modules load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HTTP_HANDLERS = sorted(
    p.parent for p in (ROOT / "functions").glob("*/app.py") if "build_resolver" in p.read_text()
)
# What a handler never needs at import: the other resolvers (AppSync brings asyncio), every other event
# class, and the clients, which get_checkout() builds on the first call.
NOT_AT_IMPORT = (
    "asyncio",
    "aws_lambda_powertools.event_handler.appsync",
    "aws_lambda_powertools.event_handler.bedrock_agent",
    "aws_lambda_powertools.event_handler.vpc_lattice",
    "aws_lambda_powertools.utilities.data_classes.sqs_event",
    "aws_lambda_powertools.utilities.data_classes.code_pipeline_job_event",
    "aws_xray_sdk",
    "boto3",
    "checkout.gateway",
    "checkout.services.facade",
    "pynamodb",
    "requests",
)


def _run(code: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT / "shared"), "AWS_DEFAULT_REGION": "ap-northeast-2"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_http_handlers_import_only_the_http_api_resolver_of_powertools():
    assert len(HTTP_HANDLERS) >= 6
    for code_dir in HTTP_HANDLERS:
        code = f"import json, sys, app; print(json.dumps([m for m in {NOT_AT_IMPORT!r} if m in sys.modules]))"
        loaded = json.loads(_run(code, cwd=code_dir))
        assert loaded == [], f"{code_dir.name} imports {loaded}"


def test_handlers_take_powertools_http_pieces_from_checkout_api():
    # A direct import would run the event handler package whole before checkout.api could stop it.
    for code_dir in HTTP_HANDLERS:
        source = (code_dir / "app.py").read_text()
        assert "from aws_lambda_powertools.event_handler" not in source, code_dir.name


def test_each_name_taken_early_is_the_object_the_package_itself_exports():
    code = """
import sys
from checkout.api import powertools
early = {}
for package_name, names in powertools._EAGER.items():
    package = sys.modules[package_name]
    assert "__getattr__" in package.__dict__, package_name + " was imported whole"
    early[package_name] = {name: getattr(package, name) for name in names}
# Any other name runs the package's own __init__; every early name must be what it defines.
from aws_lambda_powertools.event_handler import AppSyncResolver
from aws_lambda_powertools.utilities.data_classes import SQSEvent, event_source
for package_name, values in early.items():
    package = sys.modules[package_name]
    assert "__getattr__" not in package.__dict__
    for name, value in values.items():
        assert getattr(package, name) is value, (package_name, name)
assert callable(event_source) and not isinstance(event_source, type(sys)), event_source
print(AppSyncResolver.__name__, SQSEvent.__name__)
"""
    assert _run(code) == "AppSyncResolver SQSEvent"


def test_nothing_changes_when_powertools_was_imported_first():
    code = """
import aws_lambda_powertools.event_handler as eh
from checkout.api import Response
import sys
assert sys.modules["aws_lambda_powertools.event_handler"] is eh and "__getattr__" not in eh.__dict__
assert Response is eh.Response
print("ok")
"""
    assert _run(code) == "ok"


def test_every_function_runs_without_pydantic_plugin_discovery():
    # pydantic scans every distribution's entry points for plugins on the first model otherwise.
    from local.cfn import load_template

    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
