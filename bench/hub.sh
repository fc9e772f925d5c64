#!/usr/bin/env bash
# Real-time hub benchmark over loopback, against the release binary (bench/hub_bench.cpp is the
# client):
#   1. 10,000 concurrent hub WebSocket connections: the server's resident memory per
#      connection (VmRSS with them open - VmRSS before, divided by the connections).
#      Target < 25 KB.
#   2. Webhook-to-client delivery latency: 100 hub clients, signed participant-connected
#      callbacks due at 5,000/s; latency = a client's receipt of the ParticipantJoined minus
#      the time the callback was due, over every (event, client) delivery. Target p99 < 10 ms.
#      Measured from the due time, not the write, so a callback held back while the server was
#      slow counts that wait (no "coordinated omission"); the p99 from the write is printed too.
#      Also reported: the webhook's own acknowledgement time (due to 2xx, which the server
#      answers once the event is durable): the part of the latency that is ingestion, not hub.
#      And, from the server's own metrics over the run: its mean submit-to-durable time and hub
#      fan-out time, the ledger writer's mean batch, commit time and busy fraction, and its CPU
#      per callback, so a missed target says which part missed it.
# Each run gets a fresh server (temp SQLite database, built-in Twilio emulator), so the memory
# baseline is not inflated by another run. Prints one table.
#
# Usage: bash bench/hub.sh [build dir with roomplane and roomplane_hub_bench, default
# build-bench]. Settings: HUB_CONNECTIONS (10000), HUB_CLIENTS (100), HUB_RATES (events/s, one
# latency run each, default "5000"), HUB_SECONDS (10 measured, after HUB_WARMUP_SECONDS=2),
# HUB_ROOMS (3000), HUB_SENDERS (128 keep-alive connections, see below); HUB_ONLY=connections or
# HUB_ONLY=latency runs one part.
#
# Rooms: callbacks are spread over HUB_ROOMS rooms created through POST /v1/rooms (only rooms
# linked to a local room produce hub events). 3000 rooms keep a room at <= 20 participants over
# the 60,000 callbacks of a default run. Far fewer rooms is not a hub test: a room's stored
# state holds all its participants and is rewritten per commit, so with 50 rooms (1,200
# participants each) ingestion itself falls to a few hundred callbacks/s (bench/README.md).
#
# Senders: each sender connection has one callback in flight (as a Twilio request does), so
# the sender can offer at most HUB_SENDERS / (acknowledgement time) callbacks/s. With 32 it
# could not hold 5,000/s once acknowledgements took more than 6.4 ms: its schedule slipped by
# up to 2 s and the latency was measured at 4,300-4,900/s (bench/README.md, 2026-12-03 16:43).
# With 128 the slip was 7-30 ms at 5,000/s (once 103 ms, when the machine was slowest); the
# table warns when the rate is still missed.
#
# File descriptors: the server holds one per connection; serve raises its soft limit to the
# hard limit at start, and so does the client (setrlimit). The check below stops early when the
# hard limit cannot hold the connections asked for.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
bin=$PWD/$build/src/app/roomplane
client=$PWD/$build/bench/roomplane_hub_bench
connections=${HUB_CONNECTIONS:-10000}
clients=${HUB_CLIENTS:-100}
rates=${HUB_RATES:-5000}
seconds=${HUB_SECONDS:-10}
warmup=${HUB_WARMUP_SECONDS:-2}
rooms=${HUB_ROOMS:-3000}
senders=${HUB_SENDERS:-128}
for tool in jq curl; do
  command -v "$tool" >/dev/null || { echo "hub.sh: $tool missing: run bash scripts/setup.sh --bench" >&2; exit 2; }
done
for file in "$bin" "$client"; do
  [[ -x $file ]] || { echo "hub.sh: $file missing: cmake --build $build --target roomplane roomplane_hub_bench" >&2; exit 2; }
done

