#!/usr/bin/env bash
# `nx test contracts-python`: the package's unit tests, in a small venv of their own outside the repo,
# keyed by the hash of requirements-test.txt: ${SPARKFLOW_CACHE:-~/.cache/sparkflow}/venvs/contracts-python-<hash>.
# The package is not installed: it is put on the path, as airflow/ and spark-jobs/ do.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${SPARKFLOW_PYTHON:-python3}"
cache="${SPARKFLOW_CACHE:-$HOME/.cache/sparkflow}"
venv="$cache/venvs/contracts-python-$(sha256sum "$here/requirements-test.txt" | cut -c1-12)"

# A venv cannot be moved (its scripts name their interpreter by path): built in place, marked when done.
if [[ ! -f "$venv/.complete" ]]; then
  mkdir -p "$cache/venvs"
  exec 9>"$venv.lock"
  flock 9
  if [[ ! -f "$venv/.complete" ]]; then
    echo "contracts-python: installing requirements-test.txt into $venv" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements-test.txt" >&2
    touch "$venv/.complete"
  fi
fi

cd "$here"
set +e
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" "$venv/bin/python" -m pytest -p no:cacheprovider tests "$@"
rc=$?
set -e
# pytest exits 5 when it collected no test: a suite that tests nothing must not pass.
if [[ $rc -eq 5 ]]; then echo "contracts-python: no test was collected" >&2; exit 1; fi
exit $rc
