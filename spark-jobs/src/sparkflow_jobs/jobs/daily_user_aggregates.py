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
  date, so it cannot tell who is new to SparkFlow.) Computing it reads every earlier day's user
  ids: a full-table scan of (user_id, event_day), fine at this scale and documented in README.
- Missing dimension values are counted under "unknown"; country "ZZ" is the persistence service's
  partition for an unrecognised country and is not counted in `countries`.
- avg_quality is rounded to 6 decimals so reruns give identical values regardless of the order
  Spark adds partial sums in.

Writes replace D only: PostgreSQL rows of D are deleted and inserted in one transaction; the
Cassandra summary row for D is an upsert of the whole row.
"""
from __future__ import annotations

import argparse
import datetime as dt
import re

from pyspark.sql import DataFrame, Row, SparkSession, Window
from pyspark.sql import functions as F
from sparkflow_contracts import max_age_years

from ..cassandra_io import read_table, upsert, write_time
from ..config import JobConfig

JOB = "daily_user_aggregates"
SOURCE_TABLE = "users_by_country_day"
SUMMARY_TABLE = "daily_summary"
UNKNOWN = "unknown"
UNKNOWN_COUNTRY = "ZZ"
DIMENSIONS = {"country": "country_code", "gender": "gender", "age_band": "age_band", "email_domain": "email_domain"}
QUALITY_DECIMALS = 6

DELETE_COUNTS = "DELETE FROM analytics.daily_user_counts WHERE day = %s"
DELETE_SUMMARY = "DELETE FROM analytics.daily_user_summary WHERE day = %s"
INSERT_COUNTS = """INSERT INTO analytics.daily_user_counts (day, dimension, value, users, avg_quality, computed_at)
  VALUES (%s, %s, %s, %s, %s, %s)"""
INSERT_SUMMARY = """INSERT INTO analytics.daily_user_summary
  (day, users, countries, avg_quality, new_users, reseen_users, computed_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"""


# ---- extract ---------------------------------------------------------------------------------------

def extract(spark: SparkSession, cfg: JobConfig, day: dt.date) -> DataFrame:
    """Every users_by_country_day row up to and including D (earlier days decide new vs re-seen)."""
    return (
        read_table(spark, cfg, SOURCE_TABLE)
        .select("country_code", "event_day", "user_id", "gender", "age_band", "email_domain",
                "quality_score", "updated_at", write_time("updated_at").alias("write_time"))
        .where(F.col("event_day") <= F.lit(day))
    )


# ---- transforms (pure) ------------------------------------------------------------------------------

def users_of_day(rows: DataFrame, day: dt.date) -> DataFrame:
    """One row per user seen on D (their row written last that day: greatest `write_time`, in
    microseconds), with `seen` = 'new' | 're-seen' ('re-seen': the user has a row on an earlier day).
    Both windows partition by user_id, so this costs one shuffle of the rows read."""
    by_user = Window.partitionBy("user_id")
    newest_first = by_user.orderBy(
        F.col("write_time").desc_nulls_last(), F.col("updated_at").desc_nulls_last(), F.col("country_code")
    )
    return (
        rows.withColumn("_first_day", F.min("event_day").over(by_user))
        .where(F.col("event_day") == F.lit(day))
        .withColumn("_rank", F.row_number().over(newest_first))
        .where("_rank = 1")
        .withColumn("seen", F.when(F.col("_first_day") < F.lit(day), F.lit("re-seen")).otherwise(F.lit("new")))
        .drop("_rank", "_first_day", "write_time")
    )


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


def transform(rows: DataFrame, day: dt.date) -> tuple[DataFrame, DataFrame]:
    users = users_of_day(rows, day).cache()
    return dimension_counts(users, day), daily_summary(users, day)


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
    counts, summary = transform(extract(spark, cfg, day), day)
    count_rows = sorted(counts.collect(), key=lambda r: (r.dimension, r.value))
    summary_row = summary.collect()[0]
    load(spark, count_rows, summary_row, cfg, day, computed_at)
    return {"job": JOB, "day": day.isoformat(), **{k: v for k, v in summary_row.asDict().items() if k != "day"}}


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
