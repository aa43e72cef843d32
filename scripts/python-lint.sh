#!/usr/bin/env bash
# The lint step of SparkFlow's Python: `bash scripts/python-lint.sh airflow|spark-jobs|contracts-python`
# runs ruff (rules in ruff.toml) over every Python file of the project and mypy over its packages and DAGs.
# The two tools come from PyPI into a venv of their own, outside the repo, keyed by their pinned
# versions: ${SPARKFLOW_CACHE:-~/.cache/sparkflow}/venvs/python-lint-<versions>.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
RUFF_VERSION=0.17.6
MYPY_VERSION=2.4.1
python="${SPARKFLOW_PYTHON:-python3}"
cache="${SPARKFLOW_CACHE:-$HOME/.cache/sparkflow}"
venv="$cache/venvs/python-lint-ruff$RUFF_VERSION-mypy$MYPY_VERSION"

# A venv cannot be moved (its scripts name their interpreter by path): built in place, marked when done.
if [ ! -f "$venv/.ready" ]; then
  mkdir -p "$cache/venvs"
  exec 9>"$venv.lock"
  flock 9
  if [ ! -f "$venv/.ready" ]; then
    echo "python lint: installing ruff $RUFF_VERSION and mypy $MYPY_VERSION into $venv" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q "ruff==$RUFF_VERSION" "mypy==$MYPY_VERSION" >&2
    touch "$venv/.ready"
  fi
fi

# Airflow and PySpark are not installed here: mypy checks SparkFlow's own code and types what it
# imports from them as Any.
# sparkflow_contracts (libs/contracts/python) is on both projects' path, so mypy checks their calls into it.
mypy=("$venv/bin/mypy" --ignore-missing-imports --python-version 3.11 --no-error-summary)
contracts=libs/contracts/python
case "${1:-}" in
  airflow)
    "$venv/bin/ruff" check airflow
    MYPYPATH="airflow/include:$contracts" "${mypy[@]}" airflow/include
    MYPYPATH="airflow/include:$contracts" "${mypy[@]}" airflow/dags
    ;;
  spark-jobs)
    "$venv/bin/ruff" check spark-jobs
    MYPYPATH="$contracts" "${mypy[@]}" spark-jobs/src
    ;;
  contracts-python)
    "$venv/bin/ruff" check "$contracts"
    "${mypy[@]}" "$contracts/sparkflow_contracts"
    ;;
  *)
    echo "usage: bash scripts/python-lint.sh airflow|spark-jobs|contracts-python" >&2
    exit 2
    ;;
esac
