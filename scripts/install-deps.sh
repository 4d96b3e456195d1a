#!/usr/bin/env bash
# Installs every Debian package the build, tests, fuzzers and benchmarks need, and the npm client
# used by the compatibility tests. Safe to run again; needs root (or sudo) and Debian 12.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  clang libclang-rt-14-dev clang-format
  libsqlite3-dev sqlite3 liburing-dev node-llhttp libsimdjson-dev libssl-dev libzstd-dev
  libxxhash-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
  curl wrk python3 iproute2 procps valgrind
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi

# Node.js and npm drive the rqlite-js compatibility test. Some images ship a Node.js build that
# bundles npm (and conflicts with Debian's npm package), so Debian's are only added when absent.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi
