#!/usr/bin/env bash
# Load test of the token server with wrk on loopback (server and generator share this machine's
# cores). Prints requests/s and latency percentiles for
#   (a) the session-refresh path (POST /token with the cookie),
#   (b) the password path (POST /token with JSON credentials), with GET /healthz latency
#       measured during that flood,
#   (c) a bare axum handler answering a fixed 420-byte JSON body: this stack's ceiling
#       ((a) and (c) alternate five times each; the medians are reported),
#   (d) and (e): (a) and (b) with the users in PostgreSQL (a throwaway server that
#       scripts/postgres.sh starts on loopback), (d) alternating with (a) and (c), with
#       GET /readyz latency (which asks the database) during (e),
# plus the raw argon2id verification rate of the server's parameters and the idle resident
# memory. Usage: scripts/loadtest.sh [SECONDS per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}

source scripts/load/lib.sh
cargo build --release --locked --quiet -p twilio-token-cli
cargo build --release --locked --quiet -p twilio-token-server --example ceiling --example argon2_rate --example probe

bin=target/release/twilio-token
db="sqlite://$work/users.db"
# The refresh uses load's session; the login floods rotate over load0..load63 (a username is
# limited to 5 attempts at once, as an attacker's guesses are).
users=64
add_users() {
    echo "correct horse battery" | "$bin" users add load --password-stdin --database-url "$1" 2>/dev/null
    local adders=()
    for i in $(seq 0 $((users - 1))); do
        echo "correct horse battery" | "$bin" users add "load$i" --password-stdin --database-url "$1" 2>/dev/null &
        adders+=("$!")
    done
    for adder in "${adders[@]}"; do
        wait "$adder"
    done
}
add_users "$db"

TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef TWILIO_API_KEY_SID=SK0123456789abcdef0123456789abcdef \
TWILIO_API_KEY_SECRET=load-test-secret RUST_LOG=warn \
    start "$work/server" "$bin" serve --bind 127.0.0.1:0 --database-url "$db"
server=$url
server_pid=$pid
sleep 2
idle_rss=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")

cookie=$(curl -s -D - -o /dev/null -X POST "$server/token" -H 'content-type: application/json' \
    -d '{"username":"load","password":"correct horse battery"}' | sed -n 's/^set-cookie: \([^;]*\).*/\1/pI')
[ -n "$cookie" ] || { echo "login failed" >&2; exit 1; }

start "$work/ceiling" target/release/examples/ceiling
ceiling=$url
ceiling_pid=$pid

# The same server on PostgreSQL.
pgdir=$(mktemp -d)
pg=$(bash scripts/postgres.sh start "$pgdir")
trap 'bash scripts/postgres.sh stop "$pgdir" 2>/dev/null; rm -rf "$pgdir"; cleanup' EXIT
psql "$pg/postgres" -XAtqc "CREATE DATABASE load"
pgdb="$pg/load"
add_users "$pgdb"
TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef TWILIO_API_KEY_SID=SK0123456789abcdef0123456789abcdef \
TWILIO_API_KEY_SECRET=load-test-secret RUST_LOG=warn \
    start "$work/pgserver" "$bin" serve --bind 127.0.0.1:0 --database-url "$pgdb" --drain-seconds 0
pgserver=$url
pgserver_pid=$pid
pgcookie=$(curl -s -D - -o /dev/null -X POST "$pgserver/token" -H 'content-type: application/json' \
    -d '{"username":"load","password":"correct horse battery"}' | sed -n 's/^set-cookie: \([^;]*\).*/\1/pI')
[ -n "$pgcookie" ] || { echo "login on PostgreSQL failed" >&2; exit 1; }

echo "running: ${seconds}s each, wrk -t1 -c32, on $(nproc) cores"
# This machine is noisy: (a) and (c) run alternately five times each, and the median of each
# is reported (and their ratio).
for round in 1 2 3 4 5; do
    COOKIE=$cookie run "refresh$round" -t1 -c32 -d"${seconds}s" -s scripts/load/post-cookie.lua "$server/token" >> "$work/a.lines"
    COOKIE=$pgcookie run "pgrefresh$round" -t1 -c32 -d"${seconds}s" -s scripts/load/post-cookie.lua "$pgserver/token" >> "$work/d.lines"
    run "ceiling$round" -t1 -c32 -d"${seconds}s" -s scripts/load/post.lua "$ceiling/token" >> "$work/c.lines"
