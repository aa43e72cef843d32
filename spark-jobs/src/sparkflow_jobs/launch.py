"""The Spark settings every job is started with, for both launchers: the module runner
(`python -m sparkflow_jobs`, which starts its own JVM) and `spark-submit` (run-by-hand through
`python -m sparkflow_jobs.submit`, by Airflow's SparkSubmitOperator, by Compose and the Spark operator).

Settings a JVM reads only when it starts (`spark.jars`, the master) must reach spark-submit itself: a
SparkSession builder inside an application that spark-submit launched runs in a JVM whose class path is
already fixed, so its `spark.jars` is never loaded (DATA_SOURCE_NOT_FOUND for the Cassandra source).
Both launchers therefore take them from `submit_settings`, and `session.build_session` applies the same
`spark_conf`, so the two paths cannot drift. Credentials are not part of it: they would show in the
process list and in Airflow's task log; the job reads them from the environment when it builds its session.

Only the standard library and the contracts' reader here: Airflow imports this module without pyspark.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sparkflow_contracts import ContractsMissing, cassandra_consistency

from .config import ConfigError, JobConfig

# The connector's session extensions: Spark SQL functions writetime(col) and ttl(col) on Cassandra reads
# (cassandra_io.write_time). A static setting, so it must be there when the session is made.
CASSANDRA_SQL_EXTENSIONS = "com.datastax.spark.connector.CassandraSparkExtensions"

SPARK_JOBS_DIR = Path(__file__).resolve().parents[2]
# spark-submit needs a file; it hands over to the same `main` the module runner runs.
APP_FILE = SPARK_JOBS_DIR / "scripts" / "spark_app.py"

# One jar per connector the jobs cannot run without, by file-name prefix (deploy/local/spark/pom.xml).
REQUIRED_JARS = {
    "spark-cassandra-connector_": "the Spark Cassandra Connector (format org.apache.spark.sql.cassandra)",
    "spark-sql-kafka-0-10_": "the Kafka source (format kafka)",
    "postgresql-": "the PostgreSQL JDBC driver",
}

# Exit codes of a job that no rerun can fix; Airflow fails such a task at once instead of retrying it.
EXIT_USAGE = 2  # bad arguments or settings
EXIT_MISSING_CLASS = 3  # a connector's classes are not on the class path
# The job's last word on stderr when it stops for one of those reasons; launchers quote it.
FATAL_PREFIX = "sparkflow_jobs: cannot run"


@dataclass(frozen=True)
class SubmitSettings:
    master: str
    jars: tuple[str, ...]
    conf: dict[str, str]


def consistency_level() -> str:
    """The contracts' Cassandra consistency level; ConfigError (not a retry) when they cannot be read."""
    try:
        return cassandra_consistency()
    except (ContractsMissing, ValueError) as err:
        raise ConfigError(str(err)) from err


def spark_conf(cfg: JobConfig) -> dict[str, str]:
    """Everything a job's session needs except the master, the jars and the credentials."""
    level = consistency_level()
    return {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.extensions": CASSANDRA_SQL_EXTENSIONS,
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": str(cfg.shuffle_partitions),
        "spark.cassandra.connection.host": ",".join(cfg.cassandra_hosts),
        "spark.cassandra.connection.port": str(cfg.cassandra_port),
        # The level every SparkFlow client reads and writes at (libs/contracts). The connector reads at
        # LOCAL_ONE by default: with three copies, one node that missed writes while it was down (and has
        # not had its hints yet) would answer alone for its token ranges, and the day's counts would be short.
        "spark.cassandra.input.consistency.level": level,
        "spark.cassandra.output.consistency.level": level,
    }


def missing_jars(jars: tuple[str, ...]) -> list[str]:
    names = [os.path.basename(j) for j in jars]
    return [what for prefix, what in REQUIRED_JARS.items() if not any(n.startswith(prefix) for n in names)]


def submit_settings(cfg: JobConfig) -> SubmitSettings:
    """What spark-submit must be given for any job; ConfigError (naming the setting) when the jars are not there."""
    if not cfg.jars:
        raise ConfigError(
            "SPARKFLOW_SPARK_JARS is not set: the jobs need the connector jars "
            "(`source spark-jobs/scripts/ensure-env.sh` resolves them and sets it)"
        )
    missing = missing_jars(cfg.jars)
    if missing:
        folder = os.path.dirname(cfg.jars[0])
        raise ConfigError(f"SPARKFLOW_SPARK_JARS={folder} lacks {', '.join(missing)}; see deploy/local/spark/pom.xml")
    return SubmitSettings(master=cfg.master, jars=cfg.jars, conf=spark_conf(cfg))


def spark_submit_argv(cfg: JobConfig, job: str, job_args: list[str], name: str | None = None) -> list[str]:
    """`spark-submit …` for one job, exactly as the Airflow operator builds it from the same settings."""
    s = submit_settings(cfg)
    argv = ["spark-submit", "--master", s.master, "--name", name or f"sparkflow-{job}", "--jars", ",".join(s.jars)]
    for key, value in s.conf.items():
        argv += ["--conf", f"{key}={value}"]
    return [*argv, str(APP_FILE), job, *job_args]


def under_spark_submit() -> bool:
    """True inside an application spark-submit launched: pyspark then joins that JVM instead of starting one."""
    return "PYSPARK_GATEWAY_PORT" in os.environ
