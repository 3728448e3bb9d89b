// Cloudflare Workers: code is never compiled at run time, so the module is imported, and
// instantiated synchronously.
import wasm from "./wasm/twilio_token_wasm_bg.wasm";
import { decode, initSync, mint, sha256Hex } from "./wasm/twilio_token_wasm.js";
import { createJwt } from "./api.mjs";

initSync({ module: wasm });
export const jwt = createJwt({ decode, mint, sha256Hex });
export const { AccessToken, ClientCapability, ValidationToken, taskrouter } = jwt;
export default { jwt };
