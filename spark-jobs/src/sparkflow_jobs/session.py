"""The one way every job gets its SparkSession: the settings of launch.spark_conf plus the credentials."""
from __future__ import annotations

from pyspark.sql import SparkSession

from .config import JobConfig
from .launch import spark_conf, under_spark_submit


def build_session(cfg: JobConfig, app_name: str, extra: dict[str, str] | None = None) -> SparkSession:
    b = SparkSession.builder.appName(f"sparkflow-{app_name}")
    if not under_spark_submit():
        # This process starts the JVM, so the launch-time settings are ours to give. Under spark-submit
        # they were given on its command line (launch.submit_settings) and must not be overridden here.
        # Jars come from the Maven Central cache filled by scripts/ensure-env.sh, never from
        # spark.jars.packages: a job start must not depend on an Ivy download.
        b = b.master(cfg.master).config("spark.jars", ",".join(cfg.jars))
    for key, value in spark_conf(cfg).items():
        b = b.config(key, value)
    b = b.config("spark.cassandra.auth.username", cfg.cassandra_username).config(
        "spark.cassandra.auth.password", cfg.cassandra_password
    )
    for k, v in (extra or {}).items():
        b = b.config(k, v)
    return b.getOrCreate()
