"""The one way every job gets its SparkSession: master, connector jars and store settings from JobConfig."""
from __future__ import annotations

from pyspark.sql import SparkSession

from .config import JobConfig


def build_session(cfg: JobConfig, app_name: str, extra: dict[str, str] | None = None) -> SparkSession:
    b = (
        SparkSession.builder.master(cfg.master)
        .appName(f"sparkflow-{app_name}")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(cfg.shuffle_partitions))
        .config("spark.cassandra.connection.host", ",".join(cfg.cassandra_hosts))
        .config("spark.cassandra.connection.port", str(cfg.cassandra_port))
        .config("spark.cassandra.auth.username", cfg.cassandra_username)
        .config("spark.cassandra.auth.password", cfg.cassandra_password)
        # Jars come from the Maven Central cache filled by scripts/ensure-env.sh, never from
        # spark.jars.packages: a job start must not depend on an Ivy download.
        .config("spark.jars", ",".join(cfg.jars))
    )
    for k, v in (extra or {}).items():
        b = b.config(k, v)
    return b.getOrCreate()
