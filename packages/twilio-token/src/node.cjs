// Node's require(): wasm-bindgen's CommonJS glue compiles the module when loaded, and
// node:crypto signs RSA (see api.js).
"use strict";
const core = require("./cjs/twilio_token_wasm.js");
const { createJwt } = require("./api.cjs");

const jwt = createJwt(core, () => require("node:crypto"));
module.exports = { jwt, ...jwt };
