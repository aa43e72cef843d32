#!/usr/bin/env bash
# Runs `npm ci` when node_modules was not installed from this package-lock.json: the lock's SHA-256 is
# kept beside the packages once they are installed. By content, not by time: a fresh checkout (a clone, a
# worktree, a branch switch) makes the lock newer than any install without changing what it asks for.
# npm's cache lives outside the repo (~/.npm), so a rerun on the same machine installs from it without
# the network.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/node-runtime.sh"
stamp="$root/node_modules/.sparkflow-installed-lock.sha256"
lock="$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$lock" ]]; then
  echo "sparkflow: installing npm packages (npm ci)…" >&2
  (cd "$root" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
  echo "$lock" > "$stamp"
fi
