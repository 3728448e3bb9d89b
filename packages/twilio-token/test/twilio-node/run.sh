#!/usr/bin/env bash
# Runs twilio-node's own unit tests of its jwt module (spec/unit/jwt: 5 files, 99 tests, jest 29)
# unmodified against the package: their imports of `../../../src/...` are mapped to the package.
#
#   bash packages/twilio-token/test/twilio-node/run.sh TWILIO_NODE_CHECKOUT
#
# TWILIO_NODE_CHECKOUT is a clone of twilio-node at a 6.x tag (its spec/ is not on npm);
# scripts/js_test.sh makes one. Expected: every test passes. Needs `npm run build` first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
checkout=${1:?usage: run.sh TWILIO_NODE_CHECKOUT}
rm -rf "$here/spec"
mkdir -p "$here/spec/unit"
cp -r "$checkout/spec/unit/jwt" "$here/spec/unit/jwt"
(cd "$here" && npm install --no-audit --no-fund --silent && npx jest --config jest.config.cjs)
