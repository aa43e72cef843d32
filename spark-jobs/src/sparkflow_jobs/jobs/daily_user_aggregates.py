"""daily_user_aggregates --date D: users persisted on UTC event day D -> analytics tables + one summary row.

Definitions (what the numbers mean):
- A user counts once per day, even when they appear in two country partitions on D (their country
  changed): the row written last wins, by Cassandra's write time of its `updated_at` cell. Persistence
  writes every cell of a version with the event time in microseconds (`USING TIMESTAMP`), which is also
  what decides the `users` row, while `updated_at` itself is a CQL timestamp (milliseconds): two versions
  in one millisecond share it. `updated_at`, then the country code, only break a tie of write times
  (or order rows whose `updated_at` cell is null and so has no write time).
- `new` on D: D is the first event day on which the user appears in `users_by_country_day` at all;
  `re-seen`: they appear on an earlier day too. (randomuser's `registered_at` is a made-up past
  date, so it cannot tell who is new to SparkFlow.)
- Missing dimension values are counted under "unknown"; country "ZZ" is the persistence service's
  partition for an unrecognised country and is not counted in `countries`.
- avg_quality is rounded to 6 decimals so reruns give identical values regardless of the order
  Spark adds partial sums in.

What it reads (path "targeted"), so that a run costs D's users and not all history:
- D's partitions of `users_by_country_day` only: their keys come from `SELECT DISTINCT country_code,
  event_day` on the driver (partition keys, not rows), and the read is `country_code IN (…) AND
  event_day = D`, which the connector pushes into its CQL. Every country code of D is read, "ZZ" too.
- `users.first_event_day` of D's users, one CQL read per user (the connector's Direct Join). It is the
  earliest event day of the person's versions: persistence writes it with the timestamp
  FIRST_EVENT_DAY_TIMESTAMP_BASE - event time (libs/contracts), so the earliest version's cell has the
  highest timestamp and wins in any order of arrival. re-seen iff first_event_day < D, new iff = D.
- A value that cannot be right — null (a version written by a persistence that does not write the column
  yet, or no `users` row at all), or after D (the user is on D, so their first day is D or earlier) — is
  repaired: those users' first day is taken from a scan of users_by_country_day, as the fill below does,
  and used; it is written back with the fill's timestamp only where the `users` row exists (the same
  Direct Join reads `updated_at`, set in every row persistence writes). The connector writes with INSERT,
  which also writes the row's liveness: writing for a user whose row is missing (a half-applied batch)
  would create a row of user_id and first_event_day alone that no DELETE at the current time removes.
  A warning names how many were repaired. With persistence writing the column there are none.

The one-off fill (path "fill"): rows written before migration 0005 have no first_event_day, and a
person of that time whose next version was written after it holds that version's later day, so no value
is trustworthy until every user has been given their earliest day once. While `data_backfills` has no
row named `users.first_event_day` (SPARKFLOW_FIRST_EVENT_DAY_FILL, for tests), the run first scans all of
users_by_country_day, takes each user's earliest event_day, keeps the users that have a `users` row
(Direct Join by key of those ids, `updated_at` set; no row is created, as above), writes it to
`users.first_event_day` with the write timestamp BASE - (start of that day, UTC, in µs), then writes the marker row (rows filled,
finished_at); D is then computed by the targeted path. That timestamp keeps the "earliest day wins"
rule with persistence's own cells: an event on the same day happens at or after its start, so its cell
has a lower or equal timestamp and holds the same day (either may stay: same value); an event on an
earlier day has a timestamp above the start of any later day, so it wins over the fill's cell, as it
must; an event on a later day has a lower timestamp, so it loses, as it must. A fill that stops half-way
wrote no marker and the next run does it again (it writes the same cells: idempotent).

Writes replace D only: PostgreSQL rows of D are deleted and inserted in one transaction; the
Cassandra summary row for D is an upsert of the whole row.
"""
from __future__ import annotations

