"""Each function runs in its own warm environment, like a Lambda container: its own module state and
`os.environ`, its layer on the path, a Lambda context, and API Gateway's answers when it fails."""

from __future__ import annotations

import json
import threading
from typing import Any

from local.scheduler import Scheduler
from tests.support.api import wait_until


def _echo_body(fixture_api: Any, path: str = "/public/state") -> dict[str, Any]:
    reply = fixture_api.call(path)
    assert reply.status == 200, reply.body
    return reply.json()


def test_module_state_persists_between_requests_in_a_warm_environment(fixture_api: Any) -> None:
    first = _echo_body(fixture_api)
    second = _echo_body(fixture_api)
    assert second["invocations"] == first["invocations"] + 1
    assert second["pid"] == first["pid"]


def test_environment_is_per_function_with_globals_merged_under_the_functions_own(fixture_api: Any) -> None:
    echo = _echo_body(fixture_api)["env"]
    assert echo["GREETING"] == "hello"  # Globals, from a parameter's Default
    assert echo["SHARED"] == "echo-own"  # the function's own value wins over Globals
    assert echo["ONLY_ECHO"] == "1" and echo["ONLY_OTHER"] is None
    assert echo["ITEMS_TABLE"] == "fixture-items"  # !Ref to a table: the local table name
    assert echo["OWN_URL"] == f"{fixture_api.url}/v1"  # the API's execute-api URL: the local API
    assert echo["AWS_LAMBDA_FUNCTION_NAME"] == "checkout-local-EchoFunction"
    assert echo["AWS_REGION"] == "ap-northeast-2"
    other = fixture_api.call("/other/plain").json()
    assert other["env"] == {"ONLY_ECHO": None, "ONLY_OTHER": "1"}


def test_handler_imports_its_layer_and_gets_a_lambda_context(fixture_api: Any) -> None:
    body = _echo_body(fixture_api)
    assert body["layer"] == "fixture-layer"
    ctx = body["context"]
    assert ctx["function_name"] == "checkout-local-EchoFunction"
    assert ctx["memory_limit_in_mb"] == "256"
    assert (
        ctx["invoked_function_arn"]
        == "arn:aws:lambda:ap-northeast-2:123456789012:function:checkout-local-EchoFunction"
    )
    assert len(ctx["aws_request_id"]) == 36
    assert 0 < ctx["remaining_ms"] <= 5000  # Timeout: 5 from Globals


def test_crashed_runtime_answers_500_and_the_next_request_gets_a_fresh_environment(fixture_api: Any) -> None:
    warm = fixture_api.call("/other/plain").json()["calls"]
    assert warm >= 1
    crashed = fixture_api.call("/other/crash")
    assert (crashed.status, crashed.json()) == (500, {"message": "Internal Server Error"})
    after = fixture_api.call("/other/plain")
    assert after.status == 200
    assert after.json()["calls"] == 1  # a new environment: module state starts over


def test_unhandled_exception_answers_500_and_keeps_the_environment_warm(fixture_api: Any) -> None:
    before = fixture_api.call("/other/plain").json()["calls"]
    failed = fixture_api.call("/other/boom")
    assert (failed.status, failed.json()) == (500, {"message": "Internal Server Error"})
    assert fixture_api.call("/other/plain").json()["calls"] == before + 2
    assert any(
        "RuntimeError: handler failed" in line for fn, line in fixture_api.logs if fn == "OtherFunction"
    )


def test_function_timeout_is_enforced_and_the_environment_replaced(fixture_api: Any) -> None:
    import time

    started = time.monotonic()
    slow = fixture_api.call("/other/slow")  # sleeps 3 s; the function's Timeout is 1 s
    assert time.monotonic() - started < 2.5
    assert (slow.status, slow.json()) == (500, {"message": "Internal Server Error"})
    assert fixture_api.call("/other/plain").json()["calls"] == 1


def test_malformed_function_response_is_500(fixture_api: Any) -> None:
    reply = fixture_api.call("/other/malformed")
    assert (reply.status, reply.json()) == (500, {"message": "Internal Server Error"})


def test_response_headers_cookies_and_base64_body_are_sent_as_api_gateway_sends_them(
    fixture_api: Any,
) -> None:
    reply = fixture_api.call("/other/binary")
    assert reply.status == 201
    assert reply.body == bytes(range(8))
    assert reply.header("content-type") == "application/octet-stream"
    assert reply.header("x-single") == "one"
    assert reply.header_values("x-multi") == ["a", "b"]
    assert reply.header_values("set-cookie") == ["session=abc; HttpOnly", "theme=dark"]
    assert reply.header("apigw-requestid")


def test_return_value_without_status_code_becomes_a_200_json_response(fixture_api: Any) -> None:
    reply = fixture_api.call("/other/plain")
    assert reply.status == 200
    assert reply.header("content-type") == "application/json"
    assert set(reply.json()) == {"calls", "env"}


def test_concurrent_requests_get_separate_environments(fixture_api: Any) -> None:
    pids: list[int] = []
    barrier = threading.Barrier(3)

    def hit() -> None:
        barrier.wait()
        pids.append(fixture_api.call("/public/concurrent").json()["pid"])

    threads = [threading.Thread(target=hit) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(pids) == 3
    assert fixture_api.runtime.pools["EchoFunction"].cold_starts <= 4  # the pool's limit


def test_scheduled_function_is_invoked_on_its_rate_with_an_eventbridge_event(fixture_api: Any) -> None:
    schedule = fixture_api.app.schedules[0]
    assert schedule.function_id == "SweepFunction" and schedule.rate_seconds == 300
    scheduler = Scheduler(
        fixture_api.app.schedules, fixture_api.runtime, "ap-northeast-2", interval_override_s=0.2
    )

    def repeated_runs() -> list[dict[str, Any]]:
        # Two invocations show the rate repeats, not just a first run at start.
        if not fixture_api.mark_file.exists():
            return []
        runs = [json.loads(line) for line in fixture_api.mark_file.read_text().splitlines()]
        return runs if len(runs) >= 2 else []

    scheduler.start()
    try:
        runs = wait_until(repeated_runs, timeout_s=10, interval_s=0.1)
    finally:
        scheduler.stop()
    assert runs[0] == {"source": "aws.events", "detail-type": "Scheduled Event"}
