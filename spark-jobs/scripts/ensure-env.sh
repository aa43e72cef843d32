#!/usr/bin/env bash
# Makes sure the Spark jobs' Python venv and connector jars exist, both cached outside the repo:
#   venv: $SPARKFLOW_CACHE/venvs/spark-<sha256(requirements*.txt)[:12]>  (pip, from PyPI; the jobs'
#         requirements and the tests')
#   jars: $SPARKFLOW_CACHE/jars/spark-<sha256(pom.xml)[:12]>             (mvn, from Maven Central)
# SPARKFLOW_CACHE defaults to ~/.cache/sparkflow. A changed requirements file or pom.xml gets a new
# folder; an unchanged one is reused, so the second run costs nothing. Source it to get:
#   SPARKFLOW_PYTHON (the venv's python), SPARKFLOW_SPARK_JARS (the jar folder), JAVA_HOME.
# Usage: source spark-jobs/scripts/ensure-env.sh [--no-jars]
set -euo pipefail

_sf_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_sf_cache="${SPARKFLOW_CACHE:-$HOME/.cache/sparkflow}"
_sf_req="$_sf_root/spark-jobs/requirements-test.txt"  # -r requirements.txt
_sf_pom="$_sf_root/deploy/local/spark/pom.xml"
_sf_hash() { cat "$@" | sha256sum | cut -c1-12; }
_sf_log() { printf 'spark-jobs: %s\n' "$*" >&2; }

mkdir -p "$_sf_cache/venvs" "$_sf_cache/jars"

if [[ -z "${JAVA_HOME:-}" ]]; then
  command -v java >/dev/null || { _sf_log "java (JDK 17) is required on PATH or in JAVA_HOME"; exit 1; }
  JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  export JAVA_HOME
fi

# --- venv -------------------------------------------------------------------------------------------
_sf_venv="$_sf_cache/venvs/spark-$(_sf_hash "$_sf_root/spark-jobs/requirements.txt" "$_sf_req")"
if [[ ! -f "$_sf_venv/.complete" ]]; then
  (
    # One installer at a time per cache; a venv cannot be moved after creation (absolute shebangs),
    # so it is built in place and marked complete only at the end.
    exec 9>"$_sf_venv.lock"
    flock 9
    if [[ ! -f "$_sf_venv/.complete" ]]; then
      _sf_py="$(command -v python3.11 || command -v python3)"
      _sf_log "creating venv $_sf_venv with $_sf_py (pyspark is a ~300 MB download the first time)"
      rm -rf "$_sf_venv"
      start=$SECONDS
      "$_sf_py" -m venv "$_sf_venv"
      "$_sf_venv/bin/pip" install -q --disable-pip-version-check -r "$_sf_req"
      touch "$_sf_venv/.complete"
      _sf_log "venv ready in $((SECONDS - start))s"
    fi
  )
fi
export SPARKFLOW_PYTHON="$_sf_venv/bin/python"
export PYSPARK_PYTHON="$SPARKFLOW_PYTHON"

# --- connector jars ---------------------------------------------------------------------------------
if [[ "${1:-}" != "--no-jars" ]]; then
  _sf_jars="$_sf_cache/jars/spark-$(_sf_hash "$_sf_pom")"
  if [[ ! -d "$_sf_jars" ]]; then
    command -v mvn >/dev/null || { _sf_log "Maven (mvn) is required to fetch the connector jars"; exit 1; }
    _sf_stage="$_sf_jars.partial-$$"
    rm -rf "$_sf_stage"
    start=$SECONDS
    _sf_log "resolving connector jars from Maven Central into $_sf_jars"
    # -DexcludeTransitive: only the jars the pom lists; Spark's own jars stay the only copies of
    # scala-library, slf4j, commons-lang3 & co. (see the pom's header).
    mvn -q -B -f "$_sf_pom" dependency:copy-dependencies -DoutputDirectory="$_sf_stage" -DexcludeTransitive=true >&2
    mv -T "$_sf_stage" "$_sf_jars" 2>/dev/null || rm -rf "$_sf_stage"  # lost a race: the other copy is as good
    _sf_log "jars ready in $((SECONDS - start))s"
  fi
  export SPARKFLOW_SPARK_JARS="$_sf_jars"
fi
# The jobs' package and the contracts' reader it imports (sparkflow_contracts).
export PYTHONPATH="$_sf_root/spark-jobs/src:$_sf_root/libs/contracts/python${PYTHONPATH:+:$PYTHONPATH}"
