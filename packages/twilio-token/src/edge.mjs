// Vercel's edge runtime (Next.js): the bundler compiles the imported module (`?module`).
import wasm from "./wasm/twilio_token_wasm_bg.wasm?module";
import * as core from "./wasm/twilio_token_wasm.js";
import { createJwt } from "./api.mjs";

core.initSync({ module: wasm });
export const jwt = createJwt(core);
export const { AccessToken, ClientCapability, ValidationToken, taskrouter } = jwt;
export default { jwt };
