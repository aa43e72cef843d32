"""spark-submit's application for users_daily_aggregates: spark-submit needs a file, and spark-jobs' one
runner is a module (`python -m sparkflow_jobs <job> [options]`), so this file only hands over to it.
Run with PYTHONPATH=<repo>/spark-jobs/src (the DAG sets it)."""

import sys

from sparkflow_jobs.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
