"""daily_user_aggregates on the real stack: users written straight to Cassandra for a test day, the
job's PostgreSQL and Cassandra rows compared with numbers computed here from that input, twice."""
from __future__ import annotations

import datetime as dt
import random
import sys
import time
import uuid
from collections import defaultdict
from types import SimpleNamespace

import pytest
from sparkflow_contracts import first_event_day_timestamp_base

from .conftest import result_of, run_job

INSERT_BY_DAY = """INSERT INTO users_by_country_day (country_code, event_day, user_id, full_name, gender, age_band,
  email_domain, quality_score, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"""
INSERT_USER = "INSERT INTO users (user_id, country_code, gender, age_band, email_domain, quality_score, event_day, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
INSERT_BY_DAY_AT = INSERT_BY_DAY + " USING TIMESTAMP %s"
INSERT_USER_AT = INSERT_USER + " USING TIMESTAMP %s"
# As persistence writes it (libs/contracts' first-event-day.ts): the version's event day at BASE - event time.
SET_FIRST_DAY_AT = "UPDATE users USING TIMESTAMP %s SET first_event_day = %s WHERE user_id = %s"
BASE = first_event_day_timestamp_base()
# Removes a test user's row, first_event_day too: that cell's timestamp is far past the clock's.
DELETE_USER = f"DELETE FROM users USING TIMESTAMP {BASE} WHERE user_id = %s"


def event_micros(t: dt.datetime) -> int:
    """An event time (naive, read as UTC) in microseconds."""
    return int(t.replace(tzinfo=dt.UTC).timestamp()) * 1_000_000 + t.microsecond


def write_first_day(cql, uid, event_time: dt.datetime) -> None:
    """users.first_event_day of one version, as persistence writes it."""
    cql.execute(SET_FIRST_DAY_AT, (BASE - event_micros(event_time), event_time.date(), uid))


def make_input(day: dt.date, rnd: random.Random):
    """Rows (country, event_day, user_id, gender, age_band, domain, quality, updated_at) around `day`."""
    countries, genders = ["GB", "FR", "DE", "NL", "ZZ"], ["female", "male", None]
    bands, domains = ["18-24", "25-34", "35-44", "75+"], ["gmail.com", "example.org", "mail.fr"]
    rows = []

    def user(event_day, uid=None, country=None, hour=None):
        uid = uid or uuid.UUID(int=rnd.getrandbits(128), version=4)
        quality = None if rnd.random() < 0.1 else round(rnd.random(), 2)
        rows.append((country or rnd.choice(countries), event_day, uid, rnd.choice(genders), rnd.choice(bands),
                     rnd.choice(domains), quality, dt.datetime.combine(event_day, dt.time(hour if hour is not None else rnd.randrange(24)))))
        return uid

    on_day = [user(day) for _ in range(24)]
    for uid in on_day[:8]:  # seen three days earlier too -> re-seen
        user(day - dt.timedelta(days=3), uid)
    for _ in range(5):  # only the day before: not counted
        user(day - dt.timedelta(days=1))
    for _ in range(3):  # the day after: not read
        user(day + dt.timedelta(days=1))
    mover = on_day[10]  # also in another country on D, earlier that day: counted once, in the newer country
    newest = next(r for r in rows if r[2] == mover and r[1] == day)
    rows.append(("DE" if newest[0] != "DE" else "FR", day, mover, "male", "18-24", "gmail.com", 0.01,
                 newest[7] - dt.timedelta(minutes=1)))
    return rows


def newest_by_write_order(rows, day):
    """Each user's row of `day` written last; make_input's rows are written in the order of their updated_at."""
    latest = {}
    for r in sorted((r for r in rows if r[1] == day), key=lambda r: r[7]):
        latest[r[2]] = r
    return latest


def tied_row(uid, day, version):
    """A same_millisecond_versions version as a make_input row (every tied user is female at example.org)."""
    _, country, band, quality = version
    return (country, day, uid, "female", band, "example.org", quality, None)


