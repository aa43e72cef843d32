"""stream_user_stats: users.enriched -> enriched users per 1-minute event-time window, country and age band -> Cassandra.

Event time is the envelope's producedAt. Exactly-once results over an at-least-once source:
- redelivered events (same eventId) are dropped within the watermark (dropDuplicatesWithinWatermark);
- the query runs in update mode and each micro-batch upserts the *full* current count of every window
  it changed, keyed by (window_start, country_code, age_band). Replaying a batch after a crash, or
  restarting from the checkpoint, rewrites the same values: nothing is ever incremented, so nothing
  is counted twice.
The checkpoint (offsets + state) lives in $SPARKFLOW_HOME/spark/checkpoints/stream_user_stats.
"""
from __future__ import annotations

import argparse

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from sparkflow_contracts import topic

from ..cassandra_io import upsert
from ..config import JobConfig
from ..schemas import envelope_schema

JOB = "stream_user_stats"
TABLE = "user_stats_by_minute"
UNKNOWN_COUNTRY = "ZZ"  # the persistence service's partition for an unrecognised country
UNKNOWN_BAND = "unknown"


def extract(spark: SparkSession, cfg: JobConfig, topic: str, starting_offsets: str) -> DataFrame:
    return (
        spark.readStream.format("kafka")
        .options(**cfg.kafka_options())
        .option("subscribe", topic)
        .option("startingOffsets", starting_offsets)
        # Retention (7 days) may delete offsets an old checkpoint still points at: continue from the
        # earliest that exists instead of stopping the query for good.
        .option("failOnDataLoss", "false")
        .load()
    )


def parse_events(kafka_rows: DataFrame) -> DataFrame:
    """Kafka rows -> (event_id, event_time, user_id, country_code, age_band); unparseable records dropped."""
    env = F.from_json(F.col("value").cast("string"), envelope_schema("users.enriched")).alias("e")
    return (
        kafka_rows.select(env)
        .select(
            F.col("e.eventId").alias("event_id"),
            F.to_timestamp(F.col("e.producedAt")).alias("event_time"),
            F.col("e.payload.userId").alias("user_id"),
            F.coalesce(F.col("e.payload.countryCode"), F.lit(UNKNOWN_COUNTRY)).alias("country_code"),
            F.coalesce(F.col("e.payload.ageBand"), F.lit(UNKNOWN_BAND)).alias("age_band"),
        )
        .where(F.col("event_id").isNotNull() & F.col("event_time").isNotNull())
    )


def windowed_counts(events: DataFrame, watermark: str) -> DataFrame:
    """Distinct events per (1-minute window, country_code, age_band)."""
    watermarked = events.withWatermark("event_time", watermark)
    # Streaming keeps seen event ids only as long as the watermark; a batch (tests, backfills) dedups all.
    deduped = (
        watermarked.dropDuplicatesWithinWatermark(["event_id"])
        if events.isStreaming
        else watermarked.dropDuplicates(["event_id"])
    )
    return (
        deduped.groupBy(F.window("event_time", "1 minute"), "country_code", "age_band")
        .agg(F.count(F.lit(1)).alias("users"))
        .select(
            F.col("window.start").alias("window_start"),
            "country_code",
            "age_band",
            F.col("window.end").alias("window_end"),
            "users",
        )
    )


def load_batch(cfg: JobConfig):
    def write(batch: DataFrame, batch_id: int) -> None:
        upsert(batch.withColumn("updated_at", F.current_timestamp()), cfg, TABLE)

    return write


def start(spark: SparkSession, cfg: JobConfig, args: argparse.Namespace):
    counts = windowed_counts(parse_events(extract(spark, cfg, args.topic, args.starting_offsets)), args.watermark)
    w = (
        counts.writeStream.queryName(JOB)
        .outputMode("update")
        .option("checkpointLocation", args.checkpoint or cfg.checkpoint_dir(JOB))
        .foreachBatch(load_batch(cfg))
    )
    w = w.trigger(availableNow=True) if args.available_now else w.trigger(processingTime=args.interval)
    return w.start()


def parse_args(argv: list[str]) -> argparse.Namespace:
    # allow_abbrev=False: no prefix of an option is taken for it (`--dat` for `--date`, `--avail` for `--available-now`).
    p = argparse.ArgumentParser(prog=JOB, description=__doc__.splitlines()[0], allow_abbrev=False)
    p.add_argument("--topic", default=topic("usersEnriched"))
    p.add_argument("--starting-offsets", default="earliest", help="for a new checkpoint only")
    p.add_argument("--watermark", default="10 minutes", help="how late an event may arrive and still count")
    p.add_argument("--checkpoint", default=None, help="default $SPARKFLOW_HOME/spark/checkpoints/" + JOB)
    p.add_argument("--available-now", action="store_true", help="process what is in the topic, then stop")
    p.add_argument("--interval", default="10 seconds", help="micro-batch trigger when running continuously")
    return p.parse_args(argv)


def main(spark: SparkSession, cfg: JobConfig, argv: list[str]) -> dict[str, object]:
    args = parse_args(argv)
    q = start(spark, cfg, args)
    q.awaitTermination()
    return {"job": JOB, "topic": args.topic, "batches": q.lastProgress["batchId"] if q.lastProgress else None}