import argparse
import datetime as dt
import re
import sys

from pyspark.sql import DataFrame, Row, SparkSession, Window
from pyspark.sql import functions as F
from sparkflow_contracts import first_event_day_timestamp_base, max_age_years

from ..cassandra_io import cql_session, read_table, upsert, write_time
from ..config import JobConfig

JOB = "daily_user_aggregates"
SOURCE_TABLE = "users_by_country_day"
USERS_TABLE = "users"
BACKFILLS_TABLE = "data_backfills"
SUMMARY_TABLE = "daily_summary"
UNKNOWN = "unknown"
UNKNOWN_COUNTRY = "ZZ"
DIMENSIONS = {"country": "country_code", "gender": "gender", "age_band": "age_band", "email_domain": "email_domain"}
QUALITY_DECIMALS = 6
MICROS_PER_DAY = 86_400_000_000
# The column holding each filled row's write timestamp (the connector's `writetime` write option).
FILL_WRITE_TIME = "fill_write_time"
# stored_first_days' column: whether the user has a `users` row (first_event_day is written only then).
HAS_ROW = "has_row"
# The read of D's rows: the columns users_of_day needs.
DAY_COLUMNS = ("country_code", "event_day", "user_id", "gender", "age_band", "email_domain", "quality_score", "updated_at")

SELECT_PARTITIONS = f"SELECT DISTINCT country_code, event_day FROM {SOURCE_TABLE}"
SELECT_FILL = f"SELECT name, rows, finished_at FROM {BACKFILLS_TABLE} WHERE name = %s"
INSERT_FILL = f"INSERT INTO {BACKFILLS_TABLE} (name, rows, finished_at) VALUES (%s, %s, %s)"

DELETE_COUNTS = "DELETE FROM analytics.daily_user_counts WHERE day = %s"
DELETE_SUMMARY = "DELETE FROM analytics.daily_user_summary WHERE day = %s"
INSERT_COUNTS = """INSERT INTO analytics.daily_user_counts (day, dimension, value, users, avg_quality, computed_at)
  VALUES (%s, %s, %s, %s, %s, %s)"""
INSERT_SUMMARY = """INSERT INTO analytics.daily_user_summary
  (day, users, countries, avg_quality, new_users, reseen_users, computed_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"""


def log(message: str) -> None:
    """One line on stderr (stdout carries the job's JSON result alone); Airflow keeps it in the task log."""
    print(f"{JOB}: {message}", file=sys.stderr, flush=True)


# ---- extract ---------------------------------------------------------------------------------------

def countries_of_day(session, day: dt.date) -> list[str]:
    """The country codes with a users_by_country_day partition of D, from the table's partition keys
    (SELECT DISTINCT reads one key per partition, never the rows). Sorted, for a stable plan."""
    return sorted({r.country_code for r in session.execute(SELECT_PARTITIONS) if r.event_day.date() == day})


def extract_day(spark: SparkSession, cfg: JobConfig, day: dt.date, countries: list[str]) -> DataFrame:
    """D's rows of users_by_country_day: its partitions named in full (`country_code IN countries AND
    event_day = D`), which the connector turns into CQL reads of those partitions only."""
    rows = read_table(spark, cfg, SOURCE_TABLE)
    if not countries:  # no partition of D: nothing to read (an IN of nothing would not be pushed down)
        return rows.select(*DAY_COLUMNS, write_time("updated_at").alias("write_time")).limit(0)
    return (
        rows.where((F.col("event_day") == F.lit(day)) & F.col("country_code").isin(countries))
        .select(*DAY_COLUMNS, write_time("updated_at").alias("write_time"))
    )


def extract_all(spark: SparkSession, cfg: JobConfig) -> DataFrame:
    """(user_id, event_day) of every users_by_country_day row: the full-table scan the fill needs."""
    return read_table(spark, cfg, SOURCE_TABLE).select("user_id", "event_day")


