"""Headless Chromium for the browser tests: Debian's `chromium` (never a Playwright download).

`make chromium` installs it; tests skip with a clear reason when it is missing.
"""

from __future__ import annotations

import pathlib
import shutil
from typing import Any

from local.cfn import ROOT

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    return shutil.which("chromium")


def launch_chromium(playwright: Any) -> Any:
    """A headless Browser from `sync_playwright()` (or the async API's playwright object)."""
    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Debian's chromium is not installed: run `make chromium`")
    return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)


# Where the browser tests leave their screenshots (kept by CI as artifacts).
ARTIFACTS = ROOT / "test-artifacts" / "e2e"


def screenshot(page: Any, name: str) -> pathlib.Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
