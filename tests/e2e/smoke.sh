#!/usr/bin/env bash
# End-to-end smoke test of the real binary over real HTTP: serve with embedded defaults in a
# temporary directory, health, demo tenant, tenant CLI, key rotation and revocation through the
# cache TTL, encrypted credentials on disk, config errors, graceful SIGTERM.
set -euo pipefail
bin=$(realpath "${1:?usage: smoke.sh path/to/roomplane}")
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

passed=0
failed=0
check() {  # check "description" command...
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   - $what"; else failed=$((failed + 1)); echo "FAIL - $what"; fi
}
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

export ROOMPLANE_TENANT_CACHE_TTL_SECONDS=1
"$bin" serve --listen 127.0.0.1:0 >stdout.txt 2>stderr.txt &
server_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" stdout.txt 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^Roomplane is listening on \(http[^ ]*\).*/\1/p' stdout.txt)
demo_key=$(sed -n 's/.*demo API key[^:]*: \(rpk_[a-z2-7]*\).*/\1/p' stdout.txt)
check "server printed its URL" test -n "$url"
open_files_soft=$(awk '/^Max open files/ {print $4}' "/proc/$server_pid/limits")
open_files_hard=$(awk '/^Max open files/ {print $5}' "/proc/$server_pid/limits")
check "serve raised its open-file soft limit to the hard limit" test "$open_files_soft" = "$open_files_hard"
check "server printed the demo API key" test -n "$demo_key"
dashboard_token=$(sed -n 's/.*dashboard (valid for an hour): http[^#]*#token=\(rpd_[A-Za-z0-9_.-]*\).*/\1/p' stdout.txt)
check "server printed a dashboard URL with a token" test -n "$dashboard_token"
check "GET / is the dashboard page" grep -q '<title>' <(curl -s "$url/")
check "the printed dashboard token opens the hub" \
  test "$(status_of -X POST "$url/hubs/rooms/negotiate?negotiateVersion=1&access_token=$dashboard_token")" = 200
check "a dashboard token is not an API key" \
  test "$(status_of -H "Authorization: Bearer $dashboard_token" "$url/v1/tenant")" = 401
check "GET /healthz is 200" test "$(status_of "$url/healthz")" = 200
check "GET /readyz is 200" test "$(status_of "$url/readyz")" = 200
check "master key file is mode 600" test "$(stat -c %a data/master.key)" = 600
check "demo key authenticates" test "$(status_of -H "Authorization: Bearer $demo_key" "$url/v1/tenant")" = 200
check "no key is 401" test "$(status_of "$url/v1/tenant")" = 401
check "unknown key is 401" test "$(status_of -H "Authorization: Bearer rpk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "$url/v1/tenant")" = 401
check "401 body has the error code" grep -q '"code":"unauthenticated"' <(curl -s "$url/v1/tenant")

created=$("$bin" tenant create --name "Clinic Two" --db sqlite:./data/roomplane.db)
tenant=$(jq -r .tenant_id <<<"$created")
key=$(jq -r .api_key <<<"$created")
key_id=$(jq -r .api_key_id <<<"$created")
check "tenant create printed id and key" test -n "$tenant" -a -n "$key"
check "new tenant's key authenticates as that tenant" \
  test "$(curl -s -H "Authorization: Bearer $key" "$url/v1/tenant" | jq -r .tenant_id)" = "$tenant"
check "tenant list shows no key material" bash -c "! \"$bin\" tenant list | grep -q '$key'"

rotated=$("$bin" tenant rotate-key --tenant "$tenant" | jq -r .api_key)
check "rotated key works" test "$(status_of -H "Authorization: Bearer $rotated" "$url/v1/tenant")" = 200
check "old key still works before revocation" test "$(status_of -H "Authorization: Bearer $key" "$url/v1/tenant")" = 200
"$bin" tenant revoke-key --tenant "$tenant" --key-id "$key_id" >/dev/null
sleep 1.5  # one cache TTL
check "revoked key is 401 after one TTL" test "$(status_of -H "Authorization: Bearer $key" "$url/v1/tenant")" = 401
check "rotated key still works" test "$(status_of -H "Authorization: Bearer $rotated" "$url/v1/tenant")" = 200

