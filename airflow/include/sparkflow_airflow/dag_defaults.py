"""What every SparkFlow DAG shares, so a new DAG starts from the same owner, retry policy and run limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

# The first day of the daily DAGs; catchup is off, so only the latest day runs on deploy.
DAILY_START = datetime(2026, 11, 1, tzinfo=UTC)
MIDNIGHT_UTC = "0 0 * * *"

HOURLY = "0 * * * *"

Schedule = Literal["manual", "daily", "day_before", "hourly"]


def timetable(schedule: Schedule):  # noqa: ANN201 - an Airflow Timetable, or None for manual DAGs
    """The timetable of a schedule:

    - `manual`: none, runs are triggered;
    - `daily`: a run at 00:00 UTC whose logical date is that moment (Airflow 3's `@daily`: a zero-length
      data interval), for a DAG that acts on the day it runs (user_automation pulls people);
    - `day_before`: a run at 00:00 UTC on D+1 whose data interval is the day D that just ended and whose
      logical date (`ds`) is D, for a DAG that processes a finished day (users_daily_aggregates);
    - `hourly`: a run at the top of each hour whose data interval is the hour that just ended
      (users_late_days).
    """
    if schedule == "manual":
        return None
    from airflow.sdk import CronTriggerTimetable

    if schedule == "hourly":
        return CronTriggerTimetable(HOURLY, timezone="UTC", interval=timedelta(hours=1))
    interval = timedelta(days=1) if schedule == "day_before" else timedelta()
    return CronTriggerTimetable(MIDNIGHT_UTC, timezone="UTC", interval=interval)


def default_args(
    *, retries: int = 3, retry_delay: timedelta, max_retry_delay: timedelta = timedelta(minutes=5)
) -> dict[str, Any]:
    """`default_args` of a SparkFlow DAG: owned by sparkflow, retried with exponential backoff (3 times, at most
    5 minutes apart, unless said otherwise)."""
    return {
        "owner": "sparkflow",
        "retries": retries,
        "retry_delay": retry_delay,
        "retry_exponential_backoff": True,
        "max_retry_delay": max_retry_delay,
    }


def dag_settings(*, schedule: Schedule, tags: list[str], **retry: Any) -> dict[str, Any]:
    """The `@dag` arguments every SparkFlow DAG shares: `timetable(schedule)` from DAILY_START (or manual
    only), no catch-up, one run at a time, the `sparkflow` tag first, and `default_args(**retry)`."""
    when: dict[str, Any] = {"schedule": timetable(schedule)}
    if schedule != "manual":
        when["start_date"] = DAILY_START
    return {
        **when,
        "catchup": False,
        "max_active_runs": 1,
        "default_args": default_args(**retry),
        "tags": ["sparkflow", *tags],
    }
