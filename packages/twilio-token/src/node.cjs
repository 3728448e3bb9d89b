// Node's require(): wasm-bindgen's CommonJS glue compiles the module when loaded.
"use strict";
const { decode, mint, sha256Hex } = require("./cjs/twilio_token_wasm.js");
const { createJwt } = require("./api.cjs");

const jwt = createJwt({ decode, mint, sha256Hex });
module.exports = { jwt, ...jwt };
