#!/usr/bin/env bash
# Installs everything Roomplane needs to build, run and test on Debian 12.
# Idempotent: packages already present are skipped, so a second run is quick.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libsqlite3-dev sqlite3
  libssl-dev libcurl4-openssl-dev libcli11-dev libtomlplusplus-dev libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  curl ca-certificates clang-format jq
)
# The build embeds the dashboard's SignalR browser client from npm (web/, below), so node and
# npm are build dependencies: only installed when no node is on PATH (a newer one may be).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
for arg in "$@"; do
  case "$arg" in
    --test | --bench | --fuzz) ;;
    *) echo "usage: setup.sh [--test] [--bench] [--fuzz]" >&2; exit 2 ;;
  esac
done
if [[ " $* " == *" --bench "* ]]; then
  # Load generator and the nginx baseline of bench/load.sh.
  packages+=(wrk nginx-light)
fi
if [[ " $* " == *" --fuzz "* ]]; then
  # fuzz/run.sh: libFuzzer comes with clang's runtime libraries.
  packages+=(clang-14 libclang-rt-14-dev)
fi
if [[ " $* " == *" --test "* ]]; then
  # Sanitizer runtime for the ASan/UBSan build and the tools the tests drive.
  packages+=(libasan8 libubsan1)
  # Browser test of the dashboard (tests/browser): playwright-core drives Debian's Chromium
  # (no browser download); a font so the screenshot has text.
  packages+=(chromium fonts-dejavu-core)
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all packages present" >&2
fi

# The dashboard's one third-party file, the official SignalR browser client, comes from the npm
# package pinned in web/package-lock.json; the build embeds it (src/app/CMakeLists.txt). `npm ci`
# only when the lock changed since the last install (a stamp in node_modules), so a second run
# is quick and offline.
web="$(cd "$(dirname "$0")/.." && pwd)/web"
if ! cmp -s "$web/package-lock.json" "$web/node_modules/.roomplane-lock-stamp" 2>/dev/null; then
  echo "setup: npm ci in web/ (the dashboard's SignalR client)" >&2
  (cd "$web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  cp "$web/package-lock.json" "$web/node_modules/.roomplane-lock-stamp"
else
  echo "setup: web/ packages present" >&2
fi
