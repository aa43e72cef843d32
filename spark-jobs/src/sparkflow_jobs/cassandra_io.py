"""Reads and writes through the Spark Cassandra Connector (the only module that names its format and
its SQL functions), and the driver-side CQL session for the few statements a job makes itself."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from .config import JobConfig
from .launch import consistency_level

CASSANDRA_FORMAT = "org.apache.spark.sql.cassandra"


def read_table(spark: SparkSession, cfg: JobConfig, table: str, direct_join: bool = False) -> DataFrame:
    """The table as a DataFrame. `direct_join`: a join on its whole partition key becomes one CQL read per
    key of the other side (the connector's Direct Join, `directJoinSetting=on`) instead of a scan of the
    table, whatever the connector estimates the two sides' sizes to be."""
    options = {"keyspace": cfg.cassandra_keyspace, "table": table}
    if direct_join:
        options["directJoinSetting"] = "on"
    return spark.read.format(CASSANDRA_FORMAT).options(**options).load()


def upsert(df: DataFrame, cfg: JobConfig, table: str, write_time_column: str | None = None) -> None:
    """Append mode in the connector is an INSERT per row: an upsert on the table's primary key.
    `write_time_column`: a bigint column of `df` whose value is each row's write timestamp (microseconds,
    the connector's `writetime` option); it is not written as a column."""
    writer = df.write.format(CASSANDRA_FORMAT).options(keyspace=cfg.cassandra_keyspace, table=table)
    if write_time_column is not None:
        writer = writer.option("writetime", write_time_column)
    writer.mode("append").save()


@contextmanager
def cql_session(cfg: JobConfig) -> Iterator[Any]:
    """A cassandra-driver session on the job's keyspace, on the driver only, signed in and at the consistency
    level the connector uses (launch.spark_conf): for statements the connector has no DataFrame for
    (SELECT DISTINCT of partition keys, one marker row)."""
    from cassandra import ConsistencyLevel
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile

    profile = ExecutionProfile(consistency_level=ConsistencyLevel.name_to_value[consistency_level()], request_timeout=60)
    cluster = Cluster(
        list(cfg.cassandra_hosts),
        port=cfg.cassandra_port,
        auth_provider=PlainTextAuthProvider(cfg.cassandra_username, cfg.cassandra_password),
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        connect_timeout=20,
    )
    try:
        yield cluster.connect(cfg.cassandra_keyspace)
    finally:
        cluster.shutdown()


def write_time(column: str) -> Column:
    """Cassandra's write timestamp of a regular column (microseconds since the epoch, bigint; null when the
    cell is null) in a DataFrame read_table returned. The connector's session extensions
    (launch.CASSANDRA_SQL_EXTENSIONS, set by launch.spark_conf for both launchers) provide the function and
    push it into the CQL SELECT; without them the query fails to resolve `writetime`."""
    return F.expr(f"writetime({column})")
