from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sparkflow_airflow.late_days import (
    LOOKBACK,
    MAX_DAYS_PER_RUN,
    MAX_WINDOW,
    aggregation_run_id,
    late_window,
    plan_late_days,
)

END = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def test_a_scheduled_run_looks_back_a_day_so_a_day_still_stale_is_found_again():
    assert LOOKBACK == timedelta(hours=24)
    assert late_window(conf_from=None, conf_to=None, interval_end=END) == (END - LOOKBACK, END)


def test_a_manual_run_asks_the_window_its_conf_names_at_most_31_days():
    start = datetime(2026, 12, 1, 8, 0, tzinfo=timezone(timedelta(hours=2)))
    assert late_window(conf_from=start, conf_to=END, interval_end=END + timedelta(hours=3)) == (start, END)
    assert late_window(conf_from=start, conf_to=None, interval_end=END) == (start, END)
    assert late_window(conf_from=END - MAX_WINDOW, conf_to=None, interval_end=END) == (END - MAX_WINDOW, END)
    # Longer is refused, naming `from`, never cut to its newest 31 days without a word.
    with pytest.raises(ValueError, match=r"`from` \(2026-09-05T15:00:00\+00:00\) is more than 31 days before `to`"):
        late_window(conf_from=END - timedelta(days=90), conf_to=None, interval_end=END)
    with pytest.raises(ValueError, match="more than 31 days"):
        late_window(conf_from=END - MAX_WINDOW - timedelta(microseconds=1), conf_to=END, interval_end=END)
    with pytest.raises(ValueError, match=r"`from` \(2026-12-04T15:00:00\+00:00\) is not before `to`"):
        late_window(conf_from=END, conf_to=END, interval_end=END)


def _day(day: str, events: int, last: str) -> dict:
    return {"day": day, "events": events, "lastAppendedAt": last}


def test_a_day_counted_before_its_events_arrived_is_aggregated_again():
    counted = datetime(2026, 11, 20, 0, 5, tzinfo=UTC)
    days = [
        _day("2026-11-19", 3, "2026-12-04T14:10:00.000Z"),  # replayed long after it was counted
        _day("2026-11-18", 2, "2026-11-19T00:04:49.999Z"),  # arrived over 10 s before its job started: counted
        _day("2026-11-17", 1, "2026-11-18T00:04:55.000Z"),  # 5 s before: within the clocks' margin, again
    ]
    computed = {"2026-11-19": counted, "2026-11-18": datetime(2026, 11, 19, 0, 5, tzinfo=UTC),
                "2026-11-17": datetime(2026, 11, 18, 0, 5, tzinfo=UTC)}
    plan = plan_late_days(days, computed, END)
    # The earliest arrivals first.
    assert [s.day for s in plan.stale] == ["2026-11-17", "2026-11-19"]
    assert plan.stale[1].reason == ("aggregated at 2026-11-20T00:05:00+00:00, before 3 event(s) persisted or "
                                    "dead-lettered up to 2026-12-04T14:10:00+00:00")
    assert (plan.held, plan.left_over) == ([], 0)


def test_today_and_an_uncounted_yesterday_are_left_to_their_scheduled_runs():
    days = [
        _day("2026-12-04", 9, "2026-12-04T14:59:00.000Z"),  # today: not over
        _day("2026-12-03", 4, "2026-12-04T14:00:00.000Z"),  # yesterday, its run not done yet
        _day("2026-12-02", 5, "2026-12-04T14:30:00.000Z"),  # the day before, never counted: a backfill
        _day("1995-03-01", 20, "2026-12-04T14:20:00.000Z"),  # a backfill of long ago
    ]
    assert [s.day for s in plan_late_days(days, {}, END).stale] == ["1995-03-01", "2026-12-02"]
    # Yesterday counted at 00:05, before events that arrived at 14:00: again.
    counted = {"2026-12-03": datetime(2026, 12, 4, 0, 5, tzinfo=UTC)}
    assert [s.day for s in plan_late_days(days, counted, END).stale] == ["2026-12-03", "1995-03-01", "2026-12-02"]
    # At midnight the day that just ended is yesterday: left to its scheduled run while uncounted.
    assert plan_late_days(days[:1], {}, datetime(2026, 12, 5, tzinfo=UTC)).stale == []


def test_a_day_a_backfill_is_still_producing_is_held_back_and_runs_are_capped():
    days = [_day("2026-11-02", 5, "2026-12-04T14:30:00.000Z"), _day("2026-11-01", 5, "2026-12-04T14:00:00.000Z")]
    plan = plan_late_days(days, {}, END, backfilled={"2026-11-01"})
    assert ([s.day for s in plan.stale], [s.day for s in plan.held]) == (["2026-11-02"], ["2026-11-01"])
    first = datetime(1980, 1, 1, tzinfo=UTC)
    many = [_day((first + timedelta(days=i)).date().isoformat(), 1, f"2026-12-04T14:{i % 60:02d}:00.000Z")
            for i in range(MAX_DAYS_PER_RUN + 30)]
    assert len({d["day"] for d in many}) == len(many) > MAX_DAYS_PER_RUN
    capped = plan_late_days(many, {}, END)
    assert (len(capped.stale), capped.left_over) == (MAX_DAYS_PER_RUN, len(many) - MAX_DAYS_PER_RUN)


def test_the_run_queued_for_a_day_is_named_by_the_day_and_its_last_arrival():
    last = datetime(2026, 12, 4, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=-5)))
    assert aggregation_run_id("2026-11-19", last) == "late__2026-11-19__20261204T150000.123"