def stored_first_days(spark: SparkSession, cfg: JobConfig, users: DataFrame) -> DataFrame:
    """(user_id, first_event_day, has_row) of each of `users`' user ids as `users` holds it: first_event_day
    null when the cell or the row is missing, has_row whether the row exists (persistence writes
    `updated_at` in every row it writes). A Direct Join, one read by key per user, never a scan of `users`."""
    stored = read_table(spark, cfg, USERS_TABLE, direct_join=True).select("user_id", "first_event_day", "updated_at")
    return (
        users.select("user_id").join(stored, "user_id", "left")
        .select("user_id", "first_event_day", F.col("updated_at").isNotNull().alias(HAS_ROW))
    )


def with_users_row(spark: SparkSession, cfg: JobConfig, firsts: DataFrame) -> DataFrame:
    """The rows of `firsts` whose user has a `users` row (its `updated_at` is set), read by key (Direct Join)."""
    stored = read_table(spark, cfg, USERS_TABLE, direct_join=True).select("user_id", "updated_at")
    return firsts.join(stored, "user_id", "inner").where(F.col("updated_at").isNotNull()).drop("updated_at")


# ---- transforms (pure) ------------------------------------------------------------------------------

def first_days(rows: DataFrame) -> DataFrame:
    """(user_id, first_event_day): each user's earliest event_day among `rows` — the definition of
    first_event_day, which the fill writes and the unit tests compare with."""
    return rows.groupBy("user_id").agg(F.min("event_day").alias("first_event_day"))


def with_fill_write_time(firsts: DataFrame, base: int) -> DataFrame:
    """`firsts` plus FILL_WRITE_TIME = base - the start of first_event_day (00:00 UTC) in microseconds:
    the fill's write timestamp (module docstring: why it keeps the earliest day)."""
    start_micros = F.expr("unix_date(first_event_day)").cast("long") * F.lit(MICROS_PER_DAY)
    return firsts.withColumn(FILL_WRITE_TIME, F.lit(base).cast("long") - start_micros)


def newest_of_day(rows: DataFrame, day: dt.date) -> DataFrame:
    """One row per user seen on D: their row written last that day (greatest `write_time`, in
    microseconds; module docstring for the tie-breaks). Rows of other days in `rows` are ignored."""
    newest_first = Window.partitionBy("user_id").orderBy(
        F.col("write_time").desc_nulls_last(), F.col("updated_at").desc_nulls_last(), F.col("country_code")
    )
    return (
        rows.where(F.col("event_day") == F.lit(day))
        .withColumn("_rank", F.row_number().over(newest_first))
        .where("_rank = 1")
        .drop("_rank", "write_time")
    )


def suspect_first_day(day: dt.date):
    """A first_event_day that cannot be right for a user seen on D: missing, or after D."""
    return F.col("first_event_day").isNull() | (F.col("first_event_day") > F.lit(day))


def with_seen(users: DataFrame, firsts: DataFrame, day: dt.date) -> DataFrame:
    """`users` (one row per user of D) with `seen` = 're-seen' when the user's first_event_day (from
    `firsts`, by user_id) is before D, else 'new'. run() has repaired any suspect value before; should
    one still be there, a missing day counts as new, as does a later one."""
    return (
        users.join(firsts.select("user_id", "first_event_day"), "user_id", "left")
        .withColumn("seen", F.when(F.col("first_event_day") < F.lit(day), F.lit("re-seen")).otherwise(F.lit("new")))
        .drop("first_event_day")
    )


def users_of_day(rows: DataFrame, firsts: DataFrame, day: dt.date) -> DataFrame:
    """One row per user seen on D (newest_of_day) with `seen` = 'new' | 're-seen' (with_seen)."""
    return with_seen(newest_of_day(rows, day), firsts, day)


