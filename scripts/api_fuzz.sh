#!/usr/bin/env bash
# schemathesis against the live server: the server's own OpenAPI document (GET /openapi.json),
# every check, every phase (examples, coverage, fuzzing, stateful through the document's links).
#
# Usage: scripts/api_fuzz.sh BIN [PYTHON]
#   BIN      the twilio-token binary
#   PYTHON   a Python with schemathesis installed (default .venv/bin/python)
#
# The server runs on a loopback port with a SQLite file, real users, a policy and an issuers
# file. Two runs: one logged in as the document's example user (Basic), so that every path
# that mints a token is reached, then one with no credentials. Prints each run's counts and
# exits non-zero on any failure. ST_EXAMPLES (default 40) bounds the cases per operation.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "$1")
python=${2:-.venv/bin/python}
examples=${ST_EXAMPLES:-40}

work=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

export TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef
export TWILIO_API_KEY_SID=SK0123456789abcdef0123456789abcdef
export TWILIO_API_KEY_SECRET=3b9cfb2d8a7e41f0a1c5e6d7f8091a2b
export DATABASE_URL="sqlite://$work/users.db"
# The document's example credentials.
user=alice
password="correct horse battery staple"

printf '%s\n' "$password" | "$bin" users add "$user" --role user --password-stdin
printf '%s\n' "another password" | "$bin" users add bob --role support --password-stdin
# The Video app's switch on: the document describes its fields as accepted (with the switch
# off they are a 400 naming the field, which tests/rooms.rs checks).
cat > "$work/policy.json" <<'EOF'
{"video_app": true, "roles": {
  "user": {"grants": [{"video": {"room": "My Room"}}], "rooms": ["lobby", "team-*"]},
  "support": {"grants": [{"voice": {"incoming_allow": true}}], "ttl": 900}}}
EOF
cp crates/twilio-token/tests/fixtures/keys/jwks.json "$work/jwks.json"
cat > "$work/issuers.json" <<'EOF'
{"issuers": [{"issuer": "https://idp.example.com/", "audiences": ["my-app"],
  "jwks_file": "jwks.json", "algorithms": ["RS256", "ES256", "EdDSA"], "role": "user"}]}
EOF

"$bin" serve --bind 127.0.0.1:0 --policy "$work/policy.json" --issuers "$work/issuers.json" \
    --cors-origin https://app.example.com --drain-seconds 0 >"$work/listening" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do
    grep -q '^listening on ' "$work/listening" && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/listening")

# Hypothesis's files stay out of the checkout (and schemathesis.toml turns its cache off).
export HYPOTHESIS_STORAGE_DIRECTORY="$work/hypothesis"
schemathesis() {
    local name=$1
    shift
    local status=0
    "$python" -m schemathesis.cli --config-file scripts/schemathesis.toml \
        run "$url/openapi.json" --checks all --phases examples,coverage,fuzzing,stateful \
        --max-examples "$examples" --seed 20261201 --generation-database none --no-color \
        "$@" >"$work/$name.out" 2>&1 || status=$?
    if [ "$status" != 0 ]; then
        cat "$work/$name.out"
        echo "schemathesis ($name): failed, exit $status" >&2
        exit 1
    fi
    # The summary: "N generated, N passed, ..." and "API Links: ...".
    echo "schemathesis ($name): $(grep -E '^ *[0-9]+ generated' "$work/$name.out" | xargs)" \
        "| $(grep -oE 'API Links: [^|]*' "$work/$name.out" | head -n1 | xargs)"
}
schemathesis logged-in --auth "$user:$password"
schemathesis anonymous

# Nothing the server logged holds a password or the secret.
if grep -qF -e "$password" -e "$TWILIO_API_KEY_SECRET" "$work/server.log"; then
    echo "the server's log holds a password or the secret" >&2
    exit 1
fi
statuses=$(grep -aoE 'status=[0-9]+' "$work/server.log" | sort | uniq -c | awk '{printf "%s %s, ", $2, $1}')
echo "schemathesis: every check passed; the server answered ${statuses%, }"
