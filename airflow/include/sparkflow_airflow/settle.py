"""Pure logic of users_daily_aggregates' `wait_settled`: which event-time window a run waits for, and what the
audit's answer (`GET /v1/events/settled`, ADR 23) and ingestion's running backfills mean for the wait. No Airflow and no I/O here, so every rule
is unit-tested in milliseconds (tests/unit/test_settle_logic.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

MILLISECOND = timedelta(milliseconds=1)


def settle_window(day: str, run_started: datetime) -> tuple[datetime, datetime]:
    """The event times a run of `day` waits for: from the day's start (UTC) to its end, or to when the run
    started if that is earlier (a manual run of today counts what was produced before it began). The audit
    takes whole milliseconds, as event times are kept, and a window that ends after it starts: a run's start
    is rounded up to the next millisecond (waiting for a moment more, never less), at least one past the
    day's start."""
    start = datetime.combine(date.fromisoformat(day), time(), tzinfo=UTC)
    started = run_started.astimezone(UTC)
    past_ms = started.microsecond % 1000
    if past_ms:
        started += timedelta(microseconds=1000 - past_ms)
    return start, min(start + timedelta(days=1), max(started, start + MILLISECOND))


def window_days(start: datetime, end: datetime) -> tuple[str, str]:
    """The UTC days [start, end) touches, as ingestion's `from` and `to` take them (both included): `start`'s
    day to the day of the last instant before `end` (a window ending at midnight stops on the day before)."""
    last = end.astimezone(UTC) - timedelta(microseconds=1)
    return start.astimezone(UTC).date().isoformat(), max(last, start.astimezone(UTC)).date().isoformat()


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


def backfills_in_window(running: list[dict[str, Any]], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The running backfills (ingestion's `GET /v1/backfills?status=running`) that may still produce events in
    [start, end): each names the first and the last of its events' times (`eventTimes`; a past day's people
    are stamped on that day, the request's own day's from the request on: `backfillEventTime`), and every
    event it produces falls between them. One that does not name them may produce events of any day."""
    found = []
    for b in running:
        times = b.get("eventTimes") or {}
        try:
            first = datetime.fromisoformat(str(times["first"]).replace("Z", "+00:00"))
            last = datetime.fromisoformat(str(times["last"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            found.append(b)
            continue
        if first < end and last >= start:
            found.append(b)
    return found


def unlisted_backfills(listing: dict[str, Any], first_day: str, last_day: str) -> str | None:
    """What to say of the backfills ingestion did not list, or None when it listed every one. Asked for the
    backfills with a batch on a day from `first_day` to `last_day` (a backfill's events fall on its batches'
    days, ADR 25), ingestion cuts that list at its limit (`truncated`): a backfill left out may produce events
    of those days, so while any is left out the window cannot be called settled. Backfills of other days
    never cut it."""
    listed = listing.get("backfills") or []
    if not listing.get("truncated"):
        return None
    days = first_day if first_day == last_day else f"{first_day} to {last_day}"
    last = str(listed[-1]["requestedAt"]) if listed else None
    since = f", requested at or after {last}," if last else ""
    return (
        f"more backfills with a batch on {days} are running than ingestion lists ({len(listed)}): those not "
        f"listed{since} may produce events of those days"
    )


def what_is_running(backfills: list[dict[str, Any]], end: datetime) -> str:
    """The backfills still producing events stamped before `end`, named with their progress."""
    named = []
    for b in backfills[:5]:
        produced = sum(int(x.get("produced") or 0) for x in b.get("batches") or [])
        expected = sum(int(x.get("expected") or 0) for x in b.get("batches") or [])
        # A cancelled one is listed while its holder finishes the chunk it had in flight.
        ending = ", cancelled, finishing its last chunk" if b.get("status") == "cancelled" else ""
        times = b.get("eventTimes") or {}
        span = f", events {times.get('first')} → {times.get('last')}" if times else ""
        named.append(
            f"{b.get('id')} (requested {b.get('requestedAt')}{span}, {produced} of {expected} produced{ending})"
        )
    more = f" and {len(backfills) - 5} more" if len(backfills) > 5 else ""
    return (
        f"{len(backfills)} backfill(s) still producing whose events carry times before {iso(end)}: "
        + ", ".join(named)
        + more
    )


def judge_settlement(
    report: dict[str, Any] | None,
    *,
    audit_error: str | None,
    backfills: list[dict[str, Any]] | None,
    ingestion_error: str | None,
    unlisted: str | None = None,
    window_end: datetime,
    now: datetime,
    timeout_seconds: float,
    waiting_since: datetime | None = None,
) -> Settlement:
    """What one poke decides: done once the audit says the window is settled and no backfill that may still
    produce events of the window is running (`backfills`, already `backfills_in_window`); wait while either is
    not so (or the audit or ingestion cannot be asked, or ingestion's list was cut short: `unlisted`,
    from `unlisted_backfills`) and less than `timeout_seconds` have passed since the window ended, or since
    `waiting_since` (the run's start) when that is later: a past day can still be receiving events, a backfill
    of it among them (ADR 25), so a run of it gets as long as the run of a day that just ended. Past that, fail
    saying what is still pending, or which service did not answer and why."""
    blockers = []
    if report is None:
        blockers.append(f"the audit did not answer: {audit_error}")
    elif not report.get("settled"):
        blockers.append(what_is_pending(report))
    if backfills is None:
        blockers.append(f"ingestion did not answer: {ingestion_error}")
    elif backfills:
        blockers.append(what_is_running(backfills, window_end))
    if unlisted:
        blockers.append(unlisted)
    if not blockers:
        return Settlement("done", f"{what_is_pending(report or {})}; no backfill producing events of it is running")
    state = "; ".join(blockers)
    since = max(window_end, waiting_since) if waiting_since is not None else window_end
    waited = (now - since).total_seconds()
    if waited > timeout_seconds:
        after = iso(window_end) if since == window_end else f"the run started at {iso(since)}"
        return Settlement(
            "fail",
            f"{state}; still so {waited:.0f} s after {after}, over the {timeout_seconds:.0f} s allowed "
            "(SPARKFLOW_SETTLE_TIMEOUT_SECONDS): the day is not aggregated with events missing",
        )
    return Settlement("wait", state)
