"""One SparkSession for the whole pytest run (session-scoped), built by the jobs' own runner code."""
from __future__ import annotations

import os

import pytest
from pyspark.sql import SparkSession
from sparkflow_jobs.config import JobConfig
from sparkflow_jobs.session import build_session


@pytest.fixture(scope="session")
def cfg() -> JobConfig:
    return JobConfig.from_env()


@pytest.fixture(scope="session")
def spark(cfg: JobConfig) -> SparkSession:
    session = build_session(
        cfg,
        "pytest",
        {
            "spark.ui.enabled": "false",
            # Tiny inputs: one shuffle partition, and no whole-stage code generation (compiling
            # Java for every three-row query costs more than running it interpreted).
            "spark.sql.shuffle.partitions": "1",
            "spark.default.parallelism": "2",
            "spark.sql.codegen.wholeStage": "false",
            "spark.sql.adaptive.enabled": "false",
            "spark.driver.memory": os.environ.get("SPARK_DRIVER_MEMORY", "1g"),
        },
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
