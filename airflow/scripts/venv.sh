#!/usr/bin/env bash
# Creates (or reuses) Airflow's Python venv and prints its path on stdout; progress goes to stderr.
# The venv lives outside the repo, keyed by the hash of requirements.txt + constraints.txt and the
# Python version, so a changed pin builds a new venv and an unchanged one costs nothing:
#   ${SPARKFLOW_CACHE:-~/.cache/sparkflow}/venvs/airflow-<hash>
# Only PyPI is needed. `--refreeze` rewrites constraints.txt from a fresh resolution of requirements.txt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${SPARKFLOW_PYTHON:-python3}"
cache="${SPARKFLOW_CACHE:-$HOME/.cache/sparkflow}"
log() { printf 'airflow venv: %s\n' "$*" >&2; }

if ! "$python" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null; then
  log "needs Python 3.10–3.13 as \`$python\` (set SPARKFLOW_PYTHON to another interpreter)"
  exit 1
fi
pyver="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

if [[ "${1:-}" == "--refreeze" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "$python" -m venv "$tmp/v"
  "$tmp/v/bin/pip" install -q --upgrade pip >&2
  "$tmp/v/bin/pip" install -q -r "$here/requirements.txt" >&2
  {
    echo "# Every package pip resolved for requirements.txt on Python $pyver (PyPI, $(date -u +%F)), recorded"
    echo "# here because Airflow's published constraints file cannot be fetched on these machines."
    echo "# Regenerate: bash airflow/scripts/venv.sh --refreeze"
    "$tmp/v/bin/pip" freeze --all | grep -vE '^(pip|setuptools|wheel)=='
  } >"$here/constraints.txt"
  log "wrote $here/constraints.txt"
  exit 0
fi

hash="$(cat "$here/requirements.txt" "$here/constraints.txt" <(echo "python $pyver") | sha256sum | cut -c1-16)"
venv="$cache/venvs/airflow-$hash"
mkdir -p "$cache/venvs"

# Two callers (the stack and a test run) may ask at once: one builds, the other waits for it.
exec 9>"$venv.lock"
flock 9
if [[ ! -f "$venv/.complete" ]]; then
  started=$(date +%s)
  log "installing into $venv (a few minutes on a fresh machine)…"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt" -c "$here/constraints.txt" >&2
  "$venv/bin/pip" check >&2
  date -u +%FT%TZ >"$venv/.complete"
  log "installed in $(($(date +%s) - started))s"
fi
echo "$venv"