def dimension_counts(users: DataFrame, day: dt.date) -> DataFrame:
    """(day, dimension, value, users, avg_quality) for each dimension value, plus dimension 'seen'.
    `users` holds one row per user (users_of_day), so a row count is a user count."""
    dims = {**DIMENSIONS, "seen": "seen"}
    pairs = F.array(*[
        F.struct(F.lit(name).alias("dimension"), F.coalesce(F.col(c).cast("string"), F.lit(UNKNOWN)).alias("value"))
        for name, c in dims.items()
    ])
    return (
        users.select(F.explode(pairs).alias("d"), "quality_score")
        .groupBy("d.dimension", "d.value")
        .agg(
            F.count(F.lit(1)).cast("int").alias("users"),
            F.round(F.avg("quality_score"), QUALITY_DECIMALS).alias("avg_quality"),
        )
        .select(F.lit(day).alias("day"), "dimension", "value", "users", "avg_quality")
    )


def daily_summary(users: DataFrame, day: dt.date) -> DataFrame:
    """One row: users, countries (known ones), avg_quality, new_users, reseen_users (one row per user in)."""
    return users.agg(
        F.count(F.lit(1)).cast("int").alias("users"),
        F.countDistinct(F.when(F.col("country_code") != UNKNOWN_COUNTRY, F.col("country_code"))).cast("int").alias("countries"),
        F.round(F.avg("quality_score"), QUALITY_DECIMALS).alias("avg_quality"),
        F.count(F.when(F.col("seen") == "new", True)).cast("int").alias("new_users"),
        F.count(F.when(F.col("seen") == "re-seen", True)).cast("int").alias("reseen_users"),
    ).select(F.lit(day).alias("day"), "*")


def summarise(users: DataFrame, day: dt.date) -> tuple[DataFrame, DataFrame]:
    users = users.cache()
    return dimension_counts(users, day), daily_summary(users, day)


def transform(rows: DataFrame, firsts: DataFrame, day: dt.date) -> tuple[DataFrame, DataFrame]:
    """Counts and summary of D from D's rows and the users' first event days."""
    return summarise(users_of_day(rows, firsts, day), day)


# ---- first_event_day: the fill and repairs -----------------------------------------------------------

def write_first_days(firsts: DataFrame, cfg: JobConfig) -> None:
    """Writes each (user_id, first_event_day) to `users` at the fill's write timestamp. The connector's
    write is an INSERT, which also writes the row's liveness at that timestamp: `firsts` must hold only
    users whose `users` row exists, or it would create a row of user_id and first_event_day alone that
    no DELETE at the current time removes (callers keep only those: with_users_row, HAS_ROW)."""
    upsert(with_fill_write_time(firsts.select("user_id", "first_event_day"), first_event_day_timestamp_base()),
           cfg, USERS_TABLE, FILL_WRITE_TIME)


def fill_done(session, cfg: JobConfig) -> bool:
    return session.execute(SELECT_FILL, (cfg.first_event_day_fill,)).one() is not None


def fill(spark: SparkSession, session, cfg: JobConfig) -> int:
    """The one-off fill (module docstring): every user's earliest day from a scan of users_by_country_day,
    written to users.first_event_day of the users that have a `users` row (write_first_days: no row is
    created), then the marker row. Returns how many users it wrote."""
    firsts = with_users_row(spark, cfg, first_days(extract_all(spark, cfg))).cache()
    try:
        filled = firsts.count()
        write_first_days(firsts, cfg)
    finally:
        firsts.unpersist()
    session.execute(INSERT_FILL, (cfg.first_event_day_fill, filled, dt.datetime.now(dt.UTC)))
    return filled


