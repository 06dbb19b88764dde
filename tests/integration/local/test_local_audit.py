"""The settlement audit offline: the template's daily schedule is understood by the local scheduler
(and SWEEP_INTERVAL_S only speeds up rates), and `python -m local audit` (make audit) runs the audit
function against the running stack, or says in one line that no stack is running."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from local import __main__ as cli
from local.cfn import load_template
from local.scheduler import Scheduler, daily_time, seconds_until
from local.stack import STATE_FILE, LocalStack, LocalUrls, load_local_app, running_stack
from local.tables import local_table_names
from sandbox.control import SandboxControl

ROOT = pathlib.Path(__file__).resolve().parents[3]
URLS = LocalUrls("http://127.0.0.1:3000", "http://127.0.0.1:4000", "http://127.0.0.1:8090")


# ---------------------------------------------------------------- the schedule


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 18 * * ? *)", (18, 0)),
        ("cron(30 2 ? * * *)", (2, 30)),
        (" cron( 5 0 * * ? * ) ", (0, 5)),
        ("cron(0 18 ? * MON-FRI *)", None),  # not every day
        ("cron(0/15 * * * ? *)", None),
        ("cron(0 24 * * ? *)", None),
        ("rate(5 minutes)", None),
    ],
)
def test_daily_cron_expressions_are_read_as_a_time_of_day(expression, expected) -> None:
    assert daily_time(expression) == expected


def test_a_daily_run_waits_until_its_next_time_of_day() -> None:
    now = datetime(2026, 1, 1, 17, 30, tzinfo=UTC)
    assert seconds_until(18, 0, now) == 30 * 60
    assert seconds_until(17, 30, now) == 24 * 3600  # just ran: the same time tomorrow
    assert seconds_until(9, 0, now) == timedelta(hours=15, minutes=30).total_seconds()


def test_offline_the_sweeper_repeats_and_the_audit_runs_daily_whatever_the_sweep_interval() -> None:
    app = load_local_app(load_template(), URLS, local_table_names())
    scheduler = Scheduler(app.schedules, None, "ap-northeast-2", interval_override_s=10)  # type: ignore[arg-type]

    assert [(s.function_id, interval) for s, interval in scheduler.plan] == [("ReconcileFunction", 10.0)]
    assert [(s.function_id, at) for s, at in scheduler.daily] == [("AuditFunction", (18, 0))]
    assert scheduler.describe() == ["ReconcileFunction every 10s", "AuditFunction daily at 18:00 UTC"]


# ---------------------------------------------------------------- python -m local audit


def test_without_a_running_stack_the_command_says_so_in_one_line(tmp_path: pathlib.Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "local", "audit"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "LOCAL_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: the offline stack is not running: start it with `make run` (another terminal), then retry"
    ]


def test_a_stack_that_is_gone_is_not_running_even_if_its_file_stayed(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    nothing = "http://127.0.0.1:9"  # the discard port: nothing answers there
    stale = {
        "pid": 2**22 + 12345,  # above Linux's pid limit: no such process
        "api_url": nothing,
        "web_url": nothing,
        "sandbox_url": nothing,
        "ddb_endpoint": nothing,
        "table_names": {},
    }
    (tmp_path / STATE_FILE).write_text(json.dumps(stale))
    monkeypatch.setenv("LOCAL_DATA_DIR", str(tmp_path))

    assert cli.main(["audit"]) == 1
    assert "the offline stack is not running" in capsys.readouterr().err


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    data_dir = tmp_path_factory.mktemp("audit-stack")
    with running_stack(data_dir=data_dir) as running:
        yield running
    assert not (data_dir / STATE_FILE).exists(), "a stopped stack leaves no running-state file"


def test_a_running_stack_records_where_its_parts_are(stack: LocalStack) -> None:
    assert stack.data_dir is not None
    state = json.loads((stack.data_dir / STATE_FILE).read_text())
    assert state["sandbox_url"] == stack.sandbox_url and state["ddb_endpoint"] == stack.ddb_endpoint
    assert state["table_names"] == stack.table_names


def test_the_audit_command_reports_cash_no_order_accounts_for(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    assert stack.data_dir is not None
    monkeypatch.setenv("LOCAL_DATA_DIR", str(stack.data_dir))
    ghost = SandboxControl(stack.sandbox_url).pay("ghost-order-1", 4_000)

    assert cli.main(["audit"]) == 0

    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == "checked 0, fixed 0, needs a person 1"
    report = json.loads("\n".join(out[:-1]))
    assert report["needs_a_person"] == [
        {
            "merchant_uid": "ghost-order-1",
            "imp_uids": [ghost["imp_uid"]],
            "held": 4_000,
            "booked": 0,
            "reason": "no order has this merchant_uid, yet I'mport holds cash for it",
        }
    ]


def test_the_audit_command_takes_a_window(stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    assert stack.data_dir is not None
    monkeypatch.setenv("LOCAL_DATA_DIR", str(stack.data_dir))

    assert cli.main(["audit", "--since", "2020-01-01T00:00:00Z", "--until", "2020-01-02T00:00:00Z"]) == 0

    out = capsys.readouterr().out.strip().splitlines()
    report = json.loads("\n".join(out[:-1]))
    assert (report["since"], report["until"]) == ("2020-01-01T00:00:00+00:00", "2020-01-02T00:00:00+00:00")
    assert report["payments"] == 0 and out[-1] == "checked 0, fixed 0, needs a person 0"
