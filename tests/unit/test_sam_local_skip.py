"""Where containers cannot run, the SAM local suite says why and is reported as skipped, never passed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_sam_local_suite_is_skipped_with_the_reason_when_containers_cannot_run(tmp_path: Path) -> None:
    status = tmp_path / "status.json"
    reason = "containers cannot run on this machine (podman run: permission denied)"
    status.write_text(json.dumps({"ready": False, "reason": reason}))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests/samlocal"],
        cwd=ROOT,
        env={**os.environ, "SAM_LOCAL_STATUS": str(status)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert " skipped" in done.stdout and "passed" not in done.stdout and "failed" not in done.stdout
    assert reason in done.stdout