def repaired_first_days(spark: SparkSession, cfg: JobConfig, firsts: DataFrame, day: dt.date) -> tuple[DataFrame, int]:
    """`firsts` (stored_first_days) with every suspect value (suspect_first_day) replaced by the user's
    earliest day from a scan of users_by_country_day, which is also written back for users with a `users`
    row (HAS_ROW; a user of D without one is counted by the scan's day, and no row is created for them);
    and how many were replaced (0: no scan)."""
    suspect = firsts.where(suspect_first_day(day)).select("user_id", HAS_ROW).cache()
    count = suspect.count()
    if count == 0:
        suspect.unpersist()
        return firsts, 0
    fixed = first_days(extract_all(spark, cfg).join(suspect, "user_id", "left_semi")).join(suspect, "user_id").cache()
    write_first_days(fixed.where(F.col(HAS_ROW)), cfg)
    # A left join keeps one row per user even if `firsts`, read again, no longer matches `suspect`.
    merged = firsts.join(fixed.select("user_id", F.col("first_event_day").alias("_fixed")), "user_id", "left").select(
        "user_id", F.coalesce("_fixed", "first_event_day").alias("first_event_day"))
    return merged, count


# ---- load -------------------------------------------------------------------------------------------

# The daily_summary row's columns and their Spark SQL types.
SUMMARY_COLUMNS = (
    ("day", "date"),
    ("users", "int"),
    ("countries", "int"),
    ("avg_quality", "double"),
    ("new_users", "int"),
    ("reseen_users", "int"),
    ("computed_at", "timestamp"),
)


def storable_text(value: str) -> str:
    """A dimension value as PostgreSQL's text can hold it. Cassandra's text holds a NUL, PostgreSQL's
    does not: a NUL is written as the six characters `\\u0000`, as the audit writes one, so a value
    stored before enrichment refused control characters in it is still counted, not the whole day lost."""
    return value.replace("\x00", "\\u0000")


def load(spark: SparkSession, counts: list[Row], summary: Row, cfg: JobConfig, day: dt.date, computed_at: dt.datetime) -> None:
    """Replaces D's rows. Takes collected rows: a day has at most a few hundred (dimension, value)
    rows, and collecting them lets the delete and the inserts commit in one PostgreSQL transaction
    (Spark's JDBC writer can only append or overwrite whole tables)."""
    import psycopg  # imported here so unit tests of the transforms do not need it

    count_rows = [(r.day, r.dimension, storable_text(r.value), r.users, r.avg_quality, computed_at) for r in counts]
    s = summary
    with psycopg.connect(**cfg.postgres_conninfo) as conn:  # commits on success, rolls back on error
        with conn.cursor() as cur:
            cur.execute(DELETE_COUNTS, (day,))
            cur.execute(DELETE_SUMMARY, (day,))
            cur.executemany(INSERT_COUNTS, count_rows)
            cur.execute(INSERT_SUMMARY, (day, s.users, s.countries, s.avg_quality, s.new_users, s.reseen_users, computed_at))
    upsert(
        jvm_row(spark, SUMMARY_COLUMNS, (day, s.users, s.countries, s.avg_quality, s.new_users, s.reseen_users, computed_at)),
        cfg,
        SUMMARY_TABLE,
    )


def jvm_row(spark: SparkSession, columns: tuple[tuple[str, str], ...], values: tuple[object, ...]) -> DataFrame:
    """One row of `columns` (name, Spark SQL type) made of literals on the JVM. `spark.createDataFrame` of
    Python values would have an executor start a Python worker, at the driver's PYSPARK_PYTHON, to unpickle
    them, and the Spark workers of Compose and Kubernetes (the Spark image) have no such Python: the jobs
    run no Python on executors."""
    return spark.range(1).select(
        *[F.lit(value).cast(kind).alias(name) for (name, kind), value in zip(columns, values, strict=True)]
    )


