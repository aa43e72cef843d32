"""Clients for the real stack (ports and credentials from the same environment the jobs read)."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg
import pytest
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from sparkflow_jobs.config import JobConfig


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


@pytest.fixture(scope="module")
def pg(cfg: JobConfig):
    with psycopg.connect(**cfg.postgres_conninfo, autocommit=True) as conn:
        yield conn


@pytest.fixture
def kafka_topic(cfg: JobConfig, request):
    """A fresh topic for one test, deleted afterwards."""
    admin = AdminClient({"bootstrap.servers": cfg.kafka_brokers})
    name = f"it.spark.{request.node.name[:40]}.{uuid.uuid4().hex[:8]}".replace("[", "_").replace("]", "_")
    admin.create_topics([NewTopic(name, num_partitions=2, replication_factor=1)])[name].result(timeout=30)
    yield name
    admin.delete_topics([name])[name].result(timeout=30)


@pytest.fixture
def produce(cfg: JobConfig):
    producer = Producer({"bootstrap.servers": cfg.kafka_brokers, "enable.idempotence": True})

    def send(topic: str, records: list[tuple[str, str]]) -> None:
        for key, value in records:
            producer.produce(topic, key=key.encode(), value=value.encode())
        assert producer.flush(30) == 0, "Kafka did not acknowledge every record"

    return send


def run_cli(*args: str, timeout: int = 300) -> str:
    """Runs a job the way operators do: `python -m sparkflow_jobs <job> …` in its own JVM."""
    env = {**os.environ}
    proc = subprocess.run([sys.executable, "-m", "sparkflow_jobs", *args], env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"job failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
    return proc.stdout
