// Node's require(): wasm-bindgen's CommonJS glue compiles the module when loaded.
"use strict";
const core = require("./cjs/twilio_token_wasm.js");
const { createJwt } = require("./api.cjs");

const jwt = createJwt(core);
module.exports = { jwt, ...jwt };