def run(spark: SparkSession, cfg: JobConfig, day: dt.date) -> dict[str, object]:
    computed_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with cql_session(cfg) as session:
        if fill_done(session, cfg):
            path, filled = "targeted", 0
        else:
            log(f"no {cfg.first_event_day_fill!r} row in {BACKFILLS_TABLE}: filling users.first_event_day "
                f"from a full scan of {SOURCE_TABLE} (once)")
            path, filled = "fill", fill(spark, session, cfg)
            log(f"filled users.first_event_day of {filled} users; {BACKFILLS_TABLE} row {cfg.first_event_day_fill!r} written")
        countries = countries_of_day(session, day)
    log(f"path {path}: reading {len(countries)} partitions of {SOURCE_TABLE} for {day.isoformat()}: {', '.join(countries) or 'none'}")
    users = newest_of_day(extract_day(spark, cfg, day, countries), day).cache()
    firsts, repaired = repaired_first_days(spark, cfg, stored_first_days(spark, cfg, users).cache(), day)
    if repaired:
        log(f"WARNING: {repaired} users of {day.isoformat()} had no first_event_day or one after the day; "
            f"repaired from a scan of {SOURCE_TABLE} (is persistence writing first_event_day?)")
    counts, summary = summarise(with_seen(users, firsts, day), day)
    count_rows = sorted(counts.collect(), key=lambda r: (r.dimension, r.value))
    summary_row = summary.collect()[0]
    load(spark, count_rows, summary_row, cfg, day, computed_at)
    return {"job": JOB, "day": day.isoformat(), **{k: v for k, v in summary_row.asDict().items() if k != "day"},
            "path": path, "filled": filled, "repaired": repaired}


ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def earliest_day(today: dt.date) -> dt.date:
    """How far back a day may be: `today` MAX_AGE_YEARS (libs/contracts, read through its generated
    limits.json) calendar years earlier, the bound enrichment puts on a person's dates of birth and
    registration; 29 February becomes 1 March in a common year, as libs/contracts' oldestPersonDate does."""
    years = max_age_years()
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return dt.date(today.year - years, 3, 1)


def aggregation_day(text: str, today: dt.date) -> dt.date:
    """The day `--date` names: YYYY-MM-DD, from earliest_day(today) to today (UTC). A later day has not
    begun, and the job would write a summary of 0 users for it; ArgumentTypeError says which rule failed."""
    if not ISO_DAY.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a day in the form YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not a calendar day ({err})") from None
    if day > today:
        raise argparse.ArgumentTypeError(
            f"{text} has not begun (today is {today.isoformat()} UTC): there is nothing to aggregate yet")
    if day < earliest_day(today):
        raise argparse.ArgumentTypeError(
            f"{text} is more than {max_age_years()} years before today (the earliest day is {earliest_day(today).isoformat()})")
    return day


class _Once(argparse.Action):
    """Stores the option's value, refusing a second occurrence instead of keeping the last one."""

    def __call__(self, parser, namespace, values, option_string=None):
        if getattr(namespace, self.dest, None) is not None:
            raise argparse.ArgumentError(self, "given more than once: name one day per run")
        setattr(namespace, self.dest, values)


def parse_args(argv: list[str], today: dt.date | None = None) -> argparse.Namespace:
    """Exit 2 (argparse), with a message naming --date, for a missing, repeated, malformed or out-of-range day."""
    today = today or dt.datetime.now(dt.UTC).date()
    # allow_abbrev=False: no prefix of an option is taken for it (`--dat` for `--date`, `--avail` for `--available-now`).
    p = argparse.ArgumentParser(prog=JOB, description=__doc__.splitlines()[0], allow_abbrev=False)
    p.add_argument(
        "--date", required=True, action=_Once, type=lambda text: aggregation_day(text, today), metavar="YYYY-MM-DD",
        help=f"UTC event day to aggregate, given once: from {max_age_years()} years before today "
             f"(libs/contracts' MAX_AGE_YEARS; now {earliest_day(today).isoformat()}) to today "
             f"({today.isoformat()}); a day to come is refused",
    )
    return p.parse_args(argv)


def main(spark: SparkSession, cfg: JobConfig, argv: list[str]) -> dict[str, object]:
    return run(spark, cfg, parse_args(argv).date)