done
median() { sort -n -k1,1 "$1" | sed -n 3p; }
read -r a_rps a_p50 a_p90 a_p99 a_bad < <(median "$work/a.lines")
read -r c_rps c_p50 c_p90 c_p99 c_bad < <(median "$work/c.lines")
read -r d_rps d_p50 d_p90 d_p99 d_bad < <(median "$work/d.lines")
kill "$ceiling_pid"
# The password flood and, beside it, a probe asking GET /healthz every 20 ms.
target/release/examples/probe "${server#http://}" "$seconds" > "$work/health.line" &
health=$!
read -r b_rps b_p50 b_p90 b_p99 b_bad < <(USERS=$users run login -t1 -c32 -d"${seconds}s" -s scripts/load/post-login.lua "$server/token")
wait "$health"
read -r h_n h_p50 h_p90 h_p99 h_max < "$work/health.line"
target/release/examples/probe "${pgserver#http://}" "$seconds" readyz > "$work/ready.line" &
ready=$!
read -r e_rps e_p50 e_p90 e_p99 e_bad < <(USERS=$users run pglogin -t1 -c32 -d"${seconds}s" -s scripts/load/post-login.lua "$pgserver/token")
wait "$ready"
read -r r_n r_p50 r_p90 r_p99 r_max < "$work/ready.line"
kill "$pgserver_pid"
argon=$(target/release/examples/argon2_rate "$seconds" | awk '{print $3}' | cut -d/ -f1)

echo "(a) runs: $(cut -d' ' -f1 "$work/a.lines" | tr '\n' ' ')  (c) runs: $(cut -d' ' -f1 "$work/c.lines" | tr '\n' ' ')"
printf '\n%-38s %10s %9s %9s %9s %6s\n' "" "req/s" "p50 ms" "p90 ms" "p99 ms" "non-2xx"
printf '%-38s %10s %9s %9s %9s %6s\n' "(a) refresh through the session" "$a_rps" "$a_p50" "$a_p90" "$a_p99" "$a_bad"
printf '%-38s %10s %9s %9s %9s %6s\n' "(b) password login" "$b_rps" "$b_p50" "$b_p90" "$b_p99" "$b_bad"
printf '%-38s %10s %9s %9s %9s %6s\n' "    GET /healthz every 20 ms during (b)" "$h_n req" "$h_p50" "$h_p90" "$h_p99" "0"
printf '%-38s %10s %9s %9s %9s %6s\n' "(c) bare axum, fixed 420-byte JSON" "$c_rps" "$c_p50" "$c_p90" "$c_p99" "$c_bad"
printf '%-38s %10s %9s %9s %9s %6s\n' "(d) refresh, PostgreSQL" "$d_rps" "$d_p50" "$d_p90" "$d_p99" "$d_bad"
printf '%-38s %10s %9s %9s %9s %6s\n' "(e) password login, PostgreSQL" "$e_rps" "$e_p50" "$e_p90" "$e_p99" "$e_bad"
printf '%-38s %10s %9s %9s %9s %6s\n' "    GET /readyz every 20 ms during (e)" "$r_n req" "$r_p50" "$r_p90" "$r_p99" "0"
echo
awk -v a="$a_rps" -v d="$d_rps" -v b="$b_rps" -v e="$e_rps" 'BEGIN {
    printf "(d)/(a): PostgreSQL refresh at %.0f%% of SQLite\n", 100 * d / a
    printf "(e)/(b): PostgreSQL login at %.0f%% of SQLite\n", 100 * e / b
}'
awk -v a="$a_rps" -v c="$c_rps" -v b="$b_rps" -v g="$argon" -v rss="$idle_rss" 'BEGIN {
    printf "(a)/(c): %.0f%% of the ceiling\n", 100 * a / c
    printf "raw argon2id on all cores: %.1f/s; (b) reaches %.0f%% of it\n", g, 100 * b / g
    printf "idle resident memory: %.1f MiB\n", rss / 1024
}'
