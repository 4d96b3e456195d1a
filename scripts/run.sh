#!/usr/bin/env bash
# Installs the dependencies, builds a Release uqlited and starts one node in the foreground.
# With no arguments: node 1, HTTP on localhost:4001, Raft on localhost:4002, data in ./data.
# Any arguments replace those (they are uqlited's flags and data directory).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh Release build-release
if [ $# -eq 0 ]; then
  set -- -node-id 1 -http-addr localhost:4001 -raft-addr localhost:4002 ./data
fi
exec build-release/server/uqlited "$@"
