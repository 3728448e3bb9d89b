#!/usr/bin/env bash
# Load test of token exchange: POST /token with an identity provider's ID token
# (Authorization: Bearer), RS256 and ES256, signed by PyJWT, verified against the provider's
# JWK Set, traded for an HS256 access token. wrk -t1 -c32 on loopback, server and generator on
# this machine's cores; the bare axum ceiling runs in the same session for scale.
# Usage: scripts/loadtest-exchange.sh [SECONDS per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}

source scripts/load/lib.sh
need_venv
cargo build --release --locked --quiet -p twilio-token-cli
cargo build --release --locked --quiet -p twilio-token-server --example ceiling

keys=$PWD/crates/twilio-token/tests/fixtures/keys
issuer=https://idp.example.com/
cat > "$work/issuers.json" <<JSON
{"issuers": [{"issuer": "$issuer", "audiences": ["twilio-app"], "jwks_file": "$keys/jwks.json",
              "algorithms": ["RS256", "ES256"]}]}
JSON

TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef TWILIO_API_KEY_SID=SK0123456789abcdef0123456789abcdef \
TWILIO_API_KEY_SECRET=load-test-secret RUST_LOG=warn \
    start "$work/server" target/release/twilio-token serve --bind 127.0.0.1:0 \
        --database-url "sqlite://$work/users.db" --issuers "$work/issuers.json"
server=$url
start "$work/ceiling" target/release/examples/ceiling
ceiling=$url

echo "running: ${seconds}s each, wrk -t1 -c32, on $(nproc) cores"
printf '\n%-34s %10s %9s %9s %9s %8s\n' "" "req/s" "p50 ms" "p90 ms" "p99 ms" "non-2xx"
for spec in "RS256 rsa_a" "ES256 ec_p256"; do
    set -- $spec
    token=$("$venv/bin/python" scripts/load/id_token.py "$keys/$2.pem" "$1" "$2" "$issuer" twilio-app)
    # One exchange by hand first: it must succeed.
    curl -sf -X POST "$server/token" -H "authorization: Bearer $token" > /dev/null \
        || { echo "the $1 exchange failed: $(curl -s -X POST "$server/token" -H "authorization: Bearer $token")" >&2; exit 1; }
    read -r rps p50 p90 p99 bad < <(ID_TOKEN=$token run "$1" -t1 -c32 -d"${seconds}s" -s scripts/load/post-bearer.lua "$server/token")
    printf '%-34s %10s %9s %9s %9s %8s\n' "exchange, $1 ID token" "$rps" "$p50" "$p90" "$p99" "$bad"
done
read -r rps p50 p90 p99 bad < <(run ceiling -t1 -c32 -d"${seconds}s" -s scripts/load/post.lua "$ceiling/token")
printf '%-34s %10s %9s %9s %9s %8s\n' "bare axum, fixed 420-byte JSON" "$rps" "$p50" "$p90" "$p99" "$bad"
