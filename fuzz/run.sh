#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz (clang, ASan+UBSan) and runs each one for a number
# of seconds on a copy of its seed corpus, then prints target / runs / result.
#   bash fuzz/run.sh [seconds per target, default 60] [target ...]
# Crash inputs are left in build-fuzz/fuzz-out/<target>/ (crash-*, leak-*, timeout-*, oom-*),
# with the run's log in build-fuzz/fuzz-out/<target>.log. Exits 1 if any target failed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(form callback timestamp signalr state_decode tokens signature)
fi

bash scripts/setup.sh --fuzz
build=build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  CC=${CC:-clang-14} CXX=${CXX:-clang++-14} cmake -S . -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROOMPLANE_BUILD_FUZZ=ON -DBUILD_TESTING=OFF \
    -DROOMPLANE_BUILD_BENCH=OFF >/dev/null
fi
ninja -C "$build" -j "${JOBS:-2}" "${targets[@]/#/fuzz_}" >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
out=$build/fuzz-out
mkdir -p "$out"
status=0
rows=()
for target in "${targets[@]}"; do
  corpus=$out/$target-corpus
  rm -rf "$corpus" && mkdir -p "$corpus" "$out/$target"
  cp fuzz/corpus/"$target"/* "$corpus"/
  log=$out/$target.log
  result=clean
  if ! "$build/fuzz/fuzz_$target" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 \
      -timeout=10 -artifact_prefix="$out/$target/" -print_final_stats=1 >"$log" 2>&1; then
    result="FAILED (see $log)"
    status=1
  fi
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || true)
  rows+=("$(printf '%-14s %12s  %s' "$target" "${runs:-?}" "$result")")
done
printf '%-14s %12s  %s\n' target runs result
printf '%s\n' "${rows[@]}"
exit $status
