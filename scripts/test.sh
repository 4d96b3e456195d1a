#!/usr/bin/env bash
# Installs the dependencies, then builds and runs the CI suite twice: optimised (Release) and
# under ASan+UBSan. Every test that needs a server starts its own on 127.0.0.1 and stops it.
# Soak runs, long fuzzing and benchmarks are separate commands (README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)

jobs=$(nproc)
status=0
for type in Release Asan; do
  dir=build-$(echo "$type" | tr '[:upper:]' '[:lower:]')
  echo "== $type build ($dir)"
  scripts/build.sh "$type" "$dir"
  echo "== $type tests"
  # Sanitizer reports abort the process, so a report is a failed test.
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 900; then
    status=1
  fi
done
exit $status