def expected_from(latest, earlier):
    """Recomputed in plain Python from each user's row of the day (`latest`, by user id) and the ids seen on
    an earlier day: the test's own reading of the definitions in the job's docstring."""
    groups = defaultdict(list)
    for uid, r in latest.items():
        seen = "re-seen" if uid in earlier else "new"
        for dim, val in (("country", r[0]), ("gender", r[3]), ("age_band", r[4]), ("email_domain", r[5]), ("seen", seen)):
            groups[(dim, val or "unknown")].append(r[6])

    def avg(xs):
        xs = [x for x in xs if x is not None]
        return round(sum(xs) / len(xs), 6) if xs else None

    counts = {k: (len(v), avg(v)) for k, v in groups.items()}
    summary = (len(latest), len({r[0] for r in latest.values() if r[0] != "ZZ"}), avg([r[6] for r in latest.values()]),
               sum(1 for u in latest if u not in earlier), sum(1 for u in latest if u in earlier))
    return counts, summary


def read_pg(pg, day):
    counts = {(d, v): (u, q) for d, v, u, q in pg.execute(
        "SELECT dimension, value, users, avg_quality FROM analytics.daily_user_counts WHERE day = %s", (day,))}
    summary = pg.execute("SELECT users, countries, avg_quality, new_users, reseen_users FROM analytics.daily_user_summary WHERE day = %s",
                         (day,)).fetchone()
    return counts, summary


# The job and this file each round an average to 6 places, but sum the scores in their own order: an average
# that falls on a rounding boundary (0.5215625) can round to either neighbour, one unit in the 6th place
# apart, which as floats is a hair over 1e-6.
ROUNDED_AVG = 1.5e-6


def approx_equal(got, want):
    assert got.keys() == want.keys()
    for k in want:
        assert got[k][0] == want[k][0], k
        assert got[k][1] == pytest.approx(want[k][1], abs=ROUNDED_AVG), k


def assert_run_stored(result, stored, want_counts, want_summary):
    """One run's JSON result and what it stored (PostgreSQL's counts and summary, Cassandra's summary row)
    against the numbers computed here."""
    (counts, summary), c, _ = stored
    assert result["users"] == want_summary[0]
    approx_equal(counts, want_counts)
    assert summary[:2] == want_summary[:2] and summary[3:] == want_summary[3:]
    assert summary[2] == pytest.approx(want_summary[2], abs=ROUNDED_AVG)
    assert (c.users, c.countries, c.new_users, c.reseen_users) == (
        want_summary[0], want_summary[1], want_summary[3], want_summary[4])
    assert c.avg_quality == pytest.approx(want_summary[2], abs=ROUNDED_AVG)


# ---- the newest version of a user is the one written last ----------------------------------------------


def same_millisecond_versions(day: dt.date, rnd: random.Random):
    """Users written on `day` in two or three versions (countries differ) within one millisecond, the way
    persistence writes them: every cell of a version carries its event time in microseconds as its write
    timestamp, while `updated_at` (a CQL timestamp) keeps only the millisecond, so every version of a user
    has the same `updated_at`. The first user is one push holding one person twice: DE born 1950, then FR
    born 1995. Returns (user_id, versions in write order), a version being (micros, country, age_band, quality)."""
    # Write times from the clock, not from `day`: a tombstone an earlier run left on the same partition
    # (written at its own now) must never shadow these cells.
    base_ms = time.time_ns() // 1_000_000
    users = [(uuid.uuid4(), [(base_ms * 1000 + 100, "DE", "75+", 0.2), (base_ms * 1000 + 900, "FR", "25-34", 0.8)])]
    countries, bands = ["DE", "FR", "GB", "NL", "ZZ", "AU"], ["18-24", "25-34", "35-44", "75+"]
    for i in range(1, 12):
        ms = (base_ms + i) * 1000
        offsets = sorted(rnd.sample(range(1000), rnd.choice((2, 3))))
        picked = rnd.sample(countries, len(offsets))
        versions = [(ms + o, c, rnd.choice(bands), round(rnd.random(), 2)) for o, c in zip(offsets, picked, strict=True)]
        users.append((uuid.uuid4(), versions))
    return users


