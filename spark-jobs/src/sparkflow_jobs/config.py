"""Job settings, read once from the environment (same variable names as the native stack and Compose)."""
from __future__ import annotations

import glob
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


_JAAS_MODULES = {
    "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
}


# data_backfills' row that says users.first_event_day was filled (daily_user_aggregates). Tests name another
# row so that a fill they start never writes or removes the one real data relies on.
FIRST_EVENT_DAY_FILL = "users.first_event_day"
_FILL_NAME = re.compile(r"[a-z0-9_.:-]{1,100}")


class ConfigError(ValueError):
    """A setting in the environment is missing or malformed."""


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ConfigError(f"{name} must be a TCP port, got {raw!r}")
    return int(raw)


def _host_ports(raw: str, default_port: int) -> list[tuple[str, int]]:
    out = []
    for item in (p.strip() for p in raw.split(",")):
        if not item:
            continue
        host, sep, port = item.rpartition(":")
        if not sep:
            host, port = item, str(default_port)
        if not host or not port.isdigit():
            raise ConfigError(f"contact point {item!r} is not host[:port]")
        out.append((host, int(port)))
    if not out:
        raise ConfigError("no contact point given")
    return out


@dataclass(frozen=True)
class JobConfig:
    master: str
    cassandra_hosts: tuple[str, ...]
    cassandra_port: int
    cassandra_username: str
    cassandra_password: str
    cassandra_keyspace: str
    kafka_brokers: str
    kafka_sasl_mechanism: str
    kafka_username: str
    kafka_password: str
    postgres_host: str
    postgres_port: int
    postgres_user: str
    postgres_password: str
    postgres_db: str
    home: Path
    jars: tuple[str, ...]
    shuffle_partitions: int
    first_event_day_fill: str = FIRST_EVENT_DAY_FILL

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> JobConfig:
        env = os.environ if env is None else env
        cassandra = _host_ports(
            env.get("CASSANDRA_CONTACT_POINTS") or f"127.0.0.1:{_port(env, 'CASSANDRA_PORT', 9042)}", 9042
        )
        ports = {p for _, p in cassandra}
        if len(ports) != 1:
            # The connector takes one native port for all contact points.
            raise ConfigError(f"CASSANDRA_CONTACT_POINTS must share one port, got {sorted(ports)}")
        keyspace = env.get("CASSANDRA_KEYSPACE") or "sparkflow"
        if not keyspace.replace("_", "a").isalnum() or not keyspace[0].isalpha() or keyspace.lower() != keyspace:
            raise ConfigError(f"CASSANDRA_KEYSPACE must be a lower-case CQL identifier, got {keyspace!r}")
        jars_dir = env.get("SPARKFLOW_SPARK_JARS", "")
        jars = tuple(sorted(glob.glob(os.path.join(jars_dir, "*.jar")))) if jars_dir else ()
        if jars_dir and not jars:
            raise ConfigError(f"SPARKFLOW_SPARK_JARS={jars_dir} holds no jar; run spark-jobs/scripts/ensure-env.sh")
        mechanism = (env.get("KAFKA_SASL_MECHANISM") or "scram-sha-512").upper()
        if mechanism not in _JAAS_MODULES:
            raise ConfigError(f"KAFKA_SASL_MECHANISM must be one of {sorted(m.lower() for m in _JAAS_MODULES)}, got {mechanism.lower()!r}")
        fill_name = env.get("SPARKFLOW_FIRST_EVENT_DAY_FILL") or FIRST_EVENT_DAY_FILL
        if not _FILL_NAME.fullmatch(fill_name):
            raise ConfigError(
                f"SPARKFLOW_FIRST_EVENT_DAY_FILL must be 1-100 of a-z 0-9 _ . : -, got {fill_name!r}")
        kafka_password = env.get("KAFKA_PASSWORD") or "sparkflow-spark-dev"
        if '"' in kafka_password or "\\" in kafka_password:
            raise ConfigError("KAFKA_PASSWORD must not contain a double quote or a backslash (it goes into a JAAS line)")
        return cls(
            master=env.get("SPARK_MASTER_URL") or "local[*]",
            cassandra_hosts=tuple(h for h, _ in cassandra),
            cassandra_port=ports.pop(),
            cassandra_username=env.get("CASSANDRA_USERNAME") or "sparkflow_app",
            cassandra_password=env.get("CASSANDRA_PASSWORD") or "sparkflow-app-dev",
            cassandra_keyspace=keyspace,
            kafka_brokers=env.get("KAFKA_BROKERS") or f"127.0.0.1:{_port(env, 'KAFKA_PORT', 9092)}",
            # The broker refuses anonymous clients; the jobs sign in as the stack's spark principal by default.
            kafka_sasl_mechanism=mechanism,
            kafka_username=env.get("KAFKA_USERNAME") or "sparkflow-spark",
            kafka_password=kafka_password,
            postgres_host=env.get("POSTGRES_HOST") or "127.0.0.1",
            postgres_port=_port(env, "POSTGRES_PORT", 5432),
            postgres_user=env.get("POSTGRES_USER") or "sparkflow_app",
            postgres_password=env.get("POSTGRES_PASSWORD") or "sparkflow-app-dev",
            postgres_db=env.get("POSTGRES_DB") or "sparkflow",
            home=Path(env.get("SPARKFLOW_HOME") or REPO_ROOT / ".sparkflow").resolve(),
            jars=jars,
            shuffle_partitions=int(env.get("SPARK_SHUFFLE_PARTITIONS") or 4),
            first_event_day_fill=fill_name,
        )

    def kafka_options(self) -> dict[str, str]:
        """Options of Spark's Kafka source and sink: the brokers and the SASL login (`kafka.`-prefixed client settings)."""
        jaas = f'{_JAAS_MODULES[self.kafka_sasl_mechanism]} required username="{self.kafka_username}" password="{self.kafka_password}";'
        return {
            "kafka.bootstrap.servers": self.kafka_brokers,
            "kafka.security.protocol": "SASL_PLAINTEXT",
            "kafka.sasl.mechanism": self.kafka_sasl_mechanism,
            "kafka.sasl.jaas.config": jaas,
        }

    def checkpoint_dir(self, job: str) -> str:
        """Durable, per-job checkpoint folder in the data folder (never /tmp: a reboot must not lose the place)."""
        return str(self.home / "spark" / "checkpoints" / job)

    @property
    def postgres_conninfo(self) -> dict[str, object]:
        return {
            "host": self.postgres_host,
            "port": self.postgres_port,
            "user": self.postgres_user,
            "password": self.postgres_password,
            "dbname": self.postgres_db,
        }
