#!/usr/bin/env bash
# Browser test of the coordinator dashboard: playwright-core drives Debian's Chromium (no
# browser download) against `roomplane serve`. Run from anywhere:
#   ROOMPLANE_BIN=/path/to/roomplane bash tests/browser/run.sh
# ROOMPLANE_BIN defaults to ../../build/src/app/roomplane (relative to tests/browser);
# ROOMPLANE_CHROMIUM to /usr/bin/chromium (scripts/setup.sh --test installs it).
# The screenshot goes to tests/browser/artifacts/dashboard.png. Exits non-zero if a test fails;
# the last lines are node's TAP summary (# pass / # fail).
set -euo pipefail
cd "$(dirname "$0")"

export ROOMPLANE_BIN="${ROOMPLANE_BIN:-$PWD/../../build/src/app/roomplane}"
export ROOMPLANE_CHROMIUM="${ROOMPLANE_CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$ROOMPLANE_BIN" ]]; then
  echo "browser tests: roomplane binary not found or not executable: $ROOMPLANE_BIN" >&2
  echo "  build it (cmake --build build --target roomplane) or set ROOMPLANE_BIN" >&2
  exit 2
fi
if [[ ! -x "$ROOMPLANE_CHROMIUM" ]]; then
  echo "browser tests: Chromium not found at $ROOMPLANE_CHROMIUM" >&2
  echo "  install it (bash scripts/setup.sh --test) or set ROOMPLANE_CHROMIUM" >&2
  exit 2
fi

# Exactly the locked dependencies (playwright-core only: it downloads no browser); quiet unless
# it fails.
npm_log=$(mktemp)
work=$(mktemp -d)
trap 'rm -f "$npm_log"; rm -rf "$work"' EXIT
if ! npm ci --no-audit --no-fund --loglevel=error >"$npm_log" 2>&1; then
  cat "$npm_log" >&2
  echo "browser tests: npm ci failed" >&2
  exit 2
fi
mkdir -p artifacts

node_flags=(--test --test-reporter=tap)
node_help=$(node --help)
[[ $node_help == *--test-timeout* ]] && node_flags+=(--test-timeout=90000)

set +e
timeout --kill-after=10 180 node "${node_flags[@]}" dashboard.test.mjs | tee "$work/tap.txt"
status=${PIPESTATUS[0]}
set -e

echo
echo "# browser tests summary (exit status $status)"
[[ -f artifacts/dashboard.png ]] && echo "# screenshot: $PWD/artifacts/dashboard.png"
grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$work/tap.txt" || true
exit "$status"
