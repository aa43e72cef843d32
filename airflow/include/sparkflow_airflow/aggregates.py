"""Pure logic of the users_daily_aggregates DAG: which day a run aggregates, and whether the Spark job's
output for that day is all there. No I/O here (tests/unit/test_aggregates_logic.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import NoReturn

# spark-jobs' daily_user_aggregates counts every user of a day once under each of these dimensions.
DIMENSIONS = ("country", "gender", "age_band", "email_domain", "seen")


def aggregation_day(day: str | None, logical_date: datetime | None, today: date | None = None) -> str:
    """The UTC day a run aggregates: the `day` param when given (a manual run of any day up to today), else
    the run's logical date, which the `day_before` timetable sets to the day that ended when the run fired.
    A `day` after today has nothing to count yet, and a manual run with neither cannot know which day is
    meant: both fail at once, saying why, rather than write a summary of 0 users for a day to come."""
    today = today or datetime.now(UTC).date()
    if day:
        chosen = date.fromisoformat(day)
        if chosen > today:
            _fail(f"day {chosen.isoformat()} has not begun (today is {today.isoformat()} UTC): nothing to aggregate yet")
        _refuse_too_far_back(chosen, today, "day")
        return chosen.isoformat()
    if logical_date is not None:
        chosen = logical_date.astimezone(UTC).date()
        _refuse_too_far_back(chosen, today, "logical date")
        return chosen.isoformat()
    _fail('no day to aggregate: trigger with conf {"day": "YYYY-MM-DD"} or with a logical date on that day')


def earliest_day(today: date, max_age_years: int | None = None) -> date:
    """The earliest day spark-jobs' daily_user_aggregates takes: `today` MAX_AGE_YEARS (libs/contracts'
    generated limits) calendar years earlier, 29 February becoming 1 March (its `earliest_day`)."""
    if max_age_years is None:
        from sparkflow_contracts import max_age_years as generated

        max_age_years = generated()
    try:
        return today.replace(year=today.year - max_age_years)
    except ValueError:
        return date(today.year - max_age_years, 3, 1)


def _refuse_too_far_back(chosen: date, today: date, what: str) -> None:
    earliest = earliest_day(today)
    if chosen < earliest:
        _fail(
            f"{what} {chosen.isoformat()} is more than {today.year - earliest.year} years before today "
            f"(the earliest day is {earliest.isoformat()}): the Spark job refuses it, so it is not submitted"
        )


def _fail(message: str) -> NoReturn:
    from airflow.sdk.exceptions import AirflowFailException

    raise AirflowFailException(message)


def summary_problem(day: str, summary_users: int | None, totals: Mapping[str, int]) -> str | None:
    """What is wrong with the job's output for `day`, or None when it is whole: the job always writes one
    `analytics.daily_user_summary` row (0 users on a quiet day, which then has no count rows), and the
    count rows of each dimension add up to the summary's users."""
    if summary_users is None:
        return f"analytics.daily_user_summary has no row for {day}: the Spark job wrote nothing for that day"
    expected = {d: summary_users for d in DIMENSIONS} if summary_users > 0 else {}
    got = {d: n for d, n in totals.items() if n}
    if got != expected:
        return (
            f"analytics.daily_user_counts for {day} does not add up to the summary's {summary_users} users "
            f"in every dimension: {dict(sorted(got.items()))}"
        )
    return None
