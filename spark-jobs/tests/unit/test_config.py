from pathlib import Path

import pytest
from sparkflow_jobs.config import REPO_ROOT, ConfigError, JobConfig


def test_defaults_match_the_stack():
    c = JobConfig.from_env({})
    assert c.master == "local[*]"
    assert (c.cassandra_hosts, c.cassandra_port) == (("127.0.0.1",), 9042)
    assert (c.cassandra_username, c.cassandra_password, c.cassandra_keyspace) == ("sparkflow_app", "sparkflow-app-dev", "sparkflow")
    assert c.kafka_brokers == "127.0.0.1:9092"
    assert c.postgres_conninfo == {"host": "127.0.0.1", "port": 5432, "user": "sparkflow_app", "password": "sparkflow-app-dev", "dbname": "sparkflow"}
    assert c.checkpoint_dir("j") == str(REPO_ROOT / ".sparkflow" / "spark" / "checkpoints" / "j")
    assert c.first_event_day_fill == "users.first_event_day"


def test_jobs_sign_in_to_kafka_as_the_spark_principal_by_default():
    options = JobConfig.from_env({}).kafka_options()
    assert options["kafka.bootstrap.servers"] == "127.0.0.1:9092"
    assert options["kafka.security.protocol"] == "SASL_PLAINTEXT"
    assert options["kafka.sasl.mechanism"] == "SCRAM-SHA-512"
    assert options["kafka.sasl.jaas.config"] == (
        'org.apache.kafka.common.security.scram.ScramLoginModule required username="sparkflow-spark" password="sparkflow-spark-dev";'
    )


def test_kafka_login_comes_from_the_environment():
    c = JobConfig.from_env({"KAFKA_USERNAME": "etl", "KAFKA_PASSWORD": "s3cret-pw", "KAFKA_SASL_MECHANISM": "plain"})
    assert c.kafka_options()["kafka.sasl.mechanism"] == "PLAIN"
    assert 'username="etl" password="s3cret-pw"' in c.kafka_options()["kafka.sasl.jaas.config"]


def test_stack_port_overrides_are_honoured():
    c = JobConfig.from_env({"CASSANDRA_PORT": "29042", "KAFKA_PORT": "29092", "POSTGRES_PORT": "25432", "SPARKFLOW_HOME": "/data/sf"})
    assert c.cassandra_port == 29042
    assert c.kafka_brokers == "127.0.0.1:29092"
    assert c.postgres_port == 25432
    assert c.checkpoint_dir("stream_user_stats") == str(Path("/data/sf/spark/checkpoints/stream_user_stats"))


def test_explicit_endpoints_win_over_ports():
    c = JobConfig.from_env({"CASSANDRA_CONTACT_POINTS": "cassandra:9042,cassandra2:9042", "CASSANDRA_PORT": "1",
                            "KAFKA_BROKERS": "kafka:9092", "SPARK_MASTER_URL": "spark://spark-master:7077"})
    assert (c.cassandra_hosts, c.cassandra_port) == (("cassandra", "cassandra2"), 9042)
    assert c.kafka_brokers == "kafka:9092"
    assert c.master == "spark://spark-master:7077"


@pytest.mark.parametrize("env", [
    {"CASSANDRA_PORT": "x"},
    {"POSTGRES_PORT": "70000"},
    {"CASSANDRA_CONTACT_POINTS": "a:1,b:2"},
    {"CASSANDRA_KEYSPACE": "Bad-Name"},
    {"SPARKFLOW_SPARK_JARS": "/nonexistent-dir"},
    {"KAFKA_SASL_MECHANISM": "gssapi"},
    {"KAFKA_PASSWORD": 'has"quote'},
    {"SPARKFLOW_FIRST_EVENT_DAY_FILL": "Has Space"},
])
def test_bad_settings_fail_loudly(env):
    with pytest.raises(ConfigError):
        JobConfig.from_env(env)


def test_every_cassandra_read_and_write_is_at_the_contracts_level():
    """The connector reads at LOCAL_ONE unless told: with three copies, a node that missed writes while it
    was down would answer alone for its ranges and a day's counts would be short."""
    from sparkflow_contracts import cassandra_consistency
    from sparkflow_jobs.launch import spark_conf

    conf = spark_conf(JobConfig.from_env({"CASSANDRA_CONTACT_POINTS": "10.0.0.1,10.0.0.2,10.0.0.3"}))
    assert cassandra_consistency() == "LOCAL_QUORUM"
    assert {k: v for k, v in conf.items() if "consistency" in k} == {
        "spark.cassandra.input.consistency.level": "LOCAL_QUORUM",
        "spark.cassandra.output.consistency.level": "LOCAL_QUORUM",
    }


def test_contracts_that_cannot_be_read_are_a_configuration_error(monkeypatch, tmp_path):
    """Airflow fails a ConfigError without retrying, and the job prints its one "cannot run" line."""
    import sparkflow_contracts
    from sparkflow_jobs.launch import spark_conf

    monkeypatch.setenv("SPARKFLOW_CONTRACTS_DIR", str(tmp_path / "nowhere"))
    sparkflow_contracts._load.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"cassandra.json is missing"):
            spark_conf(JobConfig.from_env({}))
    finally:
        sparkflow_contracts._load.cache_clear()


def test_a_fill_marker_name_other_than_the_real_one_is_taken_and_a_bad_one_named():
    assert JobConfig.from_env({"SPARKFLOW_FIRST_EVENT_DAY_FILL": "test.first_event_day.1a2b"}).first_event_day_fill == \
        "test.first_event_day.1a2b"
    with pytest.raises(ConfigError, match="SPARKFLOW_FIRST_EVENT_DAY_FILL must be"):
        JobConfig.from_env({"SPARKFLOW_FIRST_EVENT_DAY_FILL": "x" * 101})
