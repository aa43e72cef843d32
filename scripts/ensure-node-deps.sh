#!/usr/bin/env bash
# Runs `npm ci` when node_modules is missing or older than package-lock.json. npm's cache lives
# outside the repo (~/.npm), so a rerun on the same machine installs from it without the network.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/node-runtime.sh"
stamp="$root/node_modules/.package-lock.json"
if [[ ! -f "$stamp" || "$root/package-lock.json" -nt "$stamp" ]]; then
  echo "sparkflow: installing npm packages (npm ci)…" >&2
  (cd "$root" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
fi
