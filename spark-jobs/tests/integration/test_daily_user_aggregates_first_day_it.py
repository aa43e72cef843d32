"""daily_user_aggregates' first_event_day on the real stack: the reads of D are targeted (the CQL names D's
partitions, users is read by key), the one-off fill of rows persisted before migration 0005, and a
seeded comparison of the targeted path with the full-history definition over several days.

Isolation: every test day is far in the past (real traffic lands on today), every user id is new, and
everything written is deleted afterwards (users at timestamp FIRST_EVENT_DAY_TIMESTAMP_BASE, above every
first_event_day cell and the fill's row liveness). Every run of the job names a data_backfills row of its
test's own (conftest's fill_marker, absent, for the fill; filled_marker, present, for the targeted path),
so the real `users.first_event_day` row is never written or removed by these tests. A fill here does scan
and fill every user of the shared keyspace that has a users row, which is what the real fill would write
too (each user's earliest day)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
import uuid

import pytest
from sparkflow_jobs.cassandra_io import cql_session
from sparkflow_jobs.jobs import daily_user_aggregates as job

from .conftest import result_of, run_job
from .test_daily_user_aggregates_it import (
    DELETE_USER,
    INSERT_BY_DAY_AT,
    INSERT_USER_AT,
    ROUNDED_AVG,
    approx_equal,
    expected_from,
    read_pg,
    write_first_day,
)


def far_day(rnd: random.Random) -> dt.date:
    """A day of 1975-1999 (the job refuses none of them, and no real event is on it)."""
    return dt.date(1975, 1, 1) + dt.timedelta(days=rnd.randrange(9000))


@dataclasses.dataclass
class Written:
    """What a test wrote, to check against and to delete."""

    rows: list = dataclasses.field(default_factory=list)  # make_input-shaped rows, in write order
    days: set = dataclasses.field(default_factory=set)

    def user_ids(self):
        return {r[2] for r in self.rows}


def write_rows(cql, rows, first_day: bool) -> None:
    """users_by_country_day and users rows, in the order given, each write later than the one before (clock
    timestamps: a tombstone an earlier run left must not shadow them); `first_day`: persistence's
    first_event_day too (at BASE - event time), else none, as before migration 0005."""
    base = time.time_ns() // 1000
    for n, r in enumerate(rows):
        cql.execute(INSERT_BY_DAY_AT, (r[0], r[1], r[2], "Test User", r[3], r[4], r[5], r[6], r[7], base + n))
        cql.execute(INSERT_USER_AT, (r[2], r[0], r[3], r[4], r[5], r[6], r[1], r[7], base + n))
        if first_day:
            write_first_day(cql, r[2], r[7])


def clean(cql, pg, written: Written) -> None:
    for country, day in {(r[0], r[1]) for r in written.rows}:
        cql.execute("DELETE FROM users_by_country_day WHERE country_code = %s AND event_day = %s", (country, day))
    for uid in written.user_ids():
        cql.execute(DELETE_USER, (uid,))
    for day in written.days:
        cql.execute("DELETE FROM daily_summary WHERE day = %s", (day,))
        pg.execute("DELETE FROM analytics.daily_user_counts WHERE day = %s", (day,))
        pg.execute("DELETE FROM analytics.daily_user_summary WHERE day = %s", (day,))


def full_history_expectation(rows, day):
    """The definitions read from all history: each user's row of `day` written last (rows are in write
    order), new unless a row of theirs is on an earlier day."""
    latest = {}
    for r in rows:
        if r[1] == day:
            latest[r[2]] = r
    return expected_from(latest, {r[2] for r in rows if r[1] < day})


def assert_stored(pg, day, want):
    counts, summary = read_pg(pg, day)
    want_counts, want_summary = want
    approx_equal(counts, want_counts)
    assert summary[:2] == want_summary[:2] and summary[3:] == want_summary[3:], (day, summary, want_summary)
    assert summary[2] == pytest.approx(want_summary[2], abs=ROUNDED_AVG)


def a_row(rnd, uid, when: dt.datetime, country=None):
    quality = None if rnd.random() < 0.1 else round(rnd.random(), 2)
    return (country or rnd.choice(["GB", "FR", "DE", "ZZ"]), when.date(), uid, rnd.choice(["female", "male", None]),
            rnd.choice(["18-24", "75+"]), rnd.choice(["gmail.com", "mail.fr"]), quality, when)


def rows_in_time_order(rnd, visits):
    """a_row of each (user id, day, hour) in `visits`, in the order of their times (the order they are written)."""
    return sorted((a_row(rnd, uid, dt.datetime.combine(d, dt.time(hour))) for uid, d, hour in visits), key=lambda r: r[7])


# ---- the reads of D are targeted ---------------------------------------------------------------------------


def test_the_read_of_a_day_names_its_partitions_and_users_is_read_by_key(spark, cfg, cql, pg):
    """The physical plans: D's rows come from a BatchScan whose CQL restricts the whole partition key
    (`event_day = D` and `country_code IN` every country of D, ZZ too), and first_event_day from a Direct
    Join on users. A scan of all of users_by_country_day has no Cassandra filter, a join that scans users no
    Direct Join: either fails here."""
    rnd = random.Random(20261204)
    day = far_day(random.Random())
    written = Written(rows=[a_row(rnd, uuid.uuid4(), dt.datetime.combine(day, dt.time(h)), c)
                            for h, c in enumerate(["GB", "ZZ", "FR", "ZZ"])], days={day})
    try:
        write_rows(cql, written.rows, first_day=True)
        with cql_session(cfg) as session:
            countries = job.countries_of_day(session, day)
        assert countries == ["FR", "GB", "ZZ"]
        rows = job.extract_day(spark, cfg, day, countries)
        plan = rows._jdf.queryExecution().executedPlan().toString()
        assert f'["event_day" = ?, {day.isoformat()}]' in plan, plan
        assert '["country_code" IN (?, ?, ?), (' in plan, plan
        assert sorted(r.user_id for r in rows.collect()) == sorted(str(r[2]) for r in written.rows)
        firsts = job.stored_first_days(spark, cfg, job.newest_of_day(rows, day))
        plan = firsts._jdf.queryExecution().executedPlan().toString()
        assert "Cassandra Direct Join [user_id = user_id" in plan and "sparkflow.users" in plan, plan
        assert {r.first_event_day for r in firsts.collect()} == {day}
        # A day with no partition reads nothing at all.
        empty = job.extract_day(spark, cfg, day, [])
        assert "BatchScan" not in empty._jdf.queryExecution().executedPlan().toString()
    finally:
        clean(cql, pg, written)


# ---- the one-off fill ---------------------------------------------------------------------------------------


def test_the_fill_gives_every_user_their_earliest_day_then_the_targeted_path_gives_the_same(cql, pg, fill_marker):
    """Legacy input, persisted before migration 0005: rows on five days, users rows with no
    first_event_day; and a legacy person whose next version (on D, after the migration) wrote
    first_event_day = D — a value the fill must replace with their earliest day, or they count as new.
    Without its data_backfills row the job fills, then counts D by the full-history definition; the
    marker is written; a second run takes the targeted path and stores the same rows."""
    rnd = random.Random(20261205)
    day = far_day(random.Random())
    days = [day + dt.timedelta(days=k) for k in (-4, -2, -1, 0, 1)]
    legacy = []
    for _ in range(30):
        uid = uuid.uuid4()
        for d in sorted(rnd.sample(days, rnd.randint(1, 3))):
            legacy.append(a_row(rnd, uid, dt.datetime.combine(d, dt.time(rnd.randrange(24)))))
    late = uuid.uuid4()  # the legacy person: first seen four days before D, before the migration
    legacy.append(a_row(rnd, late, dt.datetime.combine(days[0], dt.time(9))))
    legacy.sort(key=lambda r: r[7])
    after_migration = a_row(rnd, late, dt.datetime.combine(day, dt.time(10)))
    written = Written(rows=[*legacy, after_migration], days={day})
    env = {"SPARKFLOW_FIRST_EVENT_DAY_FILL": fill_marker}
    try:
        write_rows(cql, legacy, first_day=False)
        write_rows(cql, [after_migration], first_day=True)
        assert cql.execute("SELECT first_event_day FROM users WHERE user_id = %s", (late,)).one().first_event_day == day

        first = result_of(run_job("module", "daily_user_aggregates", "--date", day.isoformat(), env=env))
        assert first["path"] == "fill" and first["repaired"] == 0, first
        want = full_history_expectation(written.rows, day)
        assert_stored(pg, day, want)
        assert (first["new_users"], first["reseen_users"]) == want[1][3:], first

        earliest = {}
        for r in written.rows:
            earliest[r[2]] = min(earliest.get(r[2], r[1]), r[1])
        stored = {uid: cql.execute("SELECT first_event_day FROM users WHERE user_id = %s", (uid,)).one().first_event_day
                  for uid in earliest}
        assert {uid: d.date() for uid, d in stored.items()} == earliest
        assert earliest[late] == days[0]
        marker = cql.execute("SELECT rows, finished_at FROM data_backfills WHERE name = %s", (fill_marker,)).one()
        assert marker is not None and marker.rows == first["filled"] >= len(earliest), (marker, first)

        second = result_of(run_job("module", "daily_user_aggregates", "--date", day.isoformat(), env=env))
        assert (second["path"], second["filled"], second["repaired"]) == ("targeted", 0, 0), second
        assert {k: v for k, v in second.items() if k not in ("path", "filled")} == \
            {k: v for k, v in first.items() if k not in ("path", "filled")}
        assert_stored(pg, day, want)
    finally:
        clean(cql, pg, written)


# ---- a value that cannot be right is repaired ------------------------------------------------------------


def test_a_missing_or_later_first_day_is_repaired_from_the_full_history(spark, cfg, cql, pg, filled_marker):
    """With the fill done (a data_backfills row of this module's own, so the real one is not touched): a user
    on D and D-2 whose versions wrote no first_event_day (a persistence without the column), a user on D
    alone holding a day after D, and a user whose value is right. The two wrong ones are taken from the
    scan, written back (the earliest day now stored), and D is counted by the full-history definition."""
    rnd = random.Random(20261207)
    day = far_day(random.Random())
    before, later = day - dt.timedelta(days=2), day + dt.timedelta(days=3)
    unset, ahead, right = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    rows = rows_in_time_order(rnd, [(unset, before, 8), (unset, day, 9), (ahead, day, 10), (right, before, 11), (right, day, 12)])
    written = Written(rows=rows, days={day})
    try:
        write_rows(cql, [r for r in rows if r[2] != right], first_day=False)
        write_rows(cql, [r for r in rows if r[2] == right], first_day=True)
        write_first_day(cql, ahead, dt.datetime.combine(later, dt.time(7)))
        result = job.run(spark, dataclasses.replace(cfg, first_event_day_fill=filled_marker), day)
        assert (result["path"], result["repaired"]) == ("targeted", 2), result
        assert (result["new_users"], result["reseen_users"]) == (1, 2), result
        assert_stored(pg, day, full_history_expectation(rows, day))
        stored = {uid: cql.execute("SELECT first_event_day FROM users WHERE user_id = %s", (uid,)).one().first_event_day.date()
                  for uid in (unset, ahead, right)}
        assert stored == {unset: before, ahead: day, right: before}
    finally:
        clean(cql, pg, written)


# ---- the targeted path against the full-history definition ---------------------------------------------------


def test_the_targeted_path_counts_every_day_as_the_full_history_does(spark, cfg, cql, pg, filled_marker):
    """Seeded and bounded: 60 people over eight consecutive days, one to four versions each (some two on a
    day, in two countries), persisted as persistence does — users_by_country_day in event order, and
    first_event_day of every version at BASE - event time, in a shuffled order of arrival (the earliest
    must still win). The job, run in this process for each day, stores what the full-history definition
    gives, on the targeted path (a data_backfills row of the module's own, present). A day repaired or
    filled would say so in its result."""
    seed = 20261206
    rnd = random.Random(seed)
    start = far_day(random.Random())
    days = [start + dt.timedelta(days=k) for k in range(8)]
    events = []
    for _ in range(60):
        uid = uuid.uuid4()
        for d in rnd.sample(days, rnd.randint(1, 4)):
            for hour in rnd.sample(range(24), rnd.choice((1, 1, 2))):
                events.append(a_row(rnd, uid, dt.datetime.combine(d, dt.time(hour, rnd.randrange(60)))))
    events.sort(key=lambda r: r[7])
    written = Written(rows=events, days=set(days))
    try:
        write_rows(cql, events, first_day=False)
        arrivals = events[:]
        rnd.shuffle(arrivals)
        for r in arrivals:
            write_first_day(cql, r[2], r[7])
        own = dataclasses.replace(cfg, first_event_day_fill=filled_marker)
        for day in days:
            result = job.run(spark, own, day)
            assert (result["path"], result["repaired"]) == ("targeted", 0), (seed, result)
            assert_stored(pg, day, full_history_expectation(events, day))
    finally:
        clean(cql, pg, written)



# ---- no users row is created --------------------------------------------------------------------------------


def test_a_user_of_the_day_without_a_users_row_is_counted_and_given_no_row(spark, cfg, cql, pg, fill_marker):
    """users_by_country_day rows and no `users` row: one user never had one (a half-applied batch), on D-2
    and D; another had theirs deleted at the current time, on D alone; a third has both. The fill (a marker
    of the test's own) and then a repair (the targeted path finds no first_event_day for the two) count
    them as the full-history definition does (re-seen, new) but create no `users` row for them: the
    connector's INSERT at a timestamp far past the clock's would leave one no DELETE at the current time
    removes."""
    rnd = random.Random(20261208)
    day = far_day(random.Random())
    before = day - dt.timedelta(days=2)
    never, deleted, whole = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    rows = rows_in_time_order(rnd, [(never, before, 8), (never, day, 9), (deleted, day, 10), (whole, before, 11), (whole, day, 12)])
    written = Written(rows=rows, days={day})
    want = full_history_expectation(rows, day)
    assert want[1][3:] == (1, 2)  # deleted is new; never and whole re-seen

    def users_row(uid):
        return cql.execute("SELECT * FROM users WHERE user_id = %s", (uid,)).one()

    try:
        write_rows(cql, [r for r in rows if r[2] == whole], first_day=True)
        write_rows(cql, [r for r in rows if r[2] == deleted], first_day=False)
        cql.execute("DELETE FROM users WHERE user_id = %s", (deleted,))  # at the current time
        base = time.time_ns() // 1000
        for n, r in enumerate(r for r in rows if r[2] == never):  # users_by_country_day only
            cql.execute(INSERT_BY_DAY_AT, (r[0], r[1], r[2], "Test User", r[3], r[4], r[5], r[6], r[7], base + n))
        assert users_row(never) is None and users_row(deleted) is None and users_row(whole) is not None
        own = dataclasses.replace(cfg, first_event_day_fill=fill_marker)

        filled = job.run(spark, own, day)
        assert filled["path"] == "fill", filled
        assert (filled["new_users"], filled["reseen_users"]) == want[1][3:], filled
        assert_stored(pg, day, want)
        assert users_row(never) is None and users_row(deleted) is None
        assert users_row(whole).first_event_day.date() == before

        repaired = job.run(spark, own, day)
        assert (repaired["path"], repaired["repaired"]) == ("targeted", 2), repaired
        assert (repaired["new_users"], repaired["reseen_users"]) == want[1][3:], repaired
        assert_stored(pg, day, want)
        assert users_row(never) is None and users_row(deleted) is None
    finally:
        clean(cql, pg, written)
