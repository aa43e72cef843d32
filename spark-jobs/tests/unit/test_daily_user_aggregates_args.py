"""daily_user_aggregates' --date: one ISO day, from MAX_AGE_YEARS before today to today (UTC), given once.
Every refusal is argparse's exit 2 with a message that names --date, before any JVM starts; both launchers
then end with the job's `cannot run` line."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from sparkflow_jobs.__main__ import checked_job
from sparkflow_jobs.jobs import daily_user_aggregates as job

TODAY = dt.date(2026, 12, 2)


def refused(argv: list[str], capsys, today: dt.date = TODAY) -> str:
    with pytest.raises(SystemExit) as exit_:
        job.parse_args(argv, today)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    error = err.strip().splitlines()[-1]
    assert error.startswith("daily_user_aggregates: error: ") and "--date" in error, err
    return error


def test_the_earliest_day_follows_the_contracts_bound(monkeypatch):
    """The bound is read from the generated contracts at each call, not copied into the job."""
    monkeypatch.setattr(job, "max_age_years", lambda: 3)
    assert job.earliest_day(TODAY) == dt.date(2023, 12, 2)
    assert job.earliest_day(dt.date(2028, 2, 29)) == dt.date(2025, 3, 1)


@pytest.mark.parametrize("text, day", [
    ("2026-12-02", TODAY),  # today (UTC): a day under way may be aggregated, as the DAG allows
    ("2026-12-01", dt.date(2026, 12, 1)),
    ("1896-12-02", dt.date(1896, 12, 2)),  # the earliest day: today 130 years earlier
    ("2024-02-29", dt.date(2024, 2, 29)),
])
def test_accepted(text, day):
    assert job.parse_args(["--date", text], TODAY).date == day
    assert job.parse_args([f"--date={text}"], TODAY).date == day


@pytest.mark.parametrize("argv, says", [
    (["--date", "2026-12-03"], "has not begun"),  # tomorrow
    (["--date", "9999-12-31"], "has not begun"),
    (["--date", "0001-01-01"], "more than 130 years"),
    (["--date", "1896-12-01"], "more than 130 years"),  # the day before the earliest
    (["--date", "20261125"], "YYYY-MM-DD"),  # basic ISO form: fromisoformat takes it, the rule does not
    (["--date", "2026-W48-3"], "YYYY-MM-DD"),
    (["--date", "2026-11-25T00:00"], "YYYY-MM-DD"),
    (["--date", " 2026-11-25"], "YYYY-MM-DD"),
    (["--date", "2026-11-25\n"], "YYYY-MM-DD"),
    (["--date", "２０２６-11-25"], "YYYY-MM-DD"),  # full-width digits
    (["--date", "2026-1-25"], "YYYY-MM-DD"),
    (["--date", ""], "YYYY-MM-DD"),
    (["--date", "2026-02-29"], "not a calendar day"),
    (["--date", "2026-13-01"], "not a calendar day"),
    (["--date", "2026-11-25", "--date", "2026-11-26"], "more than once"),
    (["--date", "2026-11-25", "--date", "2026-11-25"], "more than once"),  # even the same day twice
    (["--date=2026-11-25", "--date", "2026-11-26"], "more than once"),
    ([], "--date"),
    (["--date"], "expected one argument"),
])
def test_refused_with_exit_2_naming_date(argv, says, capsys):
    assert says in refused(argv, capsys)


def test_earliest_day_on_29_february_is_1_march_in_a_common_year():
    assert job.earliest_day(dt.date(2028, 2, 29)) == dt.date(1898, 3, 1)
    assert job.earliest_day(dt.date(2028, 2, 28)) == dt.date(1898, 2, 28)


def test_a_seeded_random_sample_of_days_and_todays(capsys):
    """Any today, any day: accepted exactly when earliest_day(today) <= day <= today, and then as itself."""
    rnd = random.Random(20261202)
    lo, hi = dt.date(1800, 1, 1).toordinal(), dt.date(2200, 12, 31).toordinal()
    for _ in range(400):
        today = dt.date.fromordinal(rnd.randint(lo, hi))
        day = rnd.choice([
            dt.date.fromordinal(rnd.randint(lo, hi)),
            today + dt.timedelta(days=rnd.randint(-3, 3)),
            job.earliest_day(today) + dt.timedelta(days=rnd.randint(-3, 3)),
        ])
        if job.earliest_day(today) <= day <= today:
            assert job.parse_args(["--date", day.isoformat()], today).date == day
        else:
            refused(["--date", day.isoformat()], capsys, today)
        # the same day written any other way is refused, whatever today is
        compact = day.strftime("%Y%m%d")
        refused(["--date", compact], capsys, today)
        for bad in (
            day.isoformat().replace("-", rnd.choice("/. _")),
            f"{day.year}-{day.month}-{day.day}" if day.month < 10 or day.day < 10 else f"{day.isoformat()}Z",
            day.isoformat() + rnd.choice([" ", "\t", "T00", "Z", "0"]),
        ):
            refused(["--date", bad], capsys, today)


@pytest.mark.parametrize("argv", [
    ["daily_user_aggregates", "--date", "2026-12-03"],
    ["daily_user_aggregates", "--date", "20261125"],
    ["daily_user_aggregates", "--date", "2026-11-25", "--date", "2026-11-26"],
])
def test_both_launchers_stop_before_any_jvm_with_exit_2(argv, capsys):
    """checked_job is what `python -m sparkflow_jobs` and `python -m sparkflow_jobs.submit` run first;
    the job's real today (UTC) applies there, so the day to come is tomorrow by the clock."""
    argv = [a if a != "2026-12-03" else (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat() for a in argv]
    assert checked_job(argv) == 2
    err = capsys.readouterr().err
    assert "argument --date" in err and "sparkflow_jobs: cannot run daily_user_aggregates: bad arguments" in err
