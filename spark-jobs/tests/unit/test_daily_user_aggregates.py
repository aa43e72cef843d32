import datetime as dt
from functools import partial

from chispa import assert_df_equality
from sparkflow_jobs.jobs.daily_user_aggregates import daily_summary, dimension_counts, transform, users_of_day

D = dt.date(2026, 11, 20)
BEFORE = dt.date(2026, 11, 19)
ROWS_SCHEMA = ("country_code string, event_day date, user_id string, gender string, age_band string, "
               "email_domain string, quality_score double, updated_at timestamp")

# Row order is Spark's business; nullability differs between createDataFrame and computed columns.
assertDataFrameEqual = partial(assert_df_equality, ignore_row_order=True, ignore_nullable=True)


def ts(h):
    return dt.datetime(2026, 11, 20, h, 0, 0)


def rows(spark):
    return spark.createDataFrame([
        # u1: seen on D and the day before -> re-seen
        ("GB", D, "u1", "male", "25-34", "gmail.com", 0.9, ts(10)),
        ("GB", BEFORE, "u1", "male", "25-34", "gmail.com", 0.9, ts(1)),
        # u2: moved DE -> FR during D; the newer row (FR) is the one counted, once
        ("DE", D, "u2", "female", "18-24", "gmail.com", 0.4, ts(8)),
        ("FR", D, "u2", "female", "18-24", "gmail.com", 0.5, ts(9)),
        # u3: unknown country partition and no gender
        ("ZZ", D, "u3", None, "35-44", "example.org", 0.7, ts(11)),
        # u4: only the day before -> not counted on D
        ("GB", BEFORE, "u4", "female", "45-54", "example.org", 0.1, ts(2)),
    ], ROWS_SCHEMA)


def test_users_of_day_keeps_one_row_per_user_the_newest(spark):
    got = users_of_day(rows(spark), D).select("user_id", "country_code")
    assertDataFrameEqual(got, spark.createDataFrame([("u1", "GB"), ("u2", "FR"), ("u3", "ZZ")], "user_id string, country_code string"))


def test_new_means_no_earlier_day(spark):
    r = rows(spark)
    got = users_of_day(r, D).select("user_id", "seen")
    assertDataFrameEqual(got, spark.createDataFrame([("u1", "re-seen"), ("u2", "new"), ("u3", "new")], "user_id string, seen string"))


def test_dimension_counts_by_hand(spark):
    counts, _ = transform(rows(spark), D)
    expected = spark.createDataFrame([
        (D, "country", "GB", 1, 0.9), (D, "country", "FR", 1, 0.5), (D, "country", "ZZ", 1, 0.7),
        (D, "gender", "male", 1, 0.9), (D, "gender", "female", 1, 0.5), (D, "gender", "unknown", 1, 0.7),
        (D, "age_band", "25-34", 1, 0.9), (D, "age_band", "18-24", 1, 0.5), (D, "age_band", "35-44", 1, 0.7),
        (D, "email_domain", "gmail.com", 2, 0.7), (D, "email_domain", "example.org", 1, 0.7),
        (D, "seen", "re-seen", 1, 0.9), (D, "seen", "new", 2, 0.6),
    ], "day date, dimension string, value string, users int, avg_quality double")
    assertDataFrameEqual(counts, expected)


def test_summary_by_hand(spark):
    _, summary = transform(rows(spark), D)
    # 3 users; GB and FR are countries, ZZ (unrecognised) is not; (0.9 + 0.5 + 0.7) / 3 = 0.7
    expected = spark.createDataFrame([(D, 3, 2, 0.7, 2, 1)],
                                     "day date, users int, countries int, avg_quality double, new_users int, reseen_users int")
    assertDataFrameEqual(summary, expected)


def test_an_empty_day_gives_a_zero_summary_and_no_counts(spark):
    empty = rows(spark).where("event_day < '2000-01-01'")
    counts, summary = transform(empty, D)
    assert counts.count() == 0
    assert summary.collect()[0].asDict() == {"day": D, "users": 0, "countries": 0, "avg_quality": None, "new_users": 0, "reseen_users": 0}


def test_dimension_counts_and_summary_are_pure_functions_of_users(spark):
    users = spark.createDataFrame([("u9", "NL", None, None, None, None, "new")],
                                  "user_id string, country_code string, gender string, age_band string, email_domain string, quality_score double, seen string")
    assert {(r.dimension, r.value, r.users) for r in dimension_counts(users, D).collect()} == {
        ("country", "NL", 1), ("gender", "unknown", 1), ("age_band", "unknown", 1), ("email_domain", "unknown", 1), ("seen", "new", 1)}
    assert daily_summary(users, D).first().countries == 1
