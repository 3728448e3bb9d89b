#!/usr/bin/env bash
# Makes the release artifacts into one folder (default dist/), each installable without this
# repository's build set-up:
#
#   twilio-token-VERSION-TARGET.tar.gz   the `twilio-token` binary (what `cargo install --path
#                                        crates/twilio-token-cli` installs) with the systemd unit
#   twilio_token-VERSION-cp39-abi3-*.whl the Python package, one wheel for CPython 3.9 and later
#                                        (`maturin build --release`), installs with pip alone
#   twilio-token-VERSION.tgz             the npm package (`npm run build`, `npm pack`), installs
#                                        with npm alone, no dependencies
#   SHA256SUMS
#
# Needs cargo, a Python with maturin ($PYTHON, default python3; scripts/test.sh's venv has it) and
# npm (the package's build installs the WebAssembly toolchain it lacks).
# scripts/release_check.sh installs each artifact into a clean environment and mints with it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mkdir -p "${1:-dist}" && cd "${1:-dist}" && pwd)
python=${PYTHON:-python3}
version=$(cargo metadata --locked --format-version 1 --no-deps |
    "$python" -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "twilio-token-cli"))')
target=$(rustc -vV | sed -n 's/^host: //p')
rm -f "$out"/twilio-token-*.tar.gz "$out"/twilio_token-*.whl "$out"/twilio-token-*.tgz "$out"/SHA256SUMS

echo "== the binary: cargo install --path crates/twilio-token-cli" >&2
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
name=twilio-token-$version-$target
# The workspace's target folder, so that a build already made is not made again.
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target} \
    cargo install --locked --quiet --path crates/twilio-token-cli --root "$stage/root"
mkdir "$stage/$name"
cp "$stage/root/bin/twilio-token" "$stage/$name/"
command -v strip >/dev/null && strip "$stage/$name/twilio-token"
cp deploy/twilio-token.service README.md "$stage/$name/"
tar -C "$stage" -czf "$out/$name.tar.gz" --owner=0 --group=0 "$name"

echo "== the Python wheel: maturin build --release" >&2
"$python" -m maturin build --quiet --release --locked -m crates/twilio-token-py/Cargo.toml --out "$out" >&2

echo "== the npm package: npm run build, npm pack" >&2
(cd packages/twilio-token && npm run --silent build && npm pack --silent --pack-destination "$out" >/dev/null)

(cd "$out" && sha256sum twilio-token-*.tar.gz twilio_token-*.whl twilio-token-*.tgz >SHA256SUMS)
ls -l "$out" >&2
