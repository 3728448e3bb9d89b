#!/usr/bin/env bash
# Runs every test of the project: formatting, lints and docs; the Rust suites (unit,
# integration, doc tests); the golden fixtures checked against twilio-python; and the live
# cross-checks of the binary against twilio-python and PyJWT, and of its Node dialect against
# twilio-node 6 (installed from npm into scripts/node-oracle).
#
# The server's suites (the CLI crate's server, abuse, exchange, fleet and production, and the
# server crate's in-process suite) run twice: on SQLite, then on a throwaway PostgreSQL server
# that scripts/postgres.sh starts on a loopback port (installing Debian's postgresql where it is
# missing).
#
# Then schemathesis against the live server (scripts/api_fuzz.sh), the dependency checks (cargo
# deny: RustSec advisories, licences, duplicate versions, sources) and every fuzz target for a
# short while ($FUZZ_SECONDS, default 15; scripts/fuzz.sh runs them longer).
#
# The release artifacts (scripts/release.sh: the binary's tarball, the abi3 wheel, the npm
# package) are made into dist/ and installed into a clean environment that mints with each
# (scripts/release_check.sh);
# the Python drop-in's pytest suite runs against that wheel, installed into the virtual
# environment. scripts/js_test.sh builds the JavaScript package from source (installing the
# WebAssembly toolchain it lacks) and runs its suite on Node, Deno, Bun, workerd and
# edge-runtime, installed from npm, then twilio-node's own jwt specs where twilio-node's
# repository can be cloned ($TWILIO_NODE_GIT; NOT RUN where it cannot). scripts/deploy_test.sh
# builds the container image and runs it, and boots the systemd unit, on a Docker engine it
# starts.
#
# Installs what it needs: a Python virtual environment (.venv, or $VENV) with the pinned
# twilio-python, PyJWT, cryptography, schemathesis and pytest from PyPI, Debian's Chromium and
# ChromeDriver for the browser test, Debian's nginx for the proxy test, Debian's docker.io and
# debootstrap for the deploy test, Debian's rustc-web toolchain (where rustup lacks the wasm32
# target) and wasm-bindgen-cli for the JavaScript package, the JavaScript runtimes and twilio
# from npm, and cargo-deny and cargo-fuzz from crates.io.
set -euo pipefail
cd "$(dirname "$0")/.."
# A clean clone's build gains nothing from incremental caches.
[ -z "${CI:-}" ] || export CARGO_INCREMENTAL=0
# Each section says when it starts, so that a slow one shows in the log.
section() { echo "== $* (at $((SECONDS / 60))m$((SECONDS % 60))s)"; }

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/sbin/nginx ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "the browser and proxy tests need Debian's chromium, chromium-driver and nginx-light: run as root or install them" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver nginx-light >/dev/null
fi

venv=${VENV:-.venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r python/requirements.txt

section "format, lints, docs"
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --quiet

section "golden fixtures are what twilio-python mints"
"$venv/bin/python" crates/twilio-token/tests/fixtures/golden.py --check

section "cargo test"
cargo test --locked --workspace
# Ignored by plain cargo test for what they need, which this script installed: nginx,
# Chromium and ChromeDriver. (Every cargo command here names the whole workspace, so that
# features resolve as they did above and nothing is built twice.)
cargo test --locked --workspace --test suite --test browser -- --ignored

section "the server's suites again, on PostgreSQL"
pgdir=$(mktemp -d)
trap 'bash scripts/postgres.sh stop "$pgdir" 2>/dev/null; rm -rf "$pgdir"' EXIT
postgres=$(bash scripts/postgres.sh start "$pgdir")
echo "PostgreSQL at $postgres"
TWILIO_TOKEN_TEST_POSTGRES=$postgres cargo test --locked --workspace \
    --test server --test abuse --test exchange --test fleet --test production --test suite \
    -- --include-ignored

section "live cross-check against twilio-python and PyJWT"
# target/debug/twilio-token is the binary cargo test built for the CLI's tests.
test -x target/debug/twilio-token
"$venv/bin/python" scripts/crosscheck.py target/debug/twilio-token
"$venv/bin/python" scripts/crosscheck_id_tokens.py target/debug/twilio-token

section "live cross-check of the Node dialect against twilio-node 6"
npm ci --prefix scripts/node-oracle --no-audit --no-fund --silent
node scripts/crosscheck_node.js --check crates/twilio-token/tests/fixtures/node_golden.json
node scripts/crosscheck_node.js target/debug/twilio-token 400

section "release artifacts: the binary's tarball, the abi3 wheel and the npm package, installed cleanly and used"
PYTHON="$venv/bin/python" bash scripts/release.sh dist
bash scripts/release_check.sh dist

section "Python drop-in: the release wheel installed, then its tests"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps dist/twilio_token-*.whl
python=$(cd "$venv/bin" && pwd)/python
(cd crates/twilio-token-py/tests && "$python" -m pytest -q -p no:cacheprovider)

section "the JavaScript package: built from source, on Node, Deno, Bun, workerd and edge-runtime"
bash scripts/js_test.sh

section "schemathesis against the live server"
bash scripts/api_fuzz.sh target/debug/twilio-token "$venv/bin/python"

section "dependencies: advisories, licences, duplicate versions, sources"
command -v cargo-deny >/dev/null || cargo install --locked --quiet cargo-deny
bash scripts/advisories.sh
cargo deny check bans licenses sources

section "deploy: the container image and the systemd unit (Docker engine, debootstrap-made bases)"
TWILIO_TOKEN_TEST_POSTGRES=$postgres bash scripts/deploy_test.sh

section "fuzz targets, ${FUZZ_SECONDS:-15}s each"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
section "done"
