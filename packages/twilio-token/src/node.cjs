// Node's require(): the end of dist/node.cjs, after wasm-bindgen's CommonJS glue (`core`, which
// compiles the module when loaded) and api.js (`createJwt`); see build.mjs. node:crypto signs
// RSA (see api.js).
const jwt = createJwt(core, () => require("node:crypto"));
module.exports = { jwt, ...jwt };
