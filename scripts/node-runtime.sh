# Sourced by every entry script (npm start, npm test, the stack, the CLI, the bench): puts the Node.js
# release pinned in .nvmrc first on PATH. When the machine's own `node` is another release, the pinned
# one is installed once from the npm registry (the `node` package carries the official binary) into
# $SPARKFLOW_CACHE/node/<version> (default ~/.cache/sparkflow), outside the repository.
# shellcheck shell=bash
_sparkflow_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_sparkflow_node="$(tr -d '[:space:]' < "$_sparkflow_root/.nvmrc")"
if [[ "$(node --version 2>/dev/null || true)" != "v$_sparkflow_node" ]]; then
  _sparkflow_dir="${SPARKFLOW_CACHE:-$HOME/.cache/sparkflow}/node/$_sparkflow_node"
  if [[ ! -x "$_sparkflow_dir/node_modules/node/bin/node" ]]; then
    echo "sparkflow: installing Node.js $_sparkflow_node from the npm registry into $_sparkflow_dir (first run only)…" >&2
    mkdir -p "$_sparkflow_dir"
    npm install --prefix "$_sparkflow_dir" --no-audit --no-fund --no-save --loglevel=error "node@$_sparkflow_node" >&2
    if [[ "$("$_sparkflow_dir/node_modules/node/bin/node" --version 2>/dev/null || true)" != "v$_sparkflow_node" ]]; then
      echo "sparkflow: could not install Node.js $_sparkflow_node (npm install node@$_sparkflow_node); install it yourself (nvm install reads .nvmrc)" >&2
      exit 1
    fi
  fi
  export PATH="$_sparkflow_dir/node_modules/node/bin:$PATH"
fi
# kafkajs 2.2.4, the Kafka client of the services, the stack command, the CLI and the tests, schedules a
# request-queue check with a delay that can come out negative; Node 24 clamps it to 1 ms (what kafkajs
# meant) and prints TimeoutNegativeWarning on stderr. Only that warning is turned off, for every process
# the entry scripts start; every other warning still prints.
case " ${NODE_OPTIONS:-} " in
  *" --disable-warning=TimeoutNegativeWarning "*) ;;
  *) export NODE_OPTIONS="--disable-warning=TimeoutNegativeWarning${NODE_OPTIONS:+ $NODE_OPTIONS}" ;;
esac
unset _sparkflow_root _sparkflow_node _sparkflow_dir
