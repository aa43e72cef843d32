"""Reads and writes through the Spark Cassandra Connector (the only module that names its format)."""
from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from .config import JobConfig

CASSANDRA_FORMAT = "org.apache.spark.sql.cassandra"


def read_table(spark: SparkSession, cfg: JobConfig, table: str) -> DataFrame:
    return spark.read.format(CASSANDRA_FORMAT).options(keyspace=cfg.cassandra_keyspace, table=table).load()


def upsert(df: DataFrame, cfg: JobConfig, table: str) -> None:
    """Append mode in the connector is an INSERT per row: an upsert on the table's primary key."""
    df.write.format(CASSANDRA_FORMAT).options(keyspace=cfg.cassandra_keyspace, table=table).mode("append").save()