def summary_row(cql, day):
    """daily_summary's row of `day`, every column."""
    return cql.execute("SELECT users, countries, avg_quality, new_users, reseen_users, computed_at FROM daily_summary WHERE day = %s",
                       (day,)).one()


def computed_at(pg, day):
    """The computed_at of every PostgreSQL row of `day` (the one column a rerun changes)."""
    return {t for (t,) in pg.execute("SELECT computed_at FROM analytics.daily_user_counts WHERE day = %s UNION ALL "
                                     "SELECT computed_at FROM analytics.daily_user_summary WHERE day = %s", (day, day))}


@pytest.fixture(scope="module")
def aggregated_day(cql, pg, filled_marker):
    """One test day, aggregated twice — the two ways operators start the job — and what each run left.

    The day holds make_input's users (re-seen ones, a mover, neighbours on other days) and, in the same
    partitions, same_millisecond_versions' users (several versions of one person within one millisecond).
    The job takes one --date per run, so sharing the day lets one pair of runs serve both tests:
    1. the module runner, in its own JVM (run-job.sh): the rows both tests check;
    2. spark-submit on the standalone master, as Airflow and Compose run it, its executors given a Python
       that does not exist (the Spark image's workers of Compose and Kubernetes have none of the driver's
       venv: the job must start no Python worker on them) — a rerun, which must leave the same rows.
    Both runs name a data_backfills row of the module's own, present (filled_marker): they take the
    targeted path and never fill or write the real `users.first_event_day` row."""
    rnd = random.Random()
    day = dt.date(1975, 1, 1) + dt.timedelta(days=rnd.randrange(9000))  # far from real traffic (event_day = today)
    rows, tied = make_input(day, rnd), same_millisecond_versions(day, rnd)
    try:
        # As persistence does, a later updated_at gets a later write timestamp (each row its own microsecond).
        # They follow the clock, not `day`: a tombstone an earlier run left on a partition must not shadow them.
        base = time.time_ns() // 1000
        for n, r in enumerate(sorted(rows, key=lambda r: r[7])):
            cql.execute(INSERT_BY_DAY_AT, (r[0], r[1], r[2], "Test User", r[3], r[4], r[5], r[6], r[7], base + n))
            cql.execute(INSERT_USER_AT, (r[2], r[0], r[3], r[4], r[5], r[6], r[1], r[7], base + n))
            write_first_day(cql, r[2], r[7])
        for uid, versions in tied:
            updated_at = dt.datetime.fromtimestamp(versions[0][0] // 1000 / 1000, dt.UTC).replace(tzinfo=None)
            for micros, country, band, quality in versions:
                assert micros // 1000 == versions[0][0] // 1000  # every version in one millisecond
                cql.execute(INSERT_BY_DAY_AT, (country, day, uid, "Test User", "female", band, "example.org", quality, updated_at, micros))
                cql.execute(INSERT_USER_AT, (uid, country, "female", band, "example.org", quality, day, updated_at, micros))
                write_first_day(cql, uid, dt.datetime.combine(day, dt.time(12)))
        # a stale row for D from an "earlier run" must be replaced, not kept
        pg.execute("INSERT INTO analytics.daily_user_counts VALUES (%s, 'country', 'XX', 99, NULL, now())", (day,))
        marker = {"SPARKFLOW_FIRST_EVENT_DAY_FILL": filled_marker}
        first = result_of(run_job("module", "daily_user_aggregates", "--date", day.isoformat(), env=marker))
        after_first = (read_pg(pg, day), summary_row(cql, day), computed_at(pg, day))
        no_python = {"PYSPARK_PYTHON": "/nonexistent/executors-run-no-python", "PYSPARK_DRIVER_PYTHON": sys.executable,
                     **marker}
        second = result_of(run_job("submit-standalone", "daily_user_aggregates", "--date", day.isoformat(), env=no_python))
        after_second = (read_pg(pg, day), summary_row(cql, day), computed_at(pg, day))
        yield SimpleNamespace(day=day, rows=rows, tied=tied, first=first, after_first=after_first,
                              second=second, after_second=after_second)
    finally:
        countries = {r[0] for r in rows} | {v[1] for _, versions in tied for v in versions}
        for country, event_day in {(r[0], r[1]) for r in rows} | {(c, day) for c in countries}:
            cql.execute("DELETE FROM users_by_country_day WHERE country_code = %s AND event_day = %s", (country, event_day))
        for uid in {r[2] for r in rows} | {uid for uid, _ in tied}:
            cql.execute(DELETE_USER, (uid,))
        cql.execute("DELETE FROM daily_summary WHERE day = %s", (day,))
        pg.execute("DELETE FROM analytics.daily_user_counts WHERE day = %s", (day,))
        pg.execute("DELETE FROM analytics.daily_user_summary WHERE day = %s", (day,))


def test_aggregates_match_the_input_and_a_rerun_changes_nothing(spark, cfg, aggregated_day):
    a = aggregated_day
    day = a.day
    latest = newest_by_write_order(a.rows, day)
    latest.update({uid: tied_row(uid, day, max(versions)) for uid, versions in a.tied})
    want_counts, want_summary = expected_from(latest, {r[2] for r in a.rows if r[1] < day})

    # First run, by the module runner: the numbers computed here, the stale row gone.
    assert_run_stored(a.first, a.after_first, want_counts, want_summary)
    assert (a.first["path"], a.first["repaired"]) == ("targeted", 0), a.first
    (counts, summary), c, first_at = a.after_first

    # Second run, by spark-submit on the standalone master (no Python on its executors): the same rows,
    # bit for bit, every column but computed_at — which shows the rerun did rewrite them. Both read D alone.
    assert a.second["users"] == want_summary[0]
    assert (a.second["path"], a.second["repaired"]) == ("targeted", 0), a.second
    (counts2, summary2), c2, second_at = a.after_second
    assert (counts2, summary2) == (counts, summary)
    assert tuple(c2)[:-1] == tuple(c)[:-1]
    assert len(first_at) == 1 and len(second_at) == 1 and second_at != first_at, (first_at, second_at)
    assert c2.computed_at > c.computed_at

    # The PostgreSQL JDBC jar from deploy/local/spark/pom.xml is on Spark's classpath and reads the same rows.
    via_jdbc = (
        spark.read.format("jdbc")
        .option("url", f"jdbc:postgresql://{cfg.postgres_host}:{cfg.postgres_port}/{cfg.postgres_db}")
        .option("driver", "org.postgresql.Driver")  # jars from spark.jars are not visible to DriverManager
        .option("user", cfg.postgres_user).option("password", cfg.postgres_password)
        .option("query", f"SELECT users, new_users FROM analytics.daily_user_summary WHERE day = DATE '{day.isoformat()}'")
        .load().collect()
    )
    assert [(r.users, r.new_users) for r in via_jdbc] == [(want_summary[0], want_summary[3])]


def test_each_user_counts_as_the_version_written_last_as_users_says(cql, aggregated_day):
    """For every user, the job counts the version with the greatest write time: the one `users` holds.
    same_millisecond_versions' users share the day with make_input's (see aggregated_day), so the
    expected rows are those users' versions as `users` holds them plus make_input's users."""
    a = aggregated_day
    day = a.day
    current = {}
    for uid, versions in a.tied:
        row = cql.execute("SELECT country_code, age_band, quality_score FROM users WHERE user_id = %s", (uid,)).one()
        current[uid] = (row.country_code, row.age_band, row.quality_score)
        newest = max(versions)
        assert current[uid] == newest[1:], "users does not hold the version written last"
    assert current[a.tied[0][0]][:2] == ("FR", "25-34")

    latest = newest_by_write_order(a.rows, day)
    latest.update({uid: tied_row(uid, day, (None, *version)) for uid, version in current.items()})
    want_counts, want_summary = expected_from(latest, {r[2] for r in a.rows if r[1] < day})
    # No tied user has an earlier day: they count as new (new_users and seen=new), none as re-seen.
    for result, stored in ((a.first, a.after_first), (a.second, a.after_second)):
        assert_run_stored(result, stored, want_counts, want_summary)
