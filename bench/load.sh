#!/usr/bin/env bash
# Load benchmarks over loopback with wrk, against the release binary:
#   - nginx answering a bare `return 204` (the machine's baseline, same run, same wrk settings)
#   - POST /v1/rooms/{id}/tokens (token issuance: auth, room look-up, identity policy, JWT)
#   - POST /webhooks/twilio/{tenant} with distinct, correctly signed callbacks (signature check,
#     parse, ledger + state fold + room row, durable commit before the 200), twice: each room's
#     callbacks back to back (webhook_ingestion), then every room's interleaved (webhook_interleaved)
# Prints one table. Usage: bash bench/load.sh [build dir with roomplane and
# roomplane_webhook_fixture, default build-bench]. Settings: LOAD_SECONDS (8), LOAD_CONNECTIONS
# (64), LOAD_THREADS (2), LOAD_ROOMS (20000 rooms x 14 callbacks for the webhook run).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
bin=$PWD/$build/src/app/roomplane
fixture=$PWD/$build/bench/roomplane_webhook_fixture
seconds=${LOAD_SECONDS:-8}
connections=${LOAD_CONNECTIONS:-64}
threads=${LOAD_THREADS:-2}
rooms=${LOAD_ROOMS:-20000}
for tool in wrk nginx jq curl; do
  command -v "$tool" >/dev/null || { echo "load.sh: $tool missing: run bash scripts/setup.sh --bench" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
  shuf -i 20000-60000 -n 1; }
wait_for() { for _ in $(seq 1 200); do curl -fs -o /dev/null "$1" && return 0; sleep 0.05; done; echo "load.sh: $1 never answered" >&2; exit 1; }

# wrk_run NAME URL SCRIPT: runs wrk and appends "name rps p50 p99 non2xx replayed" to results.
wrk_run() {
  local name=$1 url=$2 script=$3
  local out
  out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s "$script" "$url")
  echo "$out" >"$work/$name.wrk.txt"
  local rps p50 p99 non2xx replayed
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '/^p50_ms/ {print $2}' <<<"$out")
  p99=$(awk '/^p99_ms/ {print $2}' <<<"$out")
  non2xx=$(awk '/^non_2xx/ {print $2}' <<<"$out")
  replayed=$(awk '/^replayed_requests/ {print $2}' <<<"$out")
  echo "$name ${rps:-0} ${p50:-?} ${p99:-?} ${non2xx:-?} ${replayed:-0}" >>"$work/results"
}

