#!/usr/bin/env bash
# `npm run bench [-- --quick]`: SparkFlow against its limits and the tutorial's design, on the running stack.
# Options and what each stage measures: bench/README.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/node-runtime.sh
exec node_modules/.bin/tsx --tsconfig tsconfig.base.json bench/src/main.ts "$@"
