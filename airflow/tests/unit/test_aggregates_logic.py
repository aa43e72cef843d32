from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest
from sparkflow_airflow.aggregates import DIMENSIONS, aggregation_day, summary_problem


def test_a_quiet_day_is_whole_with_its_summary_row_and_no_counts():
    # What daily_user_aggregates writes for a day without users: the summary row (0 users), no count rows.
    assert summary_problem("2026-12-02", 0, {}) is None


def test_no_summary_row_means_the_job_wrote_nothing_for_the_day():
    problem = summary_problem("2026-12-02", None, {})
    assert problem == "analytics.daily_user_summary has no row for 2026-12-02: the Spark job wrote nothing for that day"


@pytest.mark.parametrize("seed", range(20))
def test_counts_must_add_up_to_the_summary_in_every_dimension(seed):
    rnd = random.Random(seed)
    users = rnd.randint(1, 500)
    whole = dict.fromkeys(DIMENSIONS, users)
    assert summary_problem("2026-12-02", users, whole) is None
    broken = dict(whole)
    dim = rnd.choice(DIMENSIONS)
    if rnd.random() < 0.5:
        del broken[dim]
    else:
        broken[dim] += rnd.choice([-1, 1]) * rnd.randint(1, users)
    assert "does not add up to the summary's" in summary_problem("2026-12-02", users, broken)
    # A day with users and no count rows at all, or count rows beside a summary of 0 users.
    assert summary_problem("2026-12-02", users, {}) is not None
    assert summary_problem("2026-12-02", 0, whole) is not None


def test_the_day_is_the_param_else_the_logical_date_and_never_one_to_come():
    from datetime import UTC, date, datetime

    from airflow.sdk.exceptions import AirflowFailException

    today = date(2026, 12, 2)
    assert aggregation_day("2026-11-25", None, today) == "2026-11-25"
    assert aggregation_day(None, datetime(2026, 12, 1, tzinfo=UTC), today) == "2026-12-01"
    assert aggregation_day("2026-12-02", None, today) == "2026-12-02"
    with pytest.raises(AirflowFailException, match="day 2026-12-03 has not begun"):
        aggregation_day("2026-12-03", None, today)
    with pytest.raises(AirflowFailException, match="no day to aggregate"):
        aggregation_day(None, None, today)


def test_a_day_further_back_than_the_job_takes_fails_before_spark_submit():
    """spark-jobs' daily_user_aggregates refuses a day more than MAX_AGE_YEARS back (after spark-submit had
    started); Airflow refuses it first, with the same bound from the generated contracts."""
    from airflow.sdk.exceptions import AirflowFailException
    from sparkflow_airflow.aggregates import earliest_day

    today = date(2026, 12, 2)
    assert earliest_day(today) == date(1896, 12, 2)
    assert earliest_day(date(2028, 2, 29), 130) == date(1898, 3, 1)
    assert aggregation_day("1896-12-02", None, today) == "1896-12-02"
    with pytest.raises(AirflowFailException, match=r"^day 1896-12-01 is more than 130 years before today \(the earliest day is 1896-12-02\)"):
        aggregation_day("1896-12-01", None, today)
    with pytest.raises(AirflowFailException, match=r"^logical date 1890-01-01 is more than 130 years"):
        aggregation_day(None, datetime(1890, 1, 1, tzinfo=UTC), today)
