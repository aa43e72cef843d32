#!/usr/bin/env bash
# `npm start`: brings the native stack up and runs SparkFlow on its default synthetic source.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/node-runtime.sh
bash scripts/ensure-node-deps.sh
exec node_modules/.bin/tsx --tsconfig tsconfig.base.json deploy/local/src/run-pipeline.ts "$@"
