#!/usr/bin/env bash
# Builds (release) and runs every benchmark, printing one table. Usage: bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DROOMPLANE_BUILD_BENCH=ON >/dev/null
cmake --build build-bench --target roomplane_micro_bench
./build-bench/bench/roomplane_micro_bench --benchmark_min_time=0.2
