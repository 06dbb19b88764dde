"""The whole offline stack for one suite, with every line its functions print kept in the suite's
test-artifacts folder (and handed to the suite, which may count metrics or errors in it)."""

from __future__ import annotations

import contextlib
import pathlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from local.stack import running_stack

FunctionLine = Callable[[str, str], None]  # (function logical id, line)


@contextlib.contextmanager
def logged_stack(
    artifacts: pathlib.Path, observe: FunctionLine | None = None, **options: Any
) -> Iterator[Any]:
    """`local.stack.running_stack(**options)`, its functions' output written to `artifacts`/functions.log."""
    artifacts.mkdir(parents=True, exist_ok=True)
    log = (artifacts / "functions.log").open("w", encoding="utf-8")
    # Warm workers print from their own reader threads.
    lock = threading.Lock()

    def function_log(function_id: str, line: str) -> None:
        if observe is not None:
            observe(function_id, line)
        with lock:
            log.write(f"[{function_id}] {line}\n")
            log.flush()

    try:
        with running_stack(function_log=function_log, **options) as stack:
            yield stack
    finally:
        log.close()
