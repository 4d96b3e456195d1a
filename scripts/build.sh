#!/usr/bin/env bash
# Configures and builds one build type into its own directory.
#   scripts/build.sh [Release|Debug|Asan|Tsan] [build-dir] [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
type=${1:-Release}
dir=${2:-build-$(echo "$type" | tr '[:upper:]' '[:lower:]')}
shift $(($# > 2 ? 2 : $#))
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
