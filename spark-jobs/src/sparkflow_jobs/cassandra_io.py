"""Reads and writes through the Spark Cassandra Connector (the only module that names its format and
its SQL functions)."""
from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from .config import JobConfig

CASSANDRA_FORMAT = "org.apache.spark.sql.cassandra"


def read_table(spark: SparkSession, cfg: JobConfig, table: str) -> DataFrame:
    return spark.read.format(CASSANDRA_FORMAT).options(keyspace=cfg.cassandra_keyspace, table=table).load()


def upsert(df: DataFrame, cfg: JobConfig, table: str) -> None:
    """Append mode in the connector is an INSERT per row: an upsert on the table's primary key."""
    df.write.format(CASSANDRA_FORMAT).options(keyspace=cfg.cassandra_keyspace, table=table).mode("append").save()


def write_time(column: str) -> Column:
    """Cassandra's write timestamp of a regular column (microseconds since the epoch, bigint; null when the
    cell is null) in a DataFrame read_table returned. The connector's session extensions
    (launch.CASSANDRA_SQL_EXTENSIONS, set by launch.spark_conf for both launchers) provide the function and
    push it into the CQL SELECT; without them the query fails to resolve `writetime`."""
    return F.expr(f"writetime({column})")
