#!/usr/bin/env bash
# The JavaScript package (packages/twilio-token): built from source by `npm run build` (the
# library's WebAssembly core, wasm-bindgen's glue, each runtime's entry; it installs the
# toolchain it lacks), then one suite on Node, Deno and Bun, and its core check inside
# Cloudflare's workerd (`workerd test`, no socket) and Vercel's edge-runtime (bundled by esbuild
# as Next.js bundles an edge route, code generation off); its type declarations checked by tsc;
# and `npm pack` within 300 KB packed, 1 MB unpacked. The runtimes come from the npm registry,
# into target/js-runtimes.
#
# Last, twilio-node's own jwt specs run unmodified against the package
# (packages/twilio-token/test/twilio-node/run.sh). They are not on npm: they are cloned at the
# tag 6.0.2 from $TWILIO_NODE_GIT (GitHub's twilio-node by default; a local clone will do) into
# target/twilio-node-6.0.2, and where that cannot be reached the step says NOT RUN.
set -euo pipefail
cd "$(dirname "$0")/.."
package=packages/twilio-token

echo "== npm run build"
(cd "$package" && npm run --silent build)

runtimes=target/js-runtimes
mkdir -p "$runtimes"
(cd "$runtimes" && { [ -f package.json ] || npm init -y >/dev/null; } &&
    npm install --no-audit --no-fund --silent deno@2.9.6 bun@1.4.5 workerd@1.20261123.1 \
        edge-runtime@4.0.1 esbuild@0.25.12 typescript@5.9.3)
bin=$PWD/$runtimes/node_modules/.bin

echo "== the suite on Node $(node --version), Deno and Bun"
(cd "$package" && node --test test/vectors.test.mjs test/api.test.mjs test/oracle.test.mjs)
(cd "$package" && "$bin/deno" test --quiet --no-check --allow-read test/vectors.test.mjs)
(cd "$package" && "$bin/bun" test ./test/vectors.test.mjs)

echo "== workerd"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$package"/test/workerd/{worker.mjs,config.capnp} crates/twilio-token/tests/fixtures/node_golden.json "$work/"
cp -r "$package/dist" "$work/dist"
"$bin/workerd" test "$work/config.capnp"

echo "== edge-runtime"
node "$package/test/edge/run.mjs" "$bin/esbuild" "$PWD/$runtimes/node_modules"

echo "== type declarations"
"$bin/tsc" --noEmit --strict --module nodenext --moduleResolution nodenext "$package/test/types.ts"

echo "== npm pack"
(cd "$package" && npm pack --dry-run --json 2>/dev/null) >"$work/pack.json"
node -e '
const [pack] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(`npm pack: ${pack.size} bytes packed, ${pack.unpackedSize} unpacked, ${pack.entryCount} files`);
if (pack.size > 300000 || pack.unpackedSize > 1000000) { console.error("over 300 KB packed or 1 MB unpacked"); process.exit(1); }
' "$work/pack.json"

echo "== twilio-node's own jwt specs, at 6.0.2"
specs=target/twilio-node-6.0.2
origin=${TWILIO_NODE_GIT:-https://github.com/twilio/twilio-node.git}
if [ ! -d "$specs/spec/unit/jwt" ]; then
    rm -rf "$specs"
    GIT_TERMINAL_PROMPT=0 timeout 120 git -c advice.detachedHead=false clone --quiet --depth 1 \
        --branch 6.0.2 "$origin" "$specs" || rm -rf "$specs"
fi
if [ -d "$specs/spec/unit/jwt" ]; then
    bash "$package/test/twilio-node/run.sh" "$specs"
else
    echo "NOT RUN: twilio-node could not be cloned from $origin; set TWILIO_NODE_GIT to a clone of it"
fi
