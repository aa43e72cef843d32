"""The one runner: `python -m sparkflow_jobs <job> [job options]` (spark-submit the same module in Compose).

Every job starts the same way: settings from the environment (JobConfig), one SparkSession from
session.build_session (master local[*] or $SPARK_MASTER_URL, connector jars, store credentials),
then the job's main(spark, cfg, argv). It prints one JSON line with the job's result.
"""
from __future__ import annotations

import importlib
import json
import sys

from .config import JobConfig
from .session import build_session

JOBS = ("daily_user_aggregates", "stream_user_stats", "tutorial_baseline_stream")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in JOBS:
        print(f"usage: python -m sparkflow_jobs {{{'|'.join(JOBS)}}} [options]", file=sys.stderr)
        return 2
    job = importlib.import_module(f"sparkflow_jobs.jobs.{argv[0]}")
    cfg = JobConfig.from_env()
    spark = build_session(cfg, argv[0])
    spark.sparkContext.setLogLevel("WARN")
    try:
        result = job.main(spark, cfg, argv[1:])
    finally:
        spark.stop()
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
