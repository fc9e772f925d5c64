#!/usr/bin/env bash
# Sets up, builds (release) and starts Roomplane with embedded defaults: SQLite at
# ./data/roomplane.db, a demo tenant on first start. Extra arguments go to `roomplane serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
  -DROOMPLANE_BUILD_BENCH=OFF >/dev/null
cmake --build build-release --target roomplane
exec ./build-release/src/app/roomplane serve "$@"
