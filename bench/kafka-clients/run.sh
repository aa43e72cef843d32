#!/usr/bin/env bash
# `npm run bench:kafka-clients [-- --messages N]`: the Kafka clients compared on one workload, on the running broker.
# What is measured: bench/README.md and the report it writes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
source ../../scripts/node-runtime.sh
clients_load() { node -e 'require("@confluentinc/kafka-javascript"); require.resolve("@platformatic/kafka")' 2>/dev/null; }
# Installed when a client is missing; the confluent addon rebuilt when it was built for another node release.
if ! clients_load; then
  # The confluent package's prebuilt binary comes from GitHub releases and its default source build
  # downloads zlib, OpenSSL, zstd and curl sources: both fail where only the npm registry is reachable. Linking the
  # bundled librdkafka dynamically (CKJS_LINKING=dynamic) builds it from the npm tarball alone, against
  # the system's zlib and OpenSSL; the node headers come from the local node install, not a download.
  # A system install keeps them next to bin/; the npm registry's `node` package in its node-<platform> dependency.
  nodebin="$(dirname "$(node -p process.execPath)")"
  for nodedir in "$nodebin/.." "$nodebin"/../node_modules/node-*; do
    if [ -f "$nodedir/include/node/node_version.h" ]; then
      export npm_config_nodedir="$(cd "$nodedir" && pwd)"
      break
    fi
  done
  export CKJS_LINKING=dynamic npm_config_build_from_source=true
  npm install --no-audit --no-fund
  clients_load || npm rebuild @confluentinc/kafka-javascript
fi
exec node src/main.mjs "$@"
