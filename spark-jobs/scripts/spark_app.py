"""The application file spark-submit runs for every job: `spark-submit [settings] spark_app.py <job> [options]`.
spark-submit needs a file, and the jobs' one runner is a module (`python -m sparkflow_jobs`), so this file
puts the package on the path and hands over to the same `main`. Build the settings with
`python -m sparkflow_jobs.submit` (or sparkflow_jobs.launch), never by hand."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sparkflow_jobs.__main__ import main  # noqa: E402 - after the path is set

if __name__ == "__main__":
    sys.exit(main())
