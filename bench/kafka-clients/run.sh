#!/usr/bin/env bash
# `npm run bench:kafka-clients [-- --messages N]`: the Kafka clients compared on one workload, on the running broker.
# What is measured: bench/README.md and the report it writes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
source ../../scripts/node-runtime.sh
if [ ! -f node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node ] ||
  [ ! -f node_modules/@platformatic/kafka/package.json ]; then
  # The confluent package's prebuilt binary comes from GitHub releases and its default source build
  # downloads zlib, OpenSSL, zstd and curl sources: both fail where only the npm registry is reachable. Linking the
  # bundled librdkafka dynamically (CKJS_LINKING=dynamic) builds it from the npm tarball alone, against
  # the system's zlib and OpenSSL; the node headers come from the local node install, not a download.
  nodedir="$(cd "$(dirname "$(readlink -f "$(command -v node)")")/.." && pwd)"
  if [ -f "$nodedir/include/node/node_version.h" ]; then export npm_config_nodedir="$nodedir"; fi
  CKJS_LINKING=dynamic npm_config_build_from_source=true npm install --no-audit --no-fund
fi
exec node src/main.mjs "$@"
