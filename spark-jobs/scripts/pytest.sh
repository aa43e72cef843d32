#!/usr/bin/env bash
# `nx run spark-jobs:test` (unit, no servers) and `nx run spark-jobs:integration` (the real stack).
# Usage: bash spark-jobs/scripts/pytest.sh unit|integration [pytest args…]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
suite="${1:-}"; shift || true
case "$suite" in
  unit) source "$here/scripts/ensure-env.sh" --no-jars ;;
  integration) source "$here/scripts/ensure-env.sh" ;;
  *) echo "usage: pytest.sh unit|integration [pytest args…]" >&2; exit 2 ;;
esac
cd "$here"
set +e
"$SPARKFLOW_PYTHON" -m pytest "tests/$suite" "$@"
rc=$?
set -e
# pytest exits 5 when it collected no test: a suite that tests nothing must not pass.
if [[ $rc -eq 5 ]]; then echo "spark-jobs: no $suite test was collected" >&2; exit 1; fi
exit $rc
