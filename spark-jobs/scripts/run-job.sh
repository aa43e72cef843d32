#!/usr/bin/env bash
# Runs one Spark job natively: bash spark-jobs/scripts/run-job.sh <job> [options]
# e.g. bash spark-jobs/scripts/run-job.sh daily_user_aggregates --date 2026-11-25
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/scripts/ensure-env.sh"
exec "$SPARKFLOW_PYTHON" -m sparkflow_jobs "$@"
