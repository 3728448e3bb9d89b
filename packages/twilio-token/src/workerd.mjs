// Cloudflare Workers: code is never compiled at run time, so the module is imported, and
// instantiated synchronously.
import wasm from "./wasm/twilio_token_wasm_bg.wasm";
import * as core from "./wasm/twilio_token_wasm.js";
import { createJwt } from "./api.mjs";

core.initSync({ module: wasm });
export const jwt = createJwt(core);
export const { AccessToken, ClientCapability, ValidationToken, taskrouter } = jwt;
export default { jwt };
