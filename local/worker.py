"""One warm Lambda execution environment: imports a function's handler once, then answers invocations.

Started by `local.lambdas` as `python -P local/worker.py --layer DIR ...` with the function's code
directory as the working directory and the function's environment as its whole environment, so module
state and `os.environ` belong to this one function, as in a Lambda container.

Protocol (JSON lines): the worker writes `{"ready": ...}` or `{"init_error": ...}` once, then reads
`{"id", "event", "deadline_ms", "request_id", "arn"}` per invocation and answers `{"id", "result"}` or
`{"id", "error"}`. It owns a private copy of the original stdout for this; the function's prints go to
stderr (the function's log, like CloudWatch).
"""

import argparse
import importlib
import json
import os
import signal
import sys
import time
import traceback


class LambdaContext:
    """The attributes and method Lambda's Python runtime gives handlers."""

    def __init__(self, request_id, deadline_ms, arn):
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = arn
        # A string, as the real runtime reads it from the environment.
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def log(self, msg):
        sys.stderr.write(str(msg))
        sys.stderr.flush()


def _error(exc, error_type=None):
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def _load_handler(handler):
    module_name, _, attr = handler.rpartition(".")
    if not module_name:
        raise ValueError(f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)")
    module = importlib.import_module(module_name.replace("/", "."))
    fn = getattr(module, attr, None)
    if fn is None:
        raise AttributeError(f"Handler '{attr}' missing on module '{module_name}'")
    return fn


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--layer", action="append", default=[])
    args = parser.parse_args()

    # Ctrl-C on `make run` reaches the whole process group; the stack stops its environments itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # from here on, the function's stdout is its log

    def send(message):
        protocol.write(json.dumps(message, separators=(",", ":")) + "\n")
        protocol.flush()

    # Lambda's search order: the function's code, then the layers.
    task_root = os.getcwd()
    sys.path[:0] = [task_root, *args.layer]
    started = time.perf_counter()
    try:
        handler = _load_handler(os.environ["_HANDLER"])
    except Exception as exc:  # noqa: BLE001 - any import failure is the function's init error
        traceback.print_exc()
        error_type = (
            "Runtime.ImportModuleError" if isinstance(exc, ImportError) else "Runtime.HandlerNotFound"
        )
        send({"init_error": _error(exc, error_type)})
        return 1
    send({"ready": True, "init_ms": round((time.perf_counter() - started) * 1000, 2)})

    for line in sys.stdin:
        request = json.loads(line)
        context = LambdaContext(request["request_id"], request["deadline_ms"], request["arn"])
        try:
            result = handler(request["event"], context)
            try:
                payload = json.dumps({"id": request["id"], "result": result}, separators=(",", ":"))
            except (TypeError, ValueError) as exc:
                payload = json.dumps({"id": request["id"], "error": _error(exc, "Runtime.MarshalError")})
        except Exception as exc:  # noqa: BLE001 - an unhandled error is the invocation's error
            sys.stderr.write(f"[ERROR] {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            payload = json.dumps({"id": request["id"], "error": _error(exc)})
        except SystemExit as exc:
            # sys.exit() inside a handler ends the runtime, as on Lambda (Runtime.ExitError).
            sys.stderr.write(f"RequestId: {request['request_id']} Error: Runtime exited ({exc.code})\n")
            sys.stdout.flush()
            sys.stderr.flush()
            return 1
        sys.stdout.flush()
        sys.stderr.flush()
        protocol.write(payload + "\n")
        protocol.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