# --- nginx baseline -----------------------------------------------------------------------------
nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { return 204; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
wait_for "http://127.0.0.1:$nginx_port/"
wrk_run nginx_return_204 "http://127.0.0.1:$nginx_port/" bench/wrk/plain.lua
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

# --- Roomplane ----------------------------------------------------------------------------------
port=$(free_port)
url="http://127.0.0.1:$port"
db="sqlite:$work/data/roomplane.db"
export ROOMPLANE_MASTER_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
account_sid=AC$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
auth_token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
created=$("$bin" tenant create --db "$db" --name "Bench clinic")
tenant=$(jq -r .tenant_id <<<"$created")
api_key=$(jq -r .api_key <<<"$created")
"$bin" tenant set-twilio --db "$db" --tenant "$tenant" --account-sid "$account_sid" \
  --api-key-sid SK$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n') \
  --api-key-secret "$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" --auth-token "$auth_token" >/dev/null
"$bin" serve --db "$db" --listen "127.0.0.1:$port" --public-url "$url" \
  --emulator-listen 127.0.0.1:0 --demo-tenant false --log-level warn >"$work/serve.out" 2>"$work/serve.err" &
pids+=($!)
server_pid=$!
wait_for "$url/readyz"

room=$(curl -fs -X POST -H "Authorization: Bearer $api_key" -H 'Content-Type: application/json' \
  -d '{"name":"bench room","type":"group"}' "$url/v1/rooms" | jq -r .id)
WRK_PATH="/v1/rooms/$room/tokens" WRK_BODY='{"identity":"bench-clinician","ttl_seconds":600}' \
  WRK_AUTH="$api_key" wrk_run token_issuance "$url" bench/wrk/post_json.lua

# The server's own cost per callback over a webhook run: CPU (utime + stime, fields 14 and 15
# of /proc/<pid>/stat) and what it handed to read/write calls (/proc/<pid>/io: SQLite's WAL
# frames, checkpoint copies and reads; sockets are not counted). Prints CPU ticks, then rchar,
# wchar and syscw in /proc/<pid>/io's order.
server_counters() {
  local stat
  stat=$(cat "/proc/$server_pid/stat")
  stat=${stat##*) }
  awk '{ print $12 + $13 }' <<<"$stat"
  awk '/^(wchar|syscw|rchar):/ { print $2 }' "/proc/$server_pid/io"
}
# The sum of every sample of a metric in the server's /metrics text (all label sets).
metric_sum() { curl -fs "$url/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%.6f\n", s }'; }
ledger_count() { sqlite3 "$work/data/roomplane.db" "SELECT count(*) FROM events WHERE tenant_id = '$tenant'"; }

# webhook_row NAME ORDER SEED: a wrk run of fresh signed callbacks in that order (see
# webhook_fixture.cpp), then the server's cost per stored callback, appended to costs.
webhook_row() {
  local name=$1 order=$2 seed=$3 stored_before stored before after
  "$fixture" --public-url "$url" --tenant "$tenant" --account-sid "$account_sid" \
    --auth-token "$auth_token" --rooms "$rooms" --order "$order" --seed "$seed" >"$work/$name.tsv"
  stored_before=$(ledger_count)
  local commits_before commit_seconds_before commits commit_seconds
  commits_before=$(metric_sum roomplane_webhook_batch_size_count)
  commit_seconds_before=$(metric_sum roomplane_webhook_commit_duration_seconds_sum)
  mapfile -t before < <(server_counters)
  local started=$EPOCHREALTIME
  WRK_REQUESTS="$work/$name.tsv" WRK_THREADS="$threads" wrk_run "$name" "$url" bench/wrk/replay.lua
  local wall
  wall=$(awk -v a="$EPOCHREALTIME" -v b="$started" 'BEGIN { print a - b }')
  mapfile -t after < <(server_counters)
  commits=$(metric_sum roomplane_webhook_batch_size_count)
  commit_seconds=$(metric_sum roomplane_webhook_commit_duration_seconds_sum)
  stored=$(($(ledger_count) - stored_before))
  # The ledger writer's batches over the run: callbacks per commit, and the share of the wrk
  # command's wall time it spent committing (near 1: the single writer is what limits the rate;
  # a lower bound, as the wall time includes wrk loading its requests).
  awk -v name="$name" -v n="$stored" -v tick="$(getconf CLK_TCK)" -v seconds="$wall" \
    -v cpu="$((after[0] - before[0]))" -v rchar="$((after[1] - before[1]))" \
    -v wchar="$((after[2] - before[2]))" -v syscw="$((after[3] - before[3]))" \
    -v commits="$(awk -v a="$commits" -v b="$commits_before" 'BEGIN { print a - b }')" \
    -v busy="$(awk -v a="$commit_seconds" -v b="$commit_seconds_before" 'BEGIN { print a - b }')" 'BEGIN {
      if (n > 0 && commits > 0)
        printf "%-20s %9d %7.0f %10.0f %8.1f %8.0f %8.1f %8.2f\n", name, n, 1e6 * cpu / tick / n,
          wchar / n, syscw / n, rchar / n, n / commits, busy / seconds }' >>"$work/costs"
}
# Grouped: each room's callbacks back to back (few rooms per commit); interleaved: every
# callback in flight names another room, as with many consultations at once.
webhook_row webhook_ingestion grouped 1
webhook_row webhook_interleaved interleaved 2

# --- Table --------------------------------------------------------------------------------------
echo
echo "wrk -t$threads -c$connections -d${seconds}s on loopback, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-20s %12s %10s %10s %8s %10s\n' benchmark requests/s p50_ms p99_ms non_2xx replayed
while read -r name rps p50 p99 non2xx replayed; do
  printf '%-20s %12s %10s %10s %8s %10s\n' "$name" "$rps" "$p50" "$p99" "$non2xx" "$replayed"
done <"$work/results"
nginx_rps=$(awk '$1=="nginx_return_204" {print $2}' "$work/results")
token_rps=$(awk '$1=="token_issuance" {print $2}' "$work/results")
echo
awk -v t="$token_rps" -v n="$nginx_rps" 'BEGIN { printf "token issuance / nginx return 204: %.0f%% (target >= 50%%)\n", 100 * t / n }'
echo "webhook target: >= 20000/s with p99 < 10 ms"
echo
echo "server per stored callback (CPU: /proc/<pid>/stat; bytes written, write calls, bytes read:"
echo "/proc/<pid>/io) and the ledger writer (callbacks per commit, share of the run committing):"
printf '%-20s %9s %7s %10s %8s %8s %8s %8s\n' benchmark stored cpu_us written_B writes read_B batch busy
cat "$work/costs"
