#!/usr/bin/env bash
# Installs each release artifact that scripts/release.sh made (in $1, default dist/) into a
# clean environment, with no Rust, no network and none of this checkout on the path, and mints a
# token with it; the binary and the wheel verify each other's tokens, and the binary the npm
# package's.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=$(cd "${1:-dist}" && pwd)
python=${PYTHON:-/usr/bin/python3}
(cd "$dist" && sha256sum --quiet --check SHA256SUMS)

clean=$(mktemp -d)
trap 'rm -rf "$clean"' EXIT
# What a machine without this project's build set-up has: a shell, Python, Node and npm, and no
# Rust toolchain (this one may have Debian's on /usr/bin).
mkdir "$clean/bin"
for tool in sh python3 node npm; do ln -s "/usr/bin/$tool" "$clean/bin/$tool"; done
bare() { env -i HOME="$clean" PATH="$clean/bin" "$@"; }
if bare sh -c 'command -v cargo || command -v rustc' >/dev/null; then
    echo "release_check: cargo or rustc is on the clean PATH; the check would not prove the artifacts need no Rust" >&2
    exit 1
fi

account=AC$(printf 'a%.0s' $(seq 32)) key=SK$(printf 'b%.0s' $(seq 32)) secret=release-check-secret

echo "== the binary, unpacked from its tarball"
tar -C "$clean" -xzf "$dist"/twilio-token-*.tar.gz
bin=$(echo "$clean"/twilio-token-*/twilio-token)
from_binary=$(bare "$bin" access --identity alice --video --account-sid "$account" --api-key-sid "$key" \
    --api-key-secret "$secret")

echo "== the wheel, installed by pip into a new virtual environment, offline"
bare "$python" -m venv "$clean/venv"
bare "$clean/venv/bin/python" -m pip install --quiet --no-index --disable-pip-version-check \
    "$dist"/twilio_token-*.whl
from_wheel=$(cd "$clean" && bare "$clean/venv/bin/python" - "$account" "$key" "$secret" "$from_binary" <<'PY'
import sys
from twilio_token.jwt.access_token import AccessToken
from twilio_token.jwt.access_token.grants import VideoGrant

account, key, secret, from_binary = sys.argv[1:]
token = AccessToken(account, key, secret, identity="bob")
token.add_grant(VideoGrant(room="Release Room"))
print(token.to_jwt())
# The binary's token, read back and verified by the wheel.
read = AccessToken.from_jwt(from_binary, secret)
assert read.payload["grants"]["identity"] == "alice", read.payload
PY
)

echo "== the npm package, installed by npm into a new project, offline"
mkdir "$clean/js"
(cd "$clean/js" && bare npm init -y >/dev/null && bare npm install --offline --no-audit --no-fund --silent "$dist"/twilio-token-*.tgz)
from_npm=$(cd "$clean/js" && bare node -e '
const { jwt } = require("twilio-token");
const [account, key, secret] = process.argv.slice(1);
const token = new jwt.AccessToken(account, key, secret, { identity: "carol" });
token.addGrant(new jwt.AccessToken.ChatGrant({ serviceSid: "IS123" }));
process.stdout.write(token.toJwt());
' "$account" "$key" "$secret")
claims=$(bare "$bin" decode --secret "$secret" "$from_npm")
echo "$claims" | grep -q '"identity": *"carol"' || { echo "no identity carol in: $claims" >&2; exit 1; }

echo "== the binary verifies the wheel's token"
claims=$(bare "$bin" decode --secret "$secret" "$from_wheel")
echo "$claims" | grep -q '"identity": *"bob"' || { echo "no identity bob in: $claims" >&2; exit 1; }
echo "$claims" | grep -q '"room": *"Release Room"' || { echo "no room in: $claims" >&2; exit 1; }
echo "release artifacts: the binary, the wheel and the npm package install cleanly and mint; the binary verifies the others' tokens"