"$bin" tenant set-twilio --tenant "$tenant" --account-sid AC0123456789abcdef0123456789abcdef \
  --api-key-sid SK0123456789abcdef0123456789abcdef --api-key-secret smoke-secret-value \
  --auth-token f00dfacef00dfacef00dfacef00dface >/dev/null
check "Twilio secret is not on disk in clear" bash -c "! grep -q smoke-secret-value data/roomplane.db*"
check "auth token is not on disk in clear" bash -c "! grep -q f00dfacef00dfacef00dfacef00dface data/roomplane.db*"
sleep 1.1
check "provider shows as configured" \
  test "$(curl -s -H "Authorization: Bearer $rotated" "$url/v1/tenant" | jq -r .provider.configured)" = true
configured=$("$bin" tenant configure --tenant "$tenant" --alert-url https://clinic.example/hooks \
  --composition-format webm)
check "tenant configure prints the changed settings" \
  test "$(jq -r '[.settings.alert_url, .settings.composition_format, .settings.composition_layout] | join(" ")' <<<"$configured")" = "https://clinic.example/hooks webm grid"
check "tenant configure prints a hex alert signing secret" \
  grep -Eq '^[0-9a-f]{64}$' <<<"$(jq -r .alert_signing_secret <<<"$configured")"
set +e
"$bin" tenant configure --tenant "$tenant" --composition-layout mosaic >/dev/null 2>err.txt; code=$?
set -e
check "an invalid tenant setting exits 1 naming it" \
  bash -c "test $code = 1 && grep -q '\"code\":\"invalid_tenant_settings\"' err.txt"
set +e
"$bin" tenant rotate-key --tenant tn_nope >/dev/null 2>err.txt; code=$?
set -e
check "unknown tenant exits 1" test "$code" = 1
check "unknown tenant error names the problem" grep -q '"code":"tenant_not_found"' err.txt
# Rooms and tokens with the embedded defaults: the demo tenant's room goes through the built-in
# emulator, and the token is for that room.
room_json=$(curl -s -X POST -H "Authorization: Bearer $demo_key" -d '{"name":"Smoke consultation"}' "$url/v1/rooms")
room_id=$(jq -r .id <<<"$room_json")
check "POST /v1/rooms creates an in-progress room" test "$(jq -r .status <<<"$room_json")" = in-progress
check "the room has a provider room SID" grep -q '^RM' <<<"$(jq -r .provider_room_sid <<<"$room_json")"
token_json=$(curl -s -X POST -H "Authorization: Bearer $demo_key" -d '{"identity":"dr-lee"}' "$url/v1/rooms/$room_id/tokens")
check "POST /v1/rooms/{id}/tokens issues a token for the identity" test "$(jq -r .identity <<<"$token_json")" = dr-lee
check "a bad identity is 422 naming the rule" grep -q '"code":"identity_invalid_start"' \
  <(curl -s -X POST -H "Authorization: Bearer $demo_key" -d '{"identity":"-x"}' "$url/v1/rooms/$room_id/tokens")
check "another tenant's room is 404" test "$(status_of -H "Authorization: Bearer $rotated" "$url/v1/rooms/$room_id")" = 404
check "GET /openapi.json is the contract" test "$(curl -s "$url/openapi.json" | jq -r '.paths | has("/v1/rooms")')" = true
check "metrics count requests by route" grep -q 'roomplane_http_requests_total{.*route="/v1/tenant"' <(curl -s "$url/metrics")
check "metrics report the database's WAL checkpoints" grep -q 'roomplane_sqlite_checkpoints_total{.*trigger="background"' <(curl -s "$url/metrics")
check "logs are JSON lines" bash -c "head -n 3 stderr.txt | jq -e . >/dev/null"
check "logs never contain an API key" bash -c "! grep -q rpk_ stderr.txt"

kill -TERM "$server_pid"
wait "$server_pid"; code=$?
server_pid=""
check "SIGTERM shuts down cleanly (exit 0)" test "$code" = 0
check "shutdown was logged" grep -q '"event":"stopped"' stderr.txt

set +e
"$bin" serve --listen nonsense >/dev/null 2>err.txt; code=$?
set -e
check "bad config exits 1" test "$code" = 1
check "bad config names the setting and its source" grep -q "listen: 'nonsense' is not HOST:PORT .*(from --listen)" err.txt

echo "smoke: $passed passed, $failed failed"
test "$failed" = 0
