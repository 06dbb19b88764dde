"""`make bench` keeps working: the report script runs end to end with tiny sample sizes (no figures are
checked: this machine is noisy; bench/REPORT.md holds a real run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.integration


def test_the_benchmark_report_runs_and_writes_every_section(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "report.py"),
            "--cold-runs=1",
            "--warm=2",
            "--buyers=2",
            "--checkouts=2",
            "--op-runs=2",
            "--lines=1,2",
            "--table-sizes=50,100",
            "--sweep-orders=5",
            "--hot-stock=40",
            "--hot-buyers=2",
            "--hot-shards=2",
            "--no-plots",
            f"--out={tmp_path}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = (tmp_path / "REPORT.md").read_text()
    for section in (
        "## Cold start per handler",
        "## Warm latency beside the floor",
        "## Throughput",
        "## Round trips and capacity per operation",
        "## Scaling with the order's lines",
        "## The sweeper's cost per 1000 open orders",
        "## Scaling with the table's size",
        "## A hot product",
    ):
        assert section in report
    assert "Oversold: **0**" in report
    assert "| one item | 40 | 0 | 0 |" in report and "| 2 shards | 40 | 0 | 0 |" in report
    assert "double effects (stock taken or points earned more than once per order): **0**" in report
    assert "token reused on 100 %" in report
    assert "| `aws_lambda_powertools." in report and "| `checkout." in report  # the handler's own imports
