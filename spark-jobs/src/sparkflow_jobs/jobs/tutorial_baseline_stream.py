"""tutorial_baseline_stream: the original tutorial's Kafka -> Cassandra stream, done right.

Kept so the benchmark can compare SparkFlow with the design it replaces (shared/TUTORIAL.md). It
reads users.raw envelopes (randomuser records), flattens them to the tutorial's record and appends
to `tutorial_users`. Fixed against the tutorial: the key is the natural id login.uuid (a re-ingested
person overwrites their row), postcode is text (numbers keep their digits, "EC1A 1BB" survives),
the producer's names (post_code/registered_date) are the columns, credentials and hosts come from
the environment, and the checkpoint is durable in $SPARKFLOW_HOME.
"""
from __future__ import annotations

import argparse

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from sparkflow_contracts import topic

from ..cassandra_io import upsert
from ..config import JobConfig
from ..schemas import envelope_schema

JOB = "tutorial_baseline_stream"
TABLE = "tutorial_users"


def extract(spark: SparkSession, cfg: JobConfig, topic: str) -> DataFrame:
    return (
        spark.readStream.format("kafka")
        .options(**cfg.kafka_options())
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("failOnDataLoss", "false")
        .load()
    )


def flatten(kafka_rows: DataFrame) -> DataFrame:
    """users.raw envelope -> the tutorial's flattened record, keyed by login.uuid, plus the record's
    Kafka offset (users.raw is keyed by login.uuid, so one person's records share a partition)."""
    p = F.from_json(F.col("value").cast("string"), envelope_schema("users.raw")).alias("e")
    loc = "e.payload.location"
    street = F.concat_ws(" ", F.col(f"{loc}.street.number").cast("string"), F.col(f"{loc}.street.name"))
    return (
        kafka_rows.select(p, "offset")
        .select(
            F.col("e.payload.login.uuid").alias("id"),
            F.col("e.payload.name.first").alias("first_name"),
            F.col("e.payload.name.last").alias("last_name"),
            F.col("e.payload.gender").alias("gender"),
            F.concat_ws(", ", street, F.col(f"{loc}.city"), F.col(f"{loc}.state"), F.col(f"{loc}.country")).alias("address"),
            F.col(f"{loc}.postcode").alias("postcode"),
            F.col("e.payload.email").alias("email"),
            F.col("e.payload.login.username").alias("username"),
            F.col("e.payload.dob.date").alias("dob"),
            F.col("e.payload.registered.date").alias("registered_date"),
            F.col("e.payload.phone").alias("phone"),
            F.col("e.payload.picture.medium").alias("picture"),
            F.col("offset").alias("kafka_offset"),
        )
        .where(F.col("id").isNotNull())
    )


def latest_per_id(records: DataFrame) -> DataFrame:
    """One row per id, the last one produced. Two rows with one key in one connector write get the
    same write timestamp, and Cassandra then keeps the larger value, not the later one."""
    w = Window.partitionBy("id").orderBy(F.col("kafka_offset").desc())
    return records.withColumn("_n", F.row_number().over(w)).where("_n = 1").drop("_n", "kafka_offset")


def load_batch(cfg: JobConfig):
    def write(batch: DataFrame, batch_id: int) -> None:
        upsert(latest_per_id(batch), cfg, TABLE)

    return write


def start(spark: SparkSession, cfg: JobConfig, args: argparse.Namespace):
    w = (
        flatten(extract(spark, cfg, args.topic))
        .writeStream.queryName(JOB)
        .outputMode("append")
        .foreachBatch(load_batch(cfg))
        .option("checkpointLocation", args.checkpoint or cfg.checkpoint_dir(JOB))
    )
    w = w.trigger(availableNow=True) if args.available_now else w.trigger(processingTime=args.interval)
    return w.start()


def parse_args(argv: list[str]) -> argparse.Namespace:
    # allow_abbrev=False: no prefix of an option is taken for it (`--dat` for `--date`, `--avail` for `--available-now`).
    p = argparse.ArgumentParser(prog=JOB, description=__doc__.splitlines()[0], allow_abbrev=False)
    p.add_argument("--topic", default=topic("usersRaw"))
    p.add_argument("--checkpoint", default=None, help="default $SPARKFLOW_HOME/spark/checkpoints/" + JOB)
    p.add_argument("--available-now", action="store_true", help="process what is in the topic, then stop")
    p.add_argument("--interval", default="5 seconds")
    return p.parse_args(argv)


def main(spark: SparkSession, cfg: JobConfig, argv: list[str]) -> dict[str, object]:
    args = parse_args(argv)
    q = start(spark, cfg, args)
    q.awaitTermination()
    return {"job": JOB, "topic": args.topic}