ulimit -n "$(ulimit -Hn)"
if [[ ${HUB_ONLY:-} != latency ]] && (( $(ulimit -n) < connections + 256 )); then
  echo "hub.sh: the hard limit on open files ($(ulimit -Hn)) is below $connections connections + 256" >&2
  exit 2
fi

work=$(mktemp -d)
server_pid=
stop_server() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
  shuf -i 20000-60000 -n 1; }
wait_for() { for _ in $(seq 1 200); do curl -fs -o /dev/null "$1" && return 0; sleep 0.05; done; echo "hub.sh: $1 never answered" >&2; exit 1; }
rand_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# The tenant's Twilio credentials are known here, so the client can sign callbacks. In emulator
# mode serve registers stored credentials with the emulator at start (app/emulator_accounts.h),
# so creating rooms through the API works with them.
export ROOMPLANE_MASTER_KEY=$(rand_hex 32)
account_sid=AC$(rand_hex 16)
auth_token=$(rand_hex 16)

# start_server NAME: a fresh database and server; sets url, tenant, api_key, server_pid.
start_server() {
  local name=$1
  local db="sqlite:$work/$name/roomplane.db"
  mkdir -p "$work/$name"
  local created
  created=$("$bin" tenant create --db "$db" --name "Hub bench clinic")
  tenant=$(jq -r .tenant_id <<<"$created")
  api_key=$(jq -r .api_key <<<"$created")
  "$bin" tenant set-twilio --db "$db" --tenant "$tenant" --account-sid "$account_sid" \
    --api-key-sid "SK$(rand_hex 16)" --api-key-secret "$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" \
    --auth-token "$auth_token" >/dev/null
  local port
  port=$(free_port)
  url="http://127.0.0.1:$port"
  "$bin" serve --db "$db" --listen "127.0.0.1:$port" --public-url "$url" \
    --emulator-listen 127.0.0.1:0 --demo-tenant false --log-level warn \
    >"$work/$name/serve.out" 2>"$work/$name/serve.err" &
  server_pid=$!
  wait_for "$url/readyz"
}

