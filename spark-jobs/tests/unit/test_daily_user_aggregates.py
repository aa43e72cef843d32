import datetime as dt
import random
from functools import partial

from chispa import assert_df_equality
from sparkflow_jobs.jobs.daily_user_aggregates import (
    daily_summary,
    dimension_counts,
    storable_text,
    transform,
    users_of_day,
)

D = dt.date(2026, 11, 20)
BEFORE = dt.date(2026, 11, 19)
ROWS_SCHEMA = ("country_code string, event_day date, user_id string, gender string, age_band string, "
               "email_domain string, quality_score double, updated_at timestamp, write_time bigint")

# Row order is Spark's business; nullability differs between createDataFrame and computed columns.
assertDataFrameEqual = partial(assert_df_equality, ignore_row_order=True, ignore_nullable=True)


def ts(h):
    return dt.datetime(2026, 11, 20, h, 0, 0)


def micros(t: dt.datetime, extra: int = 0) -> int:
    """A write timestamp as persistence sets it: the event time in microseconds (`t` read as UTC)."""
    return int(t.replace(tzinfo=dt.UTC).timestamp()) * 1_000_000 + t.microsecond + extra


def rows(spark):
    return spark.createDataFrame([
        # u1: seen on D and the day before -> re-seen
        ("GB", D, "u1", "male", "25-34", "gmail.com", 0.9, ts(10), micros(ts(10))),
        ("GB", BEFORE, "u1", "male", "25-34", "gmail.com", 0.9, ts(1), micros(ts(1))),
        # u2: moved DE -> FR during D; the newer row (FR) is the one counted, once
        ("DE", D, "u2", "female", "18-24", "gmail.com", 0.4, ts(8), micros(ts(8))),
        ("FR", D, "u2", "female", "18-24", "gmail.com", 0.5, ts(9), micros(ts(9))),
        # u3: unknown country partition and no gender
        ("ZZ", D, "u3", None, "35-44", "example.org", 0.7, ts(11), micros(ts(11))),
        # u4: only the day before -> not counted on D
        ("GB", BEFORE, "u4", "female", "45-54", "example.org", 0.1, ts(2), micros(ts(2))),
    ], ROWS_SCHEMA)


def test_users_of_day_keeps_one_row_per_user_the_newest(spark):
    got = users_of_day(rows(spark), D).select("user_id", "country_code")
    assertDataFrameEqual(got, spark.createDataFrame([("u1", "GB"), ("u2", "FR"), ("u3", "ZZ")], "user_id string, country_code string"))


def test_versions_in_one_millisecond_count_as_the_one_written_last(spark):
    """updated_at (a CQL timestamp) keeps milliseconds; persistence orders versions by microsecond write
    times. Within one millisecond the write time decides, whichever way the country codes sort."""
    t = dt.datetime(2026, 11, 20, 12, 0, 0, 123000)
    r = spark.createDataFrame([
        # one push holding one person twice: DE born 1950, then FR born 1995
        ("DE", D, "a", "male", "75+", "gmail.com", 0.2, t, micros(t, 100)),
        ("FR", D, "a", "male", "25-34", "gmail.com", 0.8, t, micros(t, 900)),
        # the same, with the newer version in the country that sorts first
        ("NL", D, "b", "female", "75+", "gmail.com", 0.2, t, micros(t, 100)),
        ("AU", D, "b", "female", "18-24", "gmail.com", 0.8, t, micros(t, 101)),
    ], ROWS_SCHEMA)
    got = users_of_day(r, D).select("user_id", "country_code", "age_band", "quality_score")
    assertDataFrameEqual(got, spark.createDataFrame([("a", "FR", "25-34", 0.8), ("b", "AU", "18-24", 0.8)],
                                                    "user_id string, country_code string, age_band string, quality_score double"))


def test_the_row_counted_is_the_one_with_the_greatest_write_time(spark):
    """For every user, a seeded random sample of versions: several per user and day, many sharing their
    updated_at millisecond, rows on other days too. The row users_of_day keeps is, column for column, the
    user's row on D with the greatest write time (which is what the users table holds)."""
    rnd = random.Random(20261202)
    countries, bands = ["AU", "DE", "FR", "GB", "NL", "ZZ"], ["18-24", "25-34", "75+", None]
    data = []
    for u in range(60):
        ms = dt.datetime(2026, 11, 20, rnd.randrange(24), rnd.randrange(60), 0, rnd.randrange(1000) * 1000)
        offsets = rnd.sample(range(1000), rnd.randint(1, 4))
        for country, extra in zip(rnd.sample(countries, len(offsets)), offsets, strict=True):
            updated = ms if rnd.random() < 0.8 else ms - dt.timedelta(milliseconds=rnd.randrange(1, 5))
            data.append((country, D, f"u{u}", rnd.choice(["female", "male"]), rnd.choice(bands), "gmail.com",
                         round(rnd.random(), 3), updated, micros(ms, extra)))
        if rnd.random() < 0.3:  # an earlier day, written later than anything on D: never counted on D
            data.append((rnd.choice(countries), BEFORE, f"u{u}", "male", "75+", "x.org", 0.0, ms, micros(ms, 5000)))
    want = {}
    for row in data:
        if row[1] == D and (row[2] not in want or row[8] > want[row[2]][8]):
            want[row[2]] = row
    got = {r.user_id: r for r in users_of_day(spark.createDataFrame(data, ROWS_SCHEMA), D).collect()}
    assert got.keys() == want.keys()
    for uid, w in want.items():
        g = got[uid]
        assert (g.country_code, g.gender, g.age_band, g.email_domain, g.quality_score, g.updated_at) == \
            (w[0], w[3], w[4], w[5], w[6], w[7]), uid


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


def test_a_dimension_value_holding_a_nul_is_written_as_postgresql_text_holds_it():
    assert storable_text("fe\x00male") == "fe\\u0000male"
    assert storable_text("\x00\x00") == "\\u0000\\u0000"
    for value in ("female", "", "ñ é 日本", "a\\u0000"):
        assert storable_text(value) == value
