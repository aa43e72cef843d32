"""Clients for the real stack (ports and credentials from the same environment the jobs read)."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from sparkflow_jobs.config import JobConfig

# These tests make and delete topics of their own, which no service principal may read: they and the jobs
# they start sign in as the stack's admin (KAFKA_ADMIN_PASSWORD, the stack's development default otherwise).
os.environ["KAFKA_USERNAME"] = "sparkflow-admin"
os.environ["KAFKA_PASSWORD"] = os.environ.get("KAFKA_ADMIN_PASSWORD") or "sparkflow-admin-dev"


def kafka_client_conf(cfg: JobConfig) -> dict[str, str]:
    """librdkafka's settings for the same login the jobs use."""
    return {
        "bootstrap.servers": cfg.kafka_brokers,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanisms": cfg.kafka_sasl_mechanism,
        "sasl.username": cfg.kafka_username,
        "sasl.password": cfg.kafka_password,
    }


@pytest.fixture(scope="module")
def cql(cfg: JobConfig):
    cluster = Cluster(
        list(cfg.cassandra_hosts),
        port=cfg.cassandra_port,
        auth_provider=PlainTextAuthProvider(cfg.cassandra_username, cfg.cassandra_password),
        connect_timeout=20,
    )
    session = cluster.connect(cfg.cassandra_keyspace)
    session.default_timeout = 30
    yield session
    cluster.shutdown()


def own_fill_marker(cql, filled: bool) -> Iterator[str]:
    """A data_backfills row name of the caller's own for daily_user_aggregates' one-off fill
    (SPARKFLOW_FIRST_EVENT_DAY_FILL, JobConfig.first_event_day_fill), so no test run of the job writes the
    real `users.first_event_day` row. Absent before; `filled`: inserted now, so runs take the targeted path
    (else the run fills and writes it). Deleted afterwards either way."""
    name = f"test.users.first_event_day.{uuid.uuid4().hex[:12]}"
    assert cql.execute("SELECT name FROM data_backfills WHERE name = %s", (name,)).one() is None
    if filled:
        cql.execute("INSERT INTO data_backfills (name, rows, finished_at) VALUES (%s, 0, toTimestamp(now()))", (name,))
    try:
        yield name
    finally:
        cql.execute("DELETE FROM data_backfills WHERE name = %s", (name,))


@pytest.fixture
def fill_marker(cql):
    """A marker of the test's own, absent: the job's first run with it fills (own_fill_marker)."""
    yield from own_fill_marker(cql, filled=False)


@pytest.fixture(scope="module")
def filled_marker(cql):
    """A marker of the module's own, present: runs with it take the targeted path (own_fill_marker)."""
    yield from own_fill_marker(cql, filled=True)


@pytest.fixture(scope="module")
def pg(cfg: JobConfig):
    with psycopg.connect(**cfg.postgres_conninfo, autocommit=True) as conn:
        yield conn


@pytest.fixture
def kafka_topic(cfg: JobConfig, request):
    """A fresh topic for one test, deleted afterwards."""
    admin = AdminClient(kafka_client_conf(cfg))
    name = f"it.spark.{request.node.name[:40]}.{uuid.uuid4().hex[:8]}".replace("[", "_").replace("]", "_")
    admin.create_topics([NewTopic(name, num_partitions=2, replication_factor=1)])[name].result(timeout=30)
    yield name
    admin.delete_topics([name])[name].result(timeout=30)


@pytest.fixture
def produce(cfg: JobConfig):
    producer = Producer({**kafka_client_conf(cfg), "enable.idempotence": True})

    def send(topic: str, records: list[tuple[str, str]]) -> None:
        for key, value in records:
            producer.produce(topic, key=key.encode(), value=value.encode())
        assert producer.flush(30) == 0, "Kafka did not acknowledge every record"

    return send


# The ways a job is started: the module runner in its own JVM (run-job.sh), and spark-submit (submit-job.sh,
# Airflow, Compose) in local mode or on the stack's standalone master (`npm run stack -- up spark-master spark-worker`).
LAUNCHERS = ("module", "submit-local", "submit-standalone")


def standalone_master() -> str:
    return os.environ.get("SPARK_MASTER_URL_STANDALONE") or f"spark://127.0.0.1:{os.environ.get('SPARK_MASTER_PORT') or 7077}"


def run_job(launcher: str, *args: str, timeout: int = 900, expect: int = 0,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Runs `<launcher> <job> [options]` as operators do and returns the finished process."""
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", **(env or {})}
    if launcher == "module":
        cmd = [sys.executable, "-m", "sparkflow_jobs", *args]
    elif launcher in ("submit-local", "submit-standalone"):
        env["SPARK_MASTER_URL"] = "local[*]" if launcher == "submit-local" else standalone_master()
        cmd = [sys.executable, "-m", "sparkflow_jobs.submit", *args]
    else:
        raise ValueError(launcher)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == expect, f"{launcher} {args}: exit {proc.returncode}, expected {expect}:\n{proc.stderr[-4000:]}"
    return proc


def result_of(proc: subprocess.CompletedProcess) -> dict:
    """The job's one JSON line (its result), the last line on stdout whichever launcher ran it."""
    import json

    return json.loads(proc.stdout.strip().splitlines()[-1])
