#!/usr/bin/env bash
# Runs one Spark job through spark-submit, as Airflow, Compose and the Spark operator do:
#   bash spark-jobs/scripts/submit-job.sh <job> [options]        (SPARK_MASTER_URL, else local[*])
# The master, --jars and --conf come from sparkflow_jobs.launch, the settings run-job.sh uses too.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/scripts/ensure-env.sh"
exec "$SPARKFLOW_PYTHON" -m sparkflow_jobs.submit "$@"
