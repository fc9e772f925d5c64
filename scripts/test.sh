#!/usr/bin/env bash
# Sets up, builds and runs every test:
#   1. formatting check (clang-format, the checked-in .clang-format)
#   2. debug build with warnings as errors, all unit and integration tests (ctest)
#   3. ASan+UBSan build, all unit tests again
#   4. end-to-end smoke test of the real binary (serve, curl, tenant CLI, SIGTERM)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test

jobs=$(nproc)
step() { printf '\n==> %s\n' "$*"; }

step "format check"
git ls-files -z -- 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp' \
  | xargs -0 -r clang-format --dry-run --Werror

step "debug build (-Werror) and tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Debug -DROOMPLANE_BUILD_BENCH=OFF >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 300

step "ASan+UBSan build and unit tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DROOMPLANE_SANITIZE=ON \
  -DROOMPLANE_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 600

step "end-to-end smoke test"
bash tests/e2e/smoke.sh build/src/app/roomplane
