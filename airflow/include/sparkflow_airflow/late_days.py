"""Pure logic of the users_late_days DAG: which arrivals to ask the audit about, and which days to aggregate
again because events of theirs arrived after they were counted.

No Airflow and no I/O here, so every rule is unit-tested in milliseconds (tests/unit/test_late_days_logic.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

# The longest window the audit's `GET /v1/events/late-days` takes.
MAX_WINDOW = timedelta(days=31)
# What a scheduled run looks back over: every hour asks again about the last day's arrivals, so a day whose
# run failed, or was held back behind a running backfill, is still found stale an hour later (level, not edge).
LOOKBACK = timedelta(hours=24)
# How much later than an arrival a day's count must have started to have surely counted it: the Spark driver's
# clock (`computed_at`) against the broker's (`lastAppendedAt`), hosts kept in step by NTP.
CLOCK_MARGIN = timedelta(seconds=10)
# The most runs one run queues: Airflow maps a task over at most `max_map_length` (1,024) items. The days
# left over are still stale next hour.
MAX_DAYS_PER_RUN = 500


def late_window(
    *, conf_from: datetime | None, conf_to: datetime | None, interval_end: datetime
) -> tuple[datetime, datetime]:
    """The arrivals [start, end) a run asks about: those the conf names (`from`, `to`), or else the LOOKBACK
    before the run's data interval end. Raises ValueError naming a window that ends before it starts, or one
    longer than MAX_WINDOW, the most the audit answers for at once (a longer one is asked as several runs,
    never cut short without a word)."""
    end = conf_to or interval_end
    start = conf_from or end - LOOKBACK
    if start >= end:
        raise ValueError(f"`from` ({start.isoformat()}) is not before `to` ({end.isoformat()})")
    if end - start > MAX_WINDOW:
        raise ValueError(
            f"`from` ({start.isoformat()}) is more than {MAX_WINDOW.days} days before `to` ({end.isoformat()}), "
            f"the most the audit answers for at once: trigger one run per {MAX_WINDOW.days} days"
        )
    return start, end


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class StaleDay:
    """A day to aggregate again, why, and the last arrival it is to count."""

    day: str
    reason: str
    last_arrival: datetime


@dataclass
class LatePlan:
    """The days to aggregate again now, those held back while a backfill still adds to them, and how many
    stale days were left for the next run."""

    stale: list[StaleDay] = field(default_factory=list)
    held: list[StaleDay] = field(default_factory=list)
    left_over: int = 0


def plan_late_days(
    days: list[dict[str, Any]],
    computed_at: dict[str, datetime],
    window_end: datetime,
    backfilled: set[str] = frozenset(),  # type: ignore[assignment]
) -> LatePlan:
    """Of the days the audit names (`days`: a day, how many of its events were persisted or dead-lettered in
    the window, the last one's broker append time), those to aggregate again:

    - a day already aggregated (its `daily_user_summary.computed_at`, when the Spark job started: it counts
      every event acknowledged before) whose events arrived later than CLOCK_MARGIN before that moment;
    - a day never aggregated, if its scheduled run is not still to come: a day before yesterday (of
      `window_end`, UTC) has none, a backfill of it made by the API or the CLI, say.

    A day not over at `window_end` is left to its own scheduled run, after midnight, which counts all of it;
    so is yesterday, while it has no summary (its run may be waiting for its events to settle). A stale day
    a running backfill still has a batch on (`backfilled`) is held back: its run would wait for that backfill,
    and the next run finds it stale still. At most MAX_DAYS_PER_RUN, the earliest arrivals first."""
    open_day = window_end.astimezone(UTC).date()
    plan = LatePlan()
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
                stale.append(StaleDay(entry["day"], f"never aggregated; {events}", last))
        elif at.astimezone(UTC) - CLOCK_MARGIN <= last:
            stale.append(StaleDay(entry["day"], f"aggregated at {at.astimezone(UTC).isoformat()}, before {events}", last))
    for s in sorted(stale, key=lambda s: (s.last_arrival, s.day)):
        if s.day in backfilled:
            plan.held.append(s)
        elif len(plan.stale) < MAX_DAYS_PER_RUN:
            plan.stale.append(s)
        else:
            plan.left_over += 1
    return plan


def aggregation_run_id(day: str, last_arrival: datetime) -> str:
    """The run of users_daily_aggregates queued for `day` to count its arrivals up to `last_arrival`: every run
    of users_late_days that finds the day in that state names the same run, so it is queued once; a later
    arrival names a new one."""
    return f"late__{day}__{last_arrival.astimezone(UTC).strftime('%Y%m%dT%H%M%S.%f')[:-3]}"