# value FILE KEY: a "key value" line of the client's output.
value() { awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$1"; }
failed=()

# --- 1. Connections and memory ------------------------------------------------------------------
if [[ ${HUB_ONLY:-} != latency ]]; then
  start_server connections
  echo "hub.sh: $connections connections, server pid $server_pid, open files limit $(ulimit -n)" >&2
  "$client" connections --url "$url" --token "$api_key" --pid "$server_pid" \
    --connections "$connections" >"$work/connections.txt" || failed+=(connections)
  stop_server
fi

# --- 2. Delivery latency under load, one run per rate -----------------------------------------------
if [[ ${HUB_ONLY:-} != connections ]]; then
  for rate in $rates; do
    start_server "latency-$rate"
    "$client" latency --url "$url" --public-url "$url" --token "$api_key" --tenant "$tenant" \
      --account-sid "$account_sid" --auth-token "$auth_token" --pid "$server_pid" \
      --clients "$clients" --rate "$rate" --seconds "$seconds" --warmup-seconds "$warmup" \
      --rooms "$rooms" --senders "$senders" >"$work/latency-$rate.txt" || failed+=("latency at $rate/s")
    stop_server
  done
fi

# --- Table --------------------------------------------------------------------------------------
row() { printf '%-46s %-26s %s\n' "$1" "$2" "$3"; }
echo
echo "hub benchmark on loopback, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
row benchmark figure target
if [[ ${HUB_ONLY:-} != latency ]]; then
  c=$work/connections.txt
  row "hub connections open (server's count)" \
    "$(value "$c" connections_open) / $connections ($(value "$c" server_hub_connections_active))" "$connections"
  row "  time to open them" "$(value "$c" connect_seconds) s" ""
  row "  server RSS before / with them open" \
    "$(awk -v a="$(value "$c" server_rss_before_bytes)" -v b="$(value "$c" server_rss_open_bytes)" \
      'BEGIN { printf "%.1f / %.1f MiB", a / 1048576, b / 1048576 }')" ""
  row "server memory per connection" \
    "$(awk -v b="$(value "$c" bytes_per_connection)" 'BEGIN { printf "%d B (%.1f KiB)", b, b / 1024 }')" "< 25 KB"
fi
if [[ ${HUB_ONLY:-} != connections ]]; then
  for rate in $rates; do
    l=$work/latency-$rate.txt
    row "delivery latency at $rate/s: p50 / p90" "$(value "$l" p50_ms) / $(value "$l" p90_ms) ms" ""
    row "  p99" "$(value "$l" p99_ms) ms" "< 10 ms"
    row "  p99.9 / max" "$(value "$l" p999_ms) / $(value "$l" max_ms) ms" ""
    row "  p50 / p99 from the write (not the due time)" "$(value "$l" from_write_p50_ms) / $(value "$l" from_write_p99_ms) ms" ""
    row "  webhook acknowledged: p50 / p99" "$(value "$l" ack_p50_ms) / $(value "$l" ack_p99_ms) ms" ""
    row "  webhook acknowledged p99 from the write" "$(value "$l" ack_from_write_p99_ms) ms" ""
    row "  callbacks sent (achieved rate)" "$(value "$l" send_rate) /s" "$rate /s"
    row "  max schedule slip of the sender" "$(value "$l" max_send_lag_ms) ms" ""
    awk -v a="$(value "$l" send_rate)" -v r="$rate" 'BEGIN { if (a < 0.99 * r)
      printf "  warning: the sender reached only %.0f of %d callbacks/s: the latency above is at that lower load\n", a, r }'
    row "  non-2xx / transport errors" "$(value "$l" non_2xx) / $(value "$l" send_errors)" "0 / 0"
    row "  deliveries received / expected" "$(value "$l" deliveries) / $(value "$l" deliveries_expected)" "equal"
    row "  hub events dropped (server metric)" "$(value "$l" server_hub_events_dropped)" "0"
    row "  server: to durable / hub fan-out (means)" \
      "$(value "$l" server_ingest_mean_ms) / $(value "$l" server_hub_dispatch_mean_ms) ms" ""
    row "  server: commit batch, commit time, busy" \
      "$(value "$l" server_commit_batch_mean) callbacks, $(value "$l" server_commit_mean_ms) ms, $(value "$l" server_writer_busy)" ""
    row "  server CPU per callback" "$(value "$l" server_cpu_us_per_callback) us" ""
    row "  server file I/O per callback: written, calls" \
      "$(value "$l" server_write_bytes_per_callback) B, $(value "$l" server_write_calls_per_callback) writes" ""
    row "  server file bytes read per callback" "$(value "$l" server_read_bytes_per_callback) B" ""
    row "  CPU cores: machine / server / client" \
      "$(value "$l" cpu_cores_machine) / $(value "$l" cpu_cores_server) / $(value "$l" cpu_cores_client)" "of $(nproc)"
    # The rest is the kernel's disk writeback (a few tenths of a core here) and other processes.
    awk -v m="$(value "$l" cpu_cores_machine)" -v s="$(value "$l" cpu_cores_server)" \
      -v c="$(value "$l" cpu_cores_client)" 'BEGIN { if (m - s - c > 0.35)
        printf "  warning: %.2f cores went to other work during this run: its figures are upper bounds\n", m - s - c }'
  done
  echo "(latency: $clients hub clients, $rooms rooms, $senders sender connections, ${warmup} s warm-up + ${seconds} s measured)"
fi
if (( ${#failed[@]} > 0 )); then
  echo "hub.sh: incomplete: ${failed[*]}" >&2
  grep -h '^first_' "$work"/*.txt >&2 || true
  exit 1
fi
