"""Pure logic of users_daily_aggregates' `wait_settled`: which event-time window a run waits for, and what the
audit's answer (`GET /v1/events/settled`, ADR 23) means for the wait. No Airflow and no I/O here, so every rule
is unit-tested in milliseconds (tests/unit/test_settle_logic.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal


def settle_window(day: str, run_started: datetime) -> tuple[datetime, datetime]:
    """The event times a run of `day` waits for: from the day's start (UTC) to its end, or to when the run
    started if that is earlier (a manual run of today counts what was produced before it began)."""
    start = datetime.combine(date.fromisoformat(day), time(), tzinfo=UTC)
    return start, min(start + timedelta(days=1), run_started.astimezone(UTC))


def iso(when: datetime) -> str:
    """`when` as the audit's query parameters take it: an ISO date-time in UTC, with a `Z`."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


Verdict = Literal["wait", "done", "fail"]


@dataclass(frozen=True)
class Settlement:
    verdict: Verdict
    message: str


def what_is_pending(report: dict[str, Any]) -> str:
    """The audit's answer in one line: how many events are pending (the oldest named, with the CLI command
    that shows its lineage) and how many users.raw records the audit has not read yet."""
    window = f"events of {report.get('from')} → {report.get('to')}"
    if report.get("settled"):
        return f"{window}: settled (every one persisted or dead-lettered)"
    parts = []
    pending = int(report.get("pending") or 0)
    if pending:
        oldest = report.get("oldestPending") or {}
        parts.append(
            f"{pending} pending (neither persisted nor dead-lettered), the oldest {oldest.get('eventId')} of batch "
            f"{oldest.get('batchId')} at {oldest.get('producedAt')} (`npx sparkflow events get {oldest.get('eventId')}`)"
        )
    behind = int(report.get("rawBehind") or 0)
    if behind:
        parts.append(f"the audit has {behind} users.raw records from before {report.get('to')} still to read")
    if not parts:
        parts.append(f"the window has not ended when the audit answered ({report.get('checkedAt')})")
    return f"{window}: not settled: " + "; ".join(parts)


def judge_settlement(
    report: dict[str, Any] | None,
    *,
    audit_error: str | None,
    window_end: datetime,
    now: datetime,
    timeout_seconds: float,
) -> Settlement:
    """What one poke decides: done once the audit says the window is settled; wait while it is not (or the
    audit cannot be asked) and less than `timeout_seconds` have passed since the window ended; past that,
    fail saying what is still pending, or that the audit did not answer and why."""
    if report is not None and report.get("settled"):
        return Settlement("done", what_is_pending(report))
    state = what_is_pending(report) if report is not None else f"the audit did not answer: {audit_error}"
    waited = (now - window_end).total_seconds()
    if waited > timeout_seconds:
        return Settlement(
            "fail",
            f"{state}; still so {waited:.0f} s after {iso(window_end)}, over the {timeout_seconds:.0f} s allowed "
            "(SPARKFLOW_SETTLE_TIMEOUT_SECONDS): the day is not aggregated with events missing",
        )
    return Settlement("wait", state)
