"""What every SparkFlow DAG shares, so a new DAG starts from the same owner, retry policy and run limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

# The first logical date of the daily DAGs; catchup is off, so only the latest day runs on deploy.
DAILY_START = datetime(2026, 11, 1, tzinfo=UTC)


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


def dag_settings(*, daily: bool, tags: list[str], **retry: Any) -> dict[str, Any]:
    """The `@dag` arguments every SparkFlow DAG shares: daily from DAILY_START or manual only, no catch-up,
    one run at a time, the `sparkflow` tag first, and `default_args(**retry)`."""
    schedule: dict[str, Any] = {"schedule": "@daily", "start_date": DAILY_START} if daily else {"schedule": None}
    return {
        **schedule,
        "catchup": False,
        "max_active_runs": 1,
        "default_args": default_args(**retry),
        "tags": ["sparkflow", *tags],
    }
