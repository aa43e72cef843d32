from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sparkflow_airflow.late_days import (
    MAX_WINDOW,
    StaleDay,
    aggregation_run_id,
    days_to_aggregate,
    late_window,
)

END = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def test_a_scheduled_run_asks_from_where_the_last_successful_run_stopped():
    # The hour that ended, when no run succeeded before.
    assert late_window(conf_from=None, conf_to=None, interval_end=END, prev_success_end=None) == (
        END - timedelta(hours=1), END)
    # The DAG was paused for five hours: those hours are asked about too.
    five = END - timedelta(hours=5)
    assert late_window(conf_from=None, conf_to=None, interval_end=END, prev_success_end=five) == (five, END)
    # Down for two months: the newest 31 days, the most the audit takes.
    assert late_window(conf_from=None, conf_to=None, interval_end=END, prev_success_end=END - timedelta(days=60)) == (
        END - MAX_WINDOW, END)
    # A success recorded at or after this run's end (a manual run asked further) leaves the run's hour.
    assert late_window(conf_from=None, conf_to=None, interval_end=END, prev_success_end=END) == (
        END - timedelta(hours=1), END)


def test_a_manual_run_asks_the_window_its_conf_names():
    start = datetime(2026, 12, 1, 8, 0, tzinfo=timezone(timedelta(hours=2)))
    assert late_window(conf_from=start, conf_to=END, interval_end=END + timedelta(hours=3), prev_success_end=None) == (
        start, END)
    assert late_window(conf_from=start, conf_to=None, interval_end=END, prev_success_end=END) == (start, END)
    with pytest.raises(ValueError, match=r"`from` \(2026-12-04T15:00:00\+00:00\) is not before `to`"):
        late_window(conf_from=END, conf_to=END, interval_end=END, prev_success_end=None)


def _day(day: str, events: int, last: str) -> dict:
    return {"day": day, "events": events, "lastAppendedAt": last}


def test_a_day_counted_before_its_events_arrived_is_aggregated_again():
    counted = datetime(2026, 11, 20, 0, 5, tzinfo=UTC)
    days = [
        _day("2026-11-19", 3, "2026-12-04T14:10:00.000Z"),  # replayed long after it was counted
        _day("2026-11-18", 2, "2026-11-19T00:04:59.999Z"),  # arrived before its job started: counted
        _day("2026-11-17", 1, "2026-11-18T00:05:00.000Z"),  # at the very second the job started: again
    ]
    computed = {"2026-11-19": counted, "2026-11-18": datetime(2026, 11, 19, 0, 5, tzinfo=UTC),
                "2026-11-17": datetime(2026, 11, 18, 0, 5, tzinfo=UTC)}
    stale = days_to_aggregate(days, computed, END)
    assert [s.day for s in stale] == ["2026-11-19", "2026-11-17"]
    assert stale[0] == StaleDay("2026-11-19", "aggregated at 2026-11-20T00:05:00+00:00, before 3 event(s) "
                                "persisted or dead-lettered up to 2026-12-04T14:10:00+00:00")


def test_today_and_an_uncounted_yesterday_are_left_to_their_scheduled_runs():
    days = [
        _day("2026-12-04", 9, "2026-12-04T14:59:00.000Z"),  # today: not over
        _day("2026-12-03", 4, "2026-12-04T14:00:00.000Z"),  # yesterday, its run not done yet
        _day("2026-12-02", 5, "2026-12-04T14:30:00.000Z"),  # the day before, never counted: a backfill
        _day("1995-03-01", 20, "2026-12-04T14:30:00.000Z"),  # a backfill of long ago
    ]
    assert [s.day for s in days_to_aggregate(days, {}, END)] == ["2026-12-02", "1995-03-01"]
    # Yesterday counted at 00:05, before events that arrived at 14:00: again.
    counted = {"2026-12-03": datetime(2026, 12, 4, 0, 5, tzinfo=UTC)}
    assert [s.day for s in days_to_aggregate(days, counted, END)] == ["2026-12-03", "2026-12-02", "1995-03-01"]
    # At midnight the day that just ended is yesterday: left to its scheduled run while uncounted.
    midnight = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)
    assert [s.day for s in days_to_aggregate(days[:1], {}, midnight)] == []


def test_the_run_made_for_a_day_is_named_by_the_day_and_the_window_end():
    later = END.astimezone(timezone(timedelta(hours=-5)))
    assert aggregation_run_id("2026-11-19", later) == "late__2026-11-19__20261204T150000"
