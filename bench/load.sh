#!/usr/bin/env bash
# Load benchmarks over loopback with wrk, against the release binary:
#   - nginx answering a bare `return 204` (the machine's baseline, same run, same wrk settings)
#   - POST /v1/rooms/{id}/tokens (token issuance: auth, room look-up, identity policy, JWT)
#   - POST /webhooks/twilio/{tenant} with distinct, correctly signed callbacks (signature check,
#     parse, ledger + state fold + projection, durable commit before the 200)
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
wait_for "$url/readyz"

room=$(curl -fs -X POST -H "Authorization: Bearer $api_key" -H 'Content-Type: application/json' \
  -d '{"name":"bench room","type":"group"}' "$url/v1/rooms" | jq -r .id)
WRK_PATH="/v1/rooms/$room/tokens" WRK_BODY='{"identity":"bench-clinician","ttl_seconds":600}' \
  WRK_AUTH="$api_key" wrk_run token_issuance "$url" bench/wrk/post_json.lua

"$fixture" --public-url "$url" --tenant "$tenant" --account-sid "$account_sid" \
  --auth-token "$auth_token" --rooms "$rooms" >"$work/callbacks.tsv"
WRK_REQUESTS="$work/callbacks.tsv" WRK_THREADS="$threads" wrk_run webhook_ingestion "$url" bench/wrk/replay.lua
stored=$(sqlite3 "$work/data/roomplane.db" "SELECT count(*) FROM events WHERE tenant_id = '$tenant'")

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
echo "webhook events stored in the ledger: $stored (target >= 20000/s, p99 < 10 ms)"
