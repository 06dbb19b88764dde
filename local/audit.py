"""`python -m local audit [--since ISO] [--until ISO]` (make audit): the settlement audit, offline.

`make run` records in its data dir where its DynamoDB Local, I'mport sandbox and tables are while it
runs. This invokes the template's audit function there, exactly as its daily schedule does in AWS (with
`{"since": ..., "until": ...}` when given; by default the two days up to now), and prints its report
as JSON, then one line: `checked N, fixed N, needs a person N`.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from local.cfn import load_template
from local.lambdas import FunctionRuntime, InvocationFailed
from local.stack import REGION, StackError, function_overrides, load_local_app, read_running_state

AUDIT_FUNCTION = "AuditFunction"
LOG_TAIL = 20  # function log lines shown when the audit fails


def iso_time(value: str) -> str:
    """An argparse type: an ISO-8601 time, passed on as written (the function reads it)."""
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO-8601 time such as 2026-01-01T00:00:00Z"
        ) from None
    return value


def summary_line(report: dict[str, Any]) -> str:
    return (
        f"checked {report['checked']}, fixed {report['fixed']}, "
        f"needs a person {len(report['needs_a_person'])}"
    )


def run_audit(
    data_dir: pathlib.Path,
    since: str | None = None,
    until: str | None = None,
    *,
    out: Callable[[str], None] = print,
) -> int:
    """Run the audit on the stack that uses `data_dir`. StackError when none runs there."""
    state = read_running_state(data_dir)
    app = load_local_app(load_template(), state.urls, state.table_names)
    spec = app.functions.get(AUDIT_FUNCTION)
    if spec is None:
        raise StackError(f"template.yaml has no {AUDIT_FUNCTION}")
    logs: list[str] = []
    runtime = FunctionRuntime(
        {AUDIT_FUNCTION: spec},
        REGION,
        function_overrides(state.urls, state.ddb_endpoint, state.table_names),
        lambda _function_id, line: logs.append(line),
        max_environments=1,
    )
    event = {name: value for name, value in (("since", since), ("until", until)) if value}
    try:
        report = runtime.invoke(AUDIT_FUNCTION, event).result
    except InvocationFailed as exc:
        for line in logs[-LOG_TAIL:]:
            print(line, file=sys.stderr)
        raise StackError(f"the audit failed: {exc}") from None
    finally:
        runtime.close()
    out(json.dumps(report, indent=2, ensure_ascii=False))
    out(summary_line(report))
    return 0
