#!/usr/bin/env bash
# `bash airflow/scripts/pytest.sh unit|integration [pytest args…]` — the Nx `test` and `integration` targets.
# Creates or reuses the cached venv (scripts/venv.sh), then runs pytest with a throwaway AIRFLOW_HOME so
# nothing is written into the repo. Exit code 5 ("no tests collected") counts as a failure.
set -euo pipefail
airflow_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
suite="${1:?usage: pytest.sh unit|integration [pytest args…]}"
shift
case "$suite" in unit|integration) ;; *) echo "unknown suite $suite (unit|integration)" >&2; exit 2 ;; esac

venv="$(bash "$airflow_dir/scripts/venv.sh")"
home="$(mktemp -d "${TMPDIR:-/tmp}/sparkflow-airflow-$suite.XXXXXX")"
trap 'rm -rf "$home"' EXIT

# The DAGs' helpers and the contracts' reader, as deploy/local's Airflow has them.
export PYTHONPATH="$airflow_dir/include:$airflow_dir/../libs/contracts/python${PYTHONPATH:+:$PYTHONPATH}"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_FOLDER="$airflow_dir/dags"
if [[ "$suite" == unit ]]; then
  # Offline: an empty AIRFLOW_HOME with a SQLite file nobody migrates; parsing must not need it.
  export AIRFLOW_HOME="$home"
fi
# The integration suite derives AIRFLOW_HOME and the metadata DB from the stack's settings (tests/integration/stack.py).

cd "$airflow_dir"
set +e
"$venv/bin/python" -m pytest -p no:cacheprovider "tests/$suite" "$@"
rc=$?
set -e
if [[ $rc -eq 5 ]]; then
  echo "pytest collected no tests in tests/$suite: failing" >&2
  exit 1
fi
exit $rc
