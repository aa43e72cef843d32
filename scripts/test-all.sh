#!/usr/bin/env bash
# `npm test`: every test SparkFlow has, on a fresh clone. Installs what is missing, runs the offline
# checks (lint, typecheck, unit), brings the real stack up, runs the integration tests against it, and
# stops the stack again if this script started it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# Each step's wall time, printed when the next one starts and summed up at the end, so a slow run says
# which step grew.
step_name="" step_started=$SECONDS timings=()
finish_step() {
  [[ -n $step_name ]] || return 0
  local took=$((SECONDS - step_started))
  timings+=("$(printf '%4dm%02ds  %s' $((took / 60)) $((took % 60)) "$step_name")")
  printf '=== %s: %dm%02ds\n' "$step_name" $((took / 60)) $((took % 60))
}
step() {
  finish_step
  step_name="$*" step_started=$SECONDS
  printf '\n=== %s\n' "$*"
}

step "Node and the npm packages"
source scripts/node-runtime.sh
bash scripts/ensure-node-deps.sh
echo "node $(node --version), npm $(npm --version)"
nx=(node_modules/.bin/nx)

step "lint, typecheck and unit tests (no servers)"
"${nx[@]}" run-many -t lint typecheck test --outputStyle=static

step "the native stack"
started_here=false
if ! bash deploy/local/bin/stack status >/dev/null 2>&1; then
  started_here=true
  trap 'step "stopping the stack"; bash deploy/local/bin/stack down' EXIT
fi
bash deploy/local/bin/stack up

step "integration tests against the real Kafka, Cassandra and PostgreSQL"
"${nx[@]}" run-many -t integration --parallel=1 --outputStyle=static --exclude=pipeline-faults

# Last, because it breaks the stack on purpose (kills services, restarts the broker, stops the
# databases) and brings it back up at the end.
step "fault tests: 50,000 users through kills and outages"
"${nx[@]}" run pipeline-faults:integration --outputStyle=static

# The cluster fault test starts a three-broker, three-node cluster of its own (own home and ports) and
# stops it at the end; the single-node stack started here is stopped first, so the two cores are its.
if $started_here; then
  step "stopping the single-node stack"
  bash deploy/local/bin/stack down
  trap - EXIT
fi
step "cluster fault test: 50,000 users and a backfill through a broker, a Cassandra node and a replica of each service killed"
"${nx[@]}" run pipeline-faults:cluster --outputStyle=static

finish_step
step_name=""
printf '\n=== all tests passed in %dm%02ds\n' $((SECONDS / 60)) $((SECONDS % 60))
printf '%s\n' "${timings[@]}"
