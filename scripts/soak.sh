#!/usr/bin/env bash
# Soak test: the release server under a mixed load for SECONDS (default 300): session refreshes,
# password logins, ID token exchanges and a stream of malformed requests, each from its own wrk,
# while another process keeps adding users to the same database. Then it checks:
#   - no 5xx answer at all (503, the documented "busy" answer, excepted),
#   - resident memory after warm-up (the first fifth of the run) grows by at most
#     RSS_BOUND_MIB (default 16),
#   - after a restart, every user created during the run is there and can log in.
# Usage: scripts/soak.sh [SECONDS] [RSS_BOUND_MIB]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
bound=${2:-16}

source scripts/load/lib.sh
need_venv
cargo build --release --locked --quiet -p twilio-token-cli

bin=target/release/twilio-token
db="sqlite://$work/users.db"
keys=$PWD/crates/twilio-token/tests/fixtures/keys
export TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef TWILIO_API_KEY_SID=SK0123456789abcdef0123456789abcdef
export TWILIO_API_KEY_SECRET=soak-test-secret RUST_LOG=warn
cat > "$work/issuers.json" <<JSON
{"issuers": [{"issuer": "https://idp.example.com/", "audiences": ["twilio-app"],
              "jwks_file": "$keys/jwks.json", "algorithms": ["RS256"]}]}
JSON
echo "soak password 1" | "$bin" users add soak --password-stdin --database-url "$db" 2>/dev/null

serve() {
    start "$work/server" "$bin" serve --bind 127.0.0.1:0 --database-url "$db" --issuers "$work/issuers.json"
}
serve
server_pid=$pid
cookie=$(curl -s -D - -o /dev/null -X POST "$url/token" -H 'content-type: application/json' \
    -d '{"username":"soak","password":"soak password 1"}' | sed -n 's/^set-cookie: \([^;]*\).*/\1/pI')
[ -n "$cookie" ] || { echo "login failed" >&2; exit 1; }
id_token=$("$venv/bin/python" scripts/load/id_token.py "$keys/rsa_a.pem" RS256 rsa_a https://idp.example.com/ twilio-app)

echo "soak: ${seconds}s of mixed load on $url"
for mix in refresh:4 exchange:4 bad:4 login:2; do
    SOAK_MIX=${mix%:*} COOKIE=$cookie ID_TOKEN=$id_token \
        wrk -t1 -c"${mix#*:}" -d"${seconds}s" -s scripts/load/soak.lua "$url/token" > "$work/${mix%:*}.wrk" &
    pids+=("$!")
done
# Users created by another process while the server runs.
( i=0; end=$((SECONDS + seconds)); while [ $SECONDS -lt $end ]; do
      i=$((i + 1)); echo "pw-$i-secret" | "$bin" users add "soak-$i" --password-stdin --database-url "$db" 2>/dev/null && echo "soak-$i"
      sleep 0.5
  done ) > "$work/created" &
creator=$!
# Resident memory once a second.
( end=$((SECONDS + seconds)); while [ $SECONDS -lt $end ]; do
      awk '/VmRSS/ {print $2}' "/proc/$server_pid/status"; sleep 1
  done ) > "$work/rss" &
sampler=$!
wait "$creator" "$sampler"
sleep 2
for mix in refresh exchange bad login; do
    [ -s "$work/$mix.wrk" ] || sleep 2
done
wait "${pids[@]:1}" 2>/dev/null || true

fail=0
printf '%-10s %10s %10s %8s\n' mix requests "req/s" 5xx
for mix in refresh exchange bad login; do
    requests=$(awk '/requests in/ {print $1}' "$work/$mix.wrk")
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/$mix.wrk")
    errors=$(awk '/^server_errors/ {print $2}' "$work/$mix.wrk")
    printf '%-10s %10s %10s %8s\n' "$mix" "$requests" "$rps" "$errors"
    [ "${errors:-1}" = 0 ] || fail=1
done
samples=$(wc -l < "$work/rss")
warm=$((samples / 5 + 1))
read -r at_warm peak final < <(awk -v w="$warm" 'NR == w {a = $1} NR >= w && $1 > p {p = $1} {f = $1} END {print a, p, f}' "$work/rss")
growth=$(( (peak - at_warm) / 1024 ))
echo "resident memory: $((at_warm / 1024)) MiB after warm-up, peak $((peak / 1024)) MiB, final $((final / 1024)) MiB: growth ${growth} MiB (bound ${bound} MiB)"
[ "$growth" -le "$bound" ] || fail=1

kill -TERM "$server_pid"; wait "$server_pid" || true
serve
created=$(wc -l < "$work/created")
missing=$(comm -23 <(sort "$work/created") <("$bin" users list --database-url "$db" | awk '{print $1}' | sort) | wc -l)
last=$(tail -1 "$work/created")
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/token" -H 'content-type: application/json' \
    -d "{\"username\":\"$last\",\"password\":\"pw-${last#soak-}-secret\"}")
echo "users created during the run: $created; missing after a restart: $missing; login as $last after the restart: $status"
[ "$missing" = 0 ] && [ "$created" -gt 0 ] && [ "$status" = 200 ] || fail=1
grep -i -E "panic|soak password|pw-[0-9]+-secret|$TWILIO_API_KEY_SECRET" "$work/server.err" && { echo "the log holds a secret or a panic" >&2; fail=1; }
[ "$fail" = 0 ] && echo "soak: passed" || { echo "soak: FAILED" >&2; exit 1; }
