"""users_daily_aggregates waits until the audit says the day's events have all reached a terminal state, and
fails naming what is pending once that takes too long (sparkflow_airflow.settle)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sparkflow_airflow.settle import (
    backfills_in_window,
    iso,
    judge_settlement,
    settle_window,
    unlisted_backfills,
    what_is_pending,
    window_days,
)

DAY_END = datetime(2026, 12, 4, tzinfo=UTC)


def judge(report, *, audit_error, window_end, now, timeout_seconds, backfills=(), ingestion_error=None, unlisted=None,
          waiting_since=None):
    """judge_settlement with no backfill running, unless one is given."""
    running = None if backfills is None else list(backfills)
    return judge_settlement(report, audit_error=audit_error, backfills=running, ingestion_error=ingestion_error,
                            unlisted=unlisted, window_end=window_end, now=now, timeout_seconds=timeout_seconds,
                            waiting_since=waiting_since)
HOUR = 3600.0


def _report(**over):
    report = {
        "from": "2026-12-03T00:00:00.000Z",
        "to": "2026-12-04T00:00:00.000Z",
        "settled": False,
        "pending": 0,
        "oldestPending": None,
        "rawBehind": 0,
        "checkedAt": "2026-12-04T00:00:05.000Z",
    }
    return {**report, **over}


PENDING = _report(
    pending=3,
    oldestPending={"eventId": "0b7e3c1a-9d2f-4a6b-8e5c-1f3a7d9b2e40", "batchId": "b1", "producedAt": "2026-12-03T23:59:59.998Z"},
)


def test_the_scheduled_run_waits_for_the_whole_day_that_ended():
    # The run fires at 00:00 on D+1 (and may start late): the whole of D.
    for started in (DAY_END, DAY_END + timedelta(seconds=3), DAY_END + timedelta(days=2)):
        assert settle_window("2026-12-03", started) == (DAY_END - timedelta(days=1), DAY_END)


def test_a_manual_run_of_today_waits_for_what_was_produced_before_it_started():
    started = datetime(2026, 12, 4, 9, 30, 15, 123456, tzinfo=UTC)
    # To the millisecond the audit takes, rounded up: what was produced before the run began is all in it.
    upto = datetime(2026, 12, 4, 9, 30, 15, 124000, tzinfo=UTC)
    assert settle_window("2026-12-04", started) == (DAY_END, upto)
    assert iso(upto) == "2026-12-04T09:30:15.124Z"
    on_the_ms = started.replace(microsecond=123000)
    assert settle_window("2026-12-04", on_the_ms) == (DAY_END, on_the_ms)
    # Whatever zone the run's start is given in.
    assert settle_window("2026-12-04", started.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo")))[1] == upto


def test_a_manual_run_of_today_started_in_its_first_millisecond_asks_for_a_window_the_audit_takes():
    # The audit refuses a window that does not end after it starts.
    for micros in (0, 1, 999):
        start, end = settle_window("2026-12-04", DAY_END.replace(microsecond=micros))
        assert (start, end) == (DAY_END, DAY_END + timedelta(milliseconds=1))
        assert iso(start) < iso(end)


def test_the_window_is_sent_as_utc_iso_date_times():
    assert iso(DAY_END) == "2026-12-04T00:00:00.000Z"
    assert iso(datetime(2026, 12, 4, 9, 30, 15, 123456, tzinfo=UTC)) == "2026-12-04T09:30:15.123Z"


def test_settled_is_done_at_once_however_late():
    for now in (DAY_END, DAY_END + timedelta(days=30)):
        state = judge(_report(settled=True), audit_error=None, window_end=DAY_END, now=now, timeout_seconds=2 * HOUR)
        assert state.verdict == "done"
        assert "settled" in state.message


@pytest.mark.parametrize("report", [PENDING, _report(rawBehind=12), _report(pending=1, rawBehind=4, oldestPending={})])
def test_not_settled_waits_within_the_bound_saying_what_is_pending(report):
    state = judge(report, audit_error=None, window_end=DAY_END, now=DAY_END + timedelta(minutes=5),
                             timeout_seconds=2 * HOUR)
    assert state.verdict == "wait"
    assert state.message.startswith("events of 2026-12-03T00:00:00.000Z → 2026-12-04T00:00:00.000Z: not settled: ")


def test_past_the_bound_it_fails_naming_the_pending_events_and_how_to_see_them():
    late = DAY_END + timedelta(hours=2, seconds=1)
    state = judge(PENDING, audit_error=None, window_end=DAY_END, now=late, timeout_seconds=2 * HOUR)
    assert state.verdict == "fail"
    assert "3 pending (neither persisted nor dead-lettered)" in state.message
    assert "the oldest 0b7e3c1a-9d2f-4a6b-8e5c-1f3a7d9b2e40 of batch b1 at 2026-12-03T23:59:59.998Z" in state.message
    assert "`npx sparkflow events get 0b7e3c1a-9d2f-4a6b-8e5c-1f3a7d9b2e40`" in state.message
    assert "7201 s after 2026-12-04T00:00:00.000Z, over the 7200 s allowed" in state.message
    # Exactly at the bound it still waits.
    at_bound = judge(PENDING, audit_error=None, window_end=DAY_END, now=DAY_END + timedelta(hours=2),
                                timeout_seconds=2 * HOUR)
    assert at_bound.verdict == "wait"


def test_an_audit_behind_on_users_raw_is_named_with_its_count():
    message = what_is_pending(_report(rawBehind=12))
    assert message.endswith("not settled: the audit has 12 users.raw records from before 2026-12-04T00:00:00.000Z still to read")
    both = what_is_pending({**PENDING, "rawBehind": 2})
    assert "3 pending" in both and "2 users.raw records" in both


def test_a_window_the_audit_says_has_not_ended_says_so():
    assert what_is_pending(_report()).endswith("the window has not ended when the audit answered (2026-12-04T00:00:05.000Z)")


def test_an_audit_that_does_not_answer_is_waited_for_then_named():
    error = "connection 'sparkflow_audit': ConnectionError: refused"
    soon = judge(None, audit_error=error, window_end=DAY_END, now=DAY_END + timedelta(minutes=1),
                            timeout_seconds=2 * HOUR)
    assert soon == type(soon)("wait", f"the audit did not answer: {error}")
    late = judge(None, audit_error=error, window_end=DAY_END, now=DAY_END + timedelta(hours=3),
                            timeout_seconds=2 * HOUR)
    assert late.verdict == "fail"
    assert late.message.startswith(f"the audit did not answer: {error}; still so 10800 s after")


def _backfill(requested_at: str, *batches: tuple[int, int], id_: str = "bf-1", events: tuple[str, str] | None = None):
    first, last = events or (requested_at, requested_at)
    return {
        "id": id_,
        "status": "running",
        "requestedAt": requested_at,
        "eventTimes": {"first": first, "last": last},
        "batches": [{"day": "2026-12-02", "batchId": "b", "expected": e, "produced": p} for e, p in batches],
    }


def test_a_running_backfill_counts_when_its_events_can_fall_in_the_window():
    start, end = DAY_END - timedelta(days=1), DAY_END
    # Its events span eventTimes, both ends included, whenever it was requested.
    of_the_day = _backfill("2026-12-05T10:00:00.000Z", (10, 0),
                           events=("2026-12-03T23:59:59.999990Z", "2026-12-03T23:59:59.999999Z"))
    of_days_before = _backfill("2026-12-05T10:00:00.000Z", (10, 0), (10, 0),
                               events=("2026-12-01T23:59:59.999990Z", "2026-12-02T23:59:59.999999Z"))
    across_it = _backfill("2026-12-05T10:00:00.000Z", (10, 0), (10, 0),
                          events=("2026-12-01T23:59:59.999990Z", "2026-12-05T10:00:00.000009Z"))
    from_its_end = _backfill("2026-12-04T00:00:00.000Z", (2000, 0),
                             events=("2026-12-04T00:00:00.000000Z", "2026-12-04T00:00:00.001999Z"))
    into_its_start = _backfill("2026-12-02T23:59:59.999Z", (2000, 0),
                               events=("2026-12-02T23:59:59.999000Z", "2026-12-03T00:00:00.000999Z"))
    # An answer without the span (another ingestion's) may be of any day: it counts.
    unnamed = {k: v for k, v in _backfill("2026-12-01T10:00:00.000Z", (10, 0)).items() if k != "eventTimes"}
    listed = [of_the_day, of_days_before, across_it, from_its_end, into_its_start, unnamed]
    assert backfills_in_window(listed, start, end) == [of_the_day, across_it, into_its_start, unnamed]


def test_a_settled_audit_with_a_backfill_of_the_window_still_running_waits_then_fails_naming_it():
    running = [_backfill("2026-12-03T23:59:30.000Z", (4000, 1500), (4000, 0), id_="bf-late")]
    soon = judge(_report(settled=True), audit_error=None, backfills=running, window_end=DAY_END,
                 now=DAY_END + timedelta(minutes=1), timeout_seconds=2 * HOUR)
    assert soon.verdict == "wait"
    assert soon.message == ("1 backfill(s) still producing whose events carry times before 2026-12-04T00:00:00.000Z: "
                            "bf-late (requested 2026-12-03T23:59:30.000Z, events 2026-12-03T23:59:30.000Z → "
                            "2026-12-03T23:59:30.000Z, 1500 of 8000 produced)")
    late = judge(_report(settled=True), audit_error=None, backfills=running, window_end=DAY_END,
                 now=DAY_END + timedelta(hours=3), timeout_seconds=2 * HOUR)
    assert late.verdict == "fail" and late.message.startswith(soon.message + "; still so 10800 s after")


def test_both_blockers_are_named_and_done_needs_neither():
    running = [_backfill("2026-12-03T23:59:30.000Z", (10, 1))]
    both = judge(PENDING, audit_error=None, backfills=running, window_end=DAY_END, now=DAY_END, timeout_seconds=HOUR)
    assert "3 pending" in both.message and "bf-1 (requested" in both.message
    done = judge(_report(settled=True), audit_error=None, window_end=DAY_END, now=DAY_END, timeout_seconds=HOUR)
    assert done.verdict == "done"
    assert done.message.endswith("; no backfill producing events of it is running")


def test_ingestion_that_does_not_answer_is_waited_for_then_named():
    error = "connection 'sparkflow_ingestion': ReadTimeout: 30 s"
    soon = judge(_report(settled=True), audit_error=None, backfills=None, ingestion_error=error, window_end=DAY_END,
                 now=DAY_END, timeout_seconds=HOUR)
    assert soon.verdict == "wait" and soon.message == f"ingestion did not answer: {error}"
    late = judge(_report(settled=True), audit_error=None, backfills=None, ingestion_error=error, window_end=DAY_END,
                 now=DAY_END + timedelta(hours=2), timeout_seconds=HOUR)
    assert late.verdict == "fail" and late.message.startswith(f"ingestion did not answer: {error}; still so")


def test_at_most_five_backfills_are_named():
    running = [_backfill("2026-12-03T12:00:00.000Z", (10, 1), id_=f"bf-{i}") for i in range(7)]
    message = judge(_report(settled=True), audit_error=None, backfills=running, window_end=DAY_END, now=DAY_END,
                    timeout_seconds=HOUR).message
    assert message.startswith("7 backfill(s) still producing")
    assert "bf-4 (" in message and "bf-5 (" not in message and message.endswith(" and 2 more")


def test_a_list_cut_at_its_limit_waits_while_any_backfill_of_the_window_days_is_left_out():
    end = DAY_END
    listed = [_backfill("2026-12-01T10:00:00.000Z", (10, 1), id_=f"bf-{i}") for i in range(3)]
    assert unlisted_backfills({"backfills": listed, "truncated": False}, "2026-12-03", "2026-12-03") is None
    said = unlisted_backfills({"backfills": listed, "truncated": True}, "2026-12-03", "2026-12-03")
    assert said == ("more backfills with a batch on 2026-12-03 are running than ingestion lists (3): those not "
                    "listed, requested at or after 2026-12-01T10:00:00.000Z, may produce events of those days")
    # The listed ones end before the window: only the unlisted ones keep it waiting, named, then failing.
    assert backfills_in_window(listed, end - timedelta(days=1), end) == []
    soon = judge(_report(settled=True), audit_error=None, unlisted=said, window_end=end, now=end,
                 timeout_seconds=HOUR)
    assert soon.verdict == "wait" and soon.message == said
    late = judge(_report(settled=True), audit_error=None, unlisted=said, window_end=end,
                 now=end + timedelta(hours=2), timeout_seconds=HOUR)
    assert late.verdict == "fail" and late.message.startswith(said + "; still so")
    # Requested after the window ended, a backfill left out may still be of a day in it.
    after = [*listed, _backfill("2026-12-04T00:00:00.000Z", (10, 1))]
    assert unlisted_backfills({"backfills": after, "truncated": True}, "2026-12-03", "2026-12-03") is not None
    assert unlisted_backfills({"backfills": [], "truncated": True}, "2026-12-02", "2026-12-03") == (
        "more backfills with a batch on 2026-12-02 to 2026-12-03 are running than ingestion lists (0): those not "
        "listed may produce events of those days")


def test_the_days_asked_of_ingestion_are_those_the_window_touches_its_end_excluded():
    day = datetime(2026, 12, 3, tzinfo=UTC)
    # A whole day: its end, midnight, is the next day's first instant, not one of its own.
    assert window_days(*settle_window("2026-12-03", day + timedelta(days=2))) == ("2026-12-03", "2026-12-03")
    # A manual run of today: to the run's start.
    assert window_days(*settle_window("2026-12-03", day + timedelta(hours=9, microseconds=1))) == (
        "2026-12-03", "2026-12-03")
    # The smallest window the audit takes, a millisecond from the day's start.
    assert window_days(day, day + timedelta(milliseconds=1)) == ("2026-12-03", "2026-12-03")
    # Across days, and given in another zone: UTC days (02:00 at +02:00 is midnight UTC, the end excluded).
    assert window_days(day - timedelta(microseconds=1), day + timedelta(days=1, microseconds=1)) == (
        "2026-12-02", "2026-12-04")
    plus_two = timezone(timedelta(hours=2))
    assert window_days(datetime(2026, 12, 4, 1, tzinfo=plus_two), datetime(2026, 12, 5, 2, tzinfo=plus_two)) == (
        "2026-12-03", "2026-12-04")


def test_a_cancelled_backfill_finishing_its_last_chunk_is_named_so():
    cancelled = {**_backfill("2026-12-03T23:59:30.000Z", (4000, 1500), id_="bf-cut"), "status": "cancelled"}
    said = judge(_report(settled=True), audit_error=None, backfills=[cancelled], window_end=DAY_END, now=DAY_END,
                 timeout_seconds=HOUR)
    assert said.verdict == "wait"
    assert ("bf-cut (requested 2026-12-03T23:59:30.000Z, events 2026-12-03T23:59:30.000Z → 2026-12-03T23:59:30.000Z, "
            "1500 of 4000 produced, cancelled, finishing its last chunk)") \
        in said.message


def test_a_run_started_after_its_window_ended_is_bounded_from_its_start():
    """A past day can still be receiving events (a backfill of it, ADR 25): its run waits as long as the run of
    a day that just ended would, counted from when it started."""
    started = DAY_END + timedelta(days=10)
    soon = judge(PENDING, audit_error=None, window_end=DAY_END, now=started + timedelta(minutes=5),
                 timeout_seconds=2 * HOUR, waiting_since=started)
    assert soon.verdict == "wait"
    late = judge(PENDING, audit_error=None, window_end=DAY_END, now=started + timedelta(hours=3),
                 timeout_seconds=2 * HOUR, waiting_since=started)
    assert late.verdict == "fail"
    assert "still so 10800 s after the run started at 2026-12-14T00:00:00.000Z" in late.message
    # A run that started before its window ended (a scheduled one) is still bounded from the window's end.
    early = judge(PENDING, audit_error=None, window_end=DAY_END, now=DAY_END + timedelta(hours=3),
                  timeout_seconds=2 * HOUR, waiting_since=DAY_END - timedelta(hours=1))
    assert early.verdict == "fail" and f"after {DAY_END.strftime('%Y-%m-%dT%H:%M:%S.000Z')}," in early.message
