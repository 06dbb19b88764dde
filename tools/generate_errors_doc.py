"""docs/errors.md from checkout.error_codes (`make errors-doc`; tests/contract/test_error_catalogue.py fails
when the file drifts from the module)."""

from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "shared"))

from checkout.error_codes import CATALOGUE  # noqa: E402

OUT = ROOT / "docs" / "errors.md"


def render() -> str:
    lines = [
        "# Error codes",
        "",
        "<!-- Generated from shared/checkout/error_codes.py by `make errors-doc`: do not edit by hand. -->",
        "",
        'Every error the API answers is `{"error": {"code": "...", "message": "..."}}` (a 422 adds',
        "`details`, one entry per field). Branch on `code`, which never changes meaning; show or log",
        "`message`, which is for people. **Retry** says whether the same request can succeed if sent again:",
        "",
        "- *no*: the same request gets the same answer; change it first;",
        "- *yes, at once*: a race with another request was lost; send it again;",
        "- *yes, after Retry-After*: the same request is still running; wait the header's seconds, then",
        "  send it again with the same `Idempotency-Key`;",
        "- *yes, later*: a dependency had trouble and nothing was applied; send it again after a pause, with",
        "  the same `Idempotency-Key` (it can never be applied twice).",
        "",
        "| code | HTTP | retry | what the client should do |",
        "|---|---:|---|---|",
    ]
    for entry in sorted(CATALOGUE.values(), key=lambda e: (e.status or 999, e.code)):
        status = str(entry.status) if entry.status else "varies"
        lines.append(f"| `{entry.code}` | {status} | {entry.retry} | {entry.action} |")
    lines += [
        "",
        "API Gateway answers some requests before any function runs, with its own body "
        '(`{"message": "..."}`): 401 for a missing or invalid token, 404 for an unknown route or '
        "method, 429 when a route's throttling limit is reached (retry later), 413 for a body over its "
        "payload limit, 503/504 when a function cannot be reached in time (retry later, same "
        "`Idempotency-Key`).",
        "",
        "I'mport's webhook (`POST /iamport/webhook`) is answered for I'mport, which resends a notification "
        "until it gets a 2xx: `200` for everything understood (an unknown order, a pair I'mport never sends "
        'and a report that changes nothing are `{"status": "ignored", "reason": ...}`); '
        "`payment_gateway_unavailable` and `store_unavailable` with `Retry-After`; and `503` with "
        "`Retry-After` instead of the 409 of `order_changed` and `request_in_progress`, so the "
        "notification comes back.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(CATALOGUE)} codes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
