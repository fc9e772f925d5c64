#!/usr/bin/env bash
# Sets up, builds and runs every test:
#   1. formatting check (clang-format, the checked-in .clang-format)
#   2. one debug build with ASan+UBSan and warnings as errors; every unit and integration test
#      (ctest) runs under the sanitizers
#   3. end-to-end smoke test of that binary (serve, curl, tenant CLI, SIGTERM)
#   4. node tests: the official twilio package and OpenAPI conformance against the emulator
#   5. browser test: the coordinator dashboard in Debian's Chromium (playwright-core); its
#      screenshot is left in tests/browser/artifacts/
# One sanitized build instead of a plain one plus a sanitized one keeps CI within its time on two
# cores; the end-to-end and node tests then also run under the sanitizers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test

jobs=$(nproc)
step() { printf '\n==> %s\n' "$*"; }

step "format check"
git ls-files -z -- 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp' \
  | xargs -0 -r clang-format --dry-run --Werror

step "debug build with ASan+UBSan (-Werror) and tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DROOMPLANE_SANITIZE=ON \
  -DROOMPLANE_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 600

step "end-to-end smoke test"
bash tests/e2e/smoke.sh build-asan/src/app/roomplane

step "node tests (official twilio client, OpenAPI conformance)"
ROOMPLANE_BIN="$PWD/build-asan/src/app/roomplane" bash tests/node/run.sh

step "browser test (coordinator dashboard in Chromium)"
ROOMPLANE_BIN="$PWD/build-asan/src/app/roomplane" bash tests/browser/run.sh
