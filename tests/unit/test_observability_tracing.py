"""The X-Ray SDK is loaded only when asked (CHECKOUT_XRAY_SDK): it is the largest import of a handler."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _import_observability(**env: str) -> str:
    code = (
        "import sys; import checkout.observability as o; "
        "print(type(o.tracer).__name__, 'aws_xray_sdk' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT / "shared"), "POWERTOOLS_TRACE_DISABLED": "true", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout.strip()


def test_without_the_setting_no_x_ray_sdk_is_imported_and_handlers_are_left_as_they_are():
    assert _import_observability(CHECKOUT_XRAY_SDK="") == "_LambdaTracing False"
    from checkout.observability import _LambdaTracing

    def handler(event, context):
        return event

    tracing = _LambdaTracing()
    assert tracing.capture_lambda_handler(handler) is handler
    assert tracing.capture_method(handler) is handler


def test_the_setting_loads_powertools_tracer():
    assert _import_observability(CHECKOUT_XRAY_SDK="true") == "Tracer True"


def test_no_handler_imports_the_x_ray_sdk_by_default():
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        code = (
            f"import sys; sys.path[:0] = [{str(app.parent)!r}]; import app; "
            "print('aws_xray_sdk' in sys.modules)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONPATH": str(ROOT / "shared"), "AWS_DEFAULT_REGION": "ap-northeast-2"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip() == "False", app.parent.name
