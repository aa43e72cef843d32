"""Pure logic of the users_late_days DAG: which arrivals to ask the audit about, and which days to aggregate
again because events of theirs arrived after they were counted.

No Airflow and no I/O here, so every rule is unit-tested in milliseconds (tests/unit/test_late_days_logic.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

# The longest window the audit's `GET /v1/events/late-days` takes.
MAX_WINDOW = timedelta(days=31)
# A scheduled run asks about the hour that just ended.
HOUR = timedelta(hours=1)


def late_window(
    *,
    conf_from: datetime | None,
    conf_to: datetime | None,
    interval_end: datetime,
    prev_success_end: datetime | None,
) -> tuple[datetime, datetime]:
    """The arrivals [start, end) a run asks about: those the conf names (`from`, `to`), or else from where the
    last successful run stopped (so the hours a paused or stopped DAG missed are asked about too; the run's
    hour when none did) to the run's data interval end. At most MAX_WINDOW, the newest part of it. Raises
    ValueError naming a window that ends before it starts."""
    end = conf_to or interval_end
    if conf_from is not None:
        start = conf_from
    elif prev_success_end is not None and prev_success_end < end:
        start = prev_success_end
    else:
        start = end - HOUR
    if start >= end:
        raise ValueError(f"`from` ({start.isoformat()}) is not before `to` ({end.isoformat()})")
    return max(start, end - MAX_WINDOW), end


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class StaleDay:
    """A day to aggregate again, and why."""

    day: str
    reason: str


def days_to_aggregate(
    days: list[dict[str, Any]], computed_at: dict[str, datetime], window_end: datetime
) -> list[StaleDay]:
    """Of the days the audit names (`days`: a day, how many of its events were persisted or dead-lettered in
    the window, the last one's broker append time), those to aggregate again:

    - a day already aggregated (its `daily_user_summary.computed_at`, when the Spark job started: it counts
      every event acknowledged before) whose events arrived at or after that moment;
    - a day never aggregated, if its scheduled run is not still to come: a day before yesterday (of
      `window_end`, UTC) has none, a backfill of it made by the API or the CLI, say.

    A day not over at `window_end` is left to its own scheduled run, after midnight, which counts all of it;
    so is yesterday, while it has no summary (its run may be waiting for its events to settle)."""
    open_day = window_end.astimezone(UTC).date()
    stale = []
    for entry in days:
        day = date.fromisoformat(entry["day"])
        last = _instant(entry["lastAppendedAt"])
        if day >= open_day:
            continue
        events = f"{entry['events']} event(s) persisted or dead-lettered up to {last.isoformat()}"
        at = computed_at.get(entry["day"])
        if at is None:
            if day < open_day - timedelta(days=1):
                stale.append(StaleDay(entry["day"], f"never aggregated; {events}"))
        elif at.astimezone(UTC) <= last:
            stale.append(StaleDay(entry["day"], f"aggregated at {at.astimezone(UTC).isoformat()}, before {events}"))
    return stale


def aggregation_run_id(day: str, window_end: datetime) -> str:
    """The run of users_daily_aggregates a users_late_days run makes for `day`: the same for every try and
    clear of that run (and of any run asking up to the same instant), so it is made once."""
    return f"late__{day}__{window_end.astimezone(UTC).strftime('%Y%m%dT%H%M%S')}"
