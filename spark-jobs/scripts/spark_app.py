"""The application file spark-submit runs for every job: `spark-submit [settings] spark_app.py <job> [options]`.
spark-submit needs a file, and the jobs' one runner is a module (`python -m sparkflow_jobs`), so this file
puts the package, and the contracts' reader it imports (libs/contracts/python), on the driver's path and
hands over to the same `main`. Executors need neither: the jobs run no Python on them (no UDFs, no
DataFrame made of Python values; foreachBatch runs on the driver), which the integration test holds by
giving executors a Python that does not exist. Build the settings with `python -m sparkflow_jobs.submit` (or
sparkflow_jobs.launch), never by hand."""

import sys
from pathlib import Path

SPARK_JOBS_DIR = Path(__file__).resolve().parents[1]
# Where the repository lays them out; a mount that does not (Compose's Airflow) has them on PYTHONPATH.
for path in (SPARK_JOBS_DIR.parent / "libs" / "contracts" / "python", SPARK_JOBS_DIR / "src"):
    if path.is_dir():
        sys.path.insert(0, str(path))

from sparkflow_jobs.__main__ import main  # noqa: E402 - after the path is set

if __name__ == "__main__":
    sys.exit(main())
