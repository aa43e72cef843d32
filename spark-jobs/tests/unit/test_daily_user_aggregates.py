import datetime as dt
import random
from functools import partial

from chispa import assert_df_equality
from sparkflow_contracts import first_event_day_timestamp_base
from sparkflow_jobs.jobs.daily_user_aggregates import (
    FILL_WRITE_TIME,
    daily_summary,
    dimension_counts,
    first_days,
    storable_text,
    transform,
    users_of_day,
    with_fill_write_time,
    with_seen,
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
    r = rows(spark)
    got = users_of_day(r, first_days(r), D).select("user_id", "country_code")
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
    got = users_of_day(r, first_days(r), D).select("user_id", "country_code", "age_band", "quality_score")
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
    df = spark.createDataFrame(data, ROWS_SCHEMA)
    got = {r.user_id: r for r in users_of_day(df, first_days(df), D).collect()}
    assert got.keys() == want.keys()
    for uid, w in want.items():
        g = got[uid]
        assert (g.country_code, g.gender, g.age_band, g.email_domain, g.quality_score, g.updated_at) == \
            (w[0], w[3], w[4], w[5], w[6], w[7]), uid


def test_new_means_no_earlier_day(spark):
    r = rows(spark)
    got = users_of_day(r, first_days(r), D).select("user_id", "seen")
    assertDataFrameEqual(got, spark.createDataFrame([("u1", "re-seen"), ("u2", "new"), ("u3", "new")], "user_id string, seen string"))


def test_dimension_counts_by_hand(spark):
    r = rows(spark)
    counts, _ = transform(r, first_days(r), D)
    expected = spark.createDataFrame([
        (D, "country", "GB", 1, 0.9), (D, "country", "FR", 1, 0.5), (D, "country", "ZZ", 1, 0.7),
        (D, "gender", "male", 1, 0.9), (D, "gender", "female", 1, 0.5), (D, "gender", "unknown", 1, 0.7),
        (D, "age_band", "25-34", 1, 0.9), (D, "age_band", "18-24", 1, 0.5), (D, "age_band", "35-44", 1, 0.7),
        (D, "email_domain", "gmail.com", 2, 0.7), (D, "email_domain", "example.org", 1, 0.7),
        (D, "seen", "re-seen", 1, 0.9), (D, "seen", "new", 2, 0.6),
    ], "day date, dimension string, value string, users int, avg_quality double")
    assertDataFrameEqual(counts, expected)


def test_summary_by_hand(spark):
    r = rows(spark)
    _, summary = transform(r, first_days(r), D)
    # 3 users; GB and FR are countries, ZZ (unrecognised) is not; (0.9 + 0.5 + 0.7) / 3 = 0.7
    expected = spark.createDataFrame([(D, 3, 2, 0.7, 2, 1)],
                                     "day date, users int, countries int, avg_quality double, new_users int, reseen_users int")
    assertDataFrameEqual(summary, expected)


def test_an_empty_day_gives_a_zero_summary_and_no_counts(spark):
    empty = rows(spark).where("event_day < '2000-01-01'")
    counts, summary = transform(empty, first_days(empty), D)
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


# ---- first_event_day ------------------------------------------------------------------------------------

def test_first_days_is_each_users_earliest_event_day(spark):
    r = rows(spark)
    got = {x.user_id: x.first_event_day for x in first_days(r).collect()}
    assert got == {"u1": BEFORE, "u2": D, "u3": D, "u4": BEFORE}


def test_the_fill_writes_at_base_minus_the_start_of_the_day_so_the_earliest_day_wins(spark):
    """The fill's timestamp against persistence's (BASE - event time): an event later on the same day is
    lower or equal (same value, either may stay), an event of an earlier day is higher (it wins), of a
    later day lower (the fill wins) — the max timestamp is always the earliest day's."""
    base = first_event_day_timestamp_base()
    firsts = spark.createDataFrame([("a", D), ("b", dt.date(1970, 1, 1)), ("c", dt.date(9999, 12, 31))],
                                   "user_id string, first_event_day date")
    got = {x.user_id: x[FILL_WRITE_TIME] for x in with_fill_write_time(firsts, base).collect()}
    start_of_d = micros(dt.datetime(2026, 11, 20))
    assert got == {"a": base - start_of_d, "b": base, "c": base - micros(dt.datetime(9999, 12, 31))}
    assert base - micros(ts(0)) <= got["a"] and base - micros(ts(23)) < got["a"]  # same day: persistence ≤ fill
    assert base - micros(dt.datetime(2026, 11, 19, 23, 59, 59)) > got["a"]  # the day before wins
    assert base - micros(dt.datetime(2026, 11, 21)) < got["a"]  # the day after loses


def test_seen_follows_first_event_day_and_a_missing_or_later_one_counts_as_new(spark):
    users = spark.createDataFrame([("e", 0.1), ("s", 0.2), ("n", 0.3), ("l", 0.4), ("x", 0.5)],
                                  "user_id string, quality_score double")
    firsts = spark.createDataFrame([("e", BEFORE), ("s", D), ("n", None), ("l", dt.date(2026, 11, 21))],
                                   "user_id string, first_event_day date")
    got = {x.user_id: x.seen for x in with_seen(users, firsts, D).collect()}
    assert got == {"e": "re-seen", "s": "new", "n": "new", "l": "new", "x": "new"}


def test_first_days_and_a_day_alone_give_what_the_full_history_gives(spark):
    """Seeded, bounded: random users over ten days. For every day D, D's rows with first_days of every row
    (what users.first_event_day holds) give the summary computed here from the whole history: a user is
    new on D iff no row of theirs is on an earlier day."""
    rnd = random.Random(20261204)
    days = [dt.date(2026, 11, 11) + dt.timedelta(days=i) for i in range(10)]
    data = []
    for u in range(80):
        for day in rnd.sample(days, rnd.randint(1, 4)):
            t = dt.datetime.combine(day, dt.time(rnd.randrange(24), rnd.randrange(60)))
            data.append((rnd.choice(["GB", "FR", "ZZ"]), day, f"u{u}", "female", "25-34", "gmail.com", 0.5, t, micros(t)))
    everything = spark.createDataFrame(data, ROWS_SCHEMA)
    firsts = first_days(everything).cache()
    for day in days:
        on_day = {r[2] for r in data if r[1] == day}
        earlier = {r[2] for r in data if r[1] < day}
        only_day = everything.where(everything.event_day == day)
        summary = transform(only_day, firsts, day)[1].first()
        assert (summary.users, summary.new_users, summary.reseen_users) == \
            (len(on_day), len(on_day - earlier), len(on_day & earlier)), day
