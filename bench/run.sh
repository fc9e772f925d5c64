#!/usr/bin/env bash
# Builds (release) and runs every benchmark, printing one table each:
#   1. micro-benchmarks (Google Benchmark)
#   2. load over loopback with wrk: nginx baseline, token issuance, webhook ingestion (load.sh)
#   3. real-time hub: 10,000 connections' memory, webhook-to-client delivery latency (hub.sh)
#   4. composition worker cycles with 1,000 vs 100,000 ended rooms of history (worker_bench.cpp)
# Usage: bash bench/run.sh   (BENCH_ONLY=micro|load|hub|workers for one of them)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --bench
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DROOMPLANE_BUILD_BENCH=ON >/dev/null
cmake --build build-bench --target roomplane_micro_bench roomplane_webhook_fixture \
  roomplane_hub_bench roomplane_worker_bench roomplane
if [[ -z "${BENCH_ONLY:-}" || "${BENCH_ONLY}" == micro ]]; then
  ./build-bench/bench/roomplane_micro_bench --benchmark_min_time=0.2
fi
if [[ -z "${BENCH_ONLY:-}" || "${BENCH_ONLY}" == load ]]; then
  bash bench/load.sh build-bench
fi
if [[ -z "${BENCH_ONLY:-}" || "${BENCH_ONLY}" == hub ]]; then
  bash bench/hub.sh build-bench
fi
if [[ -z "${BENCH_ONLY:-}" || "${BENCH_ONLY}" == workers ]]; then
  ./build-bench/bench/roomplane_worker_bench 1000 100000
fi
