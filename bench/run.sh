#!/usr/bin/env bash
# `npm run bench [-- --quick]`: SparkFlow against its limits and the tutorial's design, on the running stack.
# Options and what each stage measures: bench/README.md. `--entry schema-options` (first) runs
# bench/src/schema-options.ts instead (`npm run bench:schema-options`), `--entry audit-store-options`
# bench/src/audit-store-options.ts (`npm run bench:audit-store-options`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/node-runtime.sh
entry=main
if [[ "${1:-}" == --entry ]]; then
  entry="${2:?--entry needs the name of a script in bench/src, such as schema-options}"
  shift 2
fi
exec node_modules/.bin/tsx --tsconfig tsconfig.base.json "bench/src/${entry}.ts" "$@"
