"""The scheduled audit function on its sample event and on hand-written windows: which window it
audits, the time bound it passes on, and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from checkout.services.results import AuditReport, Discrepancy
from tests.support.api_harness import LambdaContext, load_function, sample_event

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


@dataclass
class AuditingFacade:
    calls: list[tuple[datetime, datetime, float]] = field(default_factory=list)

    def audit(self, since: datetime, until: datetime, *, time_left_s: Any = None) -> AuditReport:
        self.calls.append((since, until, time_left_s()))
        report = AuditReport(since=since, until=until, payments=3, checked=1, fixed=1)
        report.needs_a_person.append(Discrepancy("ghost", ("imp_1",), 7_000, 0, "no order"))
        return report


@pytest.fixture
def facade() -> AuditingFacade:
    return AuditingFacade()


@pytest.fixture
def audit_function(facade, monkeypatch):
    module = load_function("audit")
    monkeypatch.setattr(module, "get_checkout", lambda: facade)
    return module


def test_the_scheduled_run_audits_the_two_days_up_to_its_scheduled_time(audit_function, facade):
    event = sample_event("audit/scheduled-audit.json")

    report = audit_function.lambda_handler(event, LambdaContext())

    scheduled = datetime(2026, 1, 1, 18, 0, tzinfo=UTC)
    ((since, until, time_left),) = facade.calls
    assert (since, until) == (scheduled - timedelta(days=2), scheduled)
    assert time_left == 300.0  # the invocation's remaining time bounds the work
    assert report["checked"] == 1 and report["fixed"] == 1
    assert report["needs_a_person"] == [
        {"merchant_uid": "ghost", "imp_uids": ["imp_1"], "held": 7_000, "booked": 0, "reason": "no order"}
    ]
    assert report["since"] == "2025-12-30T18:00:00+00:00"


def test_an_event_may_name_the_window(audit_function, facade):
    audit_function.lambda_handler(
        {"since": "2026-01-01T00:00:00Z", "until": "2026-01-05T09:00:00+09:00"}, LambdaContext()
    )

    assert facade.calls[0][:2] == (
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 5, tzinfo=UTC),
    )


def test_a_time_without_an_offset_is_utc_and_since_alone_runs_up_to_now(audit_function, facade):
    before = datetime.now(UTC)
    audit_function.lambda_handler({"since": "2026-01-01T00:00:00"}, LambdaContext())

    since, until, _ = facade.calls[0]
    assert since == datetime(2026, 1, 1, tzinfo=UTC) and until >= before


def test_until_alone_audits_the_two_days_before_it(audit_function, facade):
    audit_function.lambda_handler({"until": "2026-01-03T00:00:00Z"}, LambdaContext())

    assert facade.calls[0][:2] == (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC))


@pytest.mark.parametrize(
    "event",
    [
        {"since": "yesterday"},
        {"since": 1767225600},
        {"since": "2026-01-03T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
    ],
)
def test_a_window_it_cannot_read_fails_the_invocation_without_auditing(audit_function, facade, event):
    with pytest.raises(ValueError):
        audit_function.lambda_handler(event, LambdaContext())
    assert facade.calls == []
