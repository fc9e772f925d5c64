#!/usr/bin/env bash
# Node tests of the Twilio emulator (the official twilio client against it, and OpenAPI
# conformance of its responses) and of the real-time hub (the official SignalR client against
# `roomplane serve`). Run from anywhere:
#   ROOMPLANE_BIN=/path/to/roomplane bash tests/node/run.sh
# ROOMPLANE_BIN defaults to ../../build/src/app/roomplane (relative to tests/node).
# Exits non-zero if any test fails; the last lines are node's TAP summary (# pass / # fail).
set -euo pipefail
cd "$(dirname "$0")"

export ROOMPLANE_BIN="${ROOMPLANE_BIN:-$PWD/../../build/src/app/roomplane}"
if [[ ! -x "$ROOMPLANE_BIN" ]]; then
  echo "node tests: roomplane binary not found or not executable: $ROOMPLANE_BIN" >&2
  echo "  build it (cmake --build build --target roomplane) or set ROOMPLANE_BIN" >&2
  exit 2
fi

# Exactly the locked dependencies; quiet unless it fails.
npm_log=$(mktemp)
trap 'rm -f "$npm_log"' EXIT
if ! npm ci --no-audit --no-fund --loglevel=error >"$npm_log" 2>&1; then
  cat "$npm_log" >&2
  echo "node tests: npm ci failed" >&2
  exit 2
fi

# Each file starts its own emulator on an ephemeral port. The files run one after the other
# (a few seconds each) so the output is deterministic. Per-test timeouts are set in the files;
# `timeout` bounds the whole run. Flags are used only where this node knows them.
node_flags=(--test --test-reporter=tap)
node_help=$(node --help)
[[ $node_help == *--test-timeout* ]] && node_flags+=(--test-timeout=90000)
[[ $node_help == *--test-concurrency* ]] && node_flags+=(--test-concurrency=1)

work=$(mktemp -d)
trap 'rm -f "$npm_log"; rm -rf "$work"' EXIT
# conformance.test.mjs writes its table here instead of into the TAP stream; it is printed
# after the run, followed by node's summary again so the last lines are "# pass N" / "# fail N".
export ROOMPLANE_CONFORMANCE_TABLE="$work/conformance-table.txt"
set +e
timeout --kill-after=10 240 node "${node_flags[@]}" twilio_client.test.mjs conformance.test.mjs hub.test.mjs durability.test.mjs | tee "$work/tap.txt"
status=${PIPESTATUS[0]}
set -e

if [[ -s $ROOMPLANE_CONFORMANCE_TABLE ]]; then
  echo
  cat "$ROOMPLANE_CONFORMANCE_TABLE"
fi
echo
echo "# node tests summary (exit status $status)"
grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$work/tap.txt" || true
exit "$status"
