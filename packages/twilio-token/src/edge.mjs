// Vercel's edge runtime (Next.js): the bundler compiles the imported module (`?module`).
import wasm from "./wasm/twilio_token_wasm_bg.wasm?module";
import { decode, initSync, mint, sha256Hex } from "./wasm/twilio_token_wasm.js";
import { createJwt } from "./api.mjs";

initSync({ module: wasm });
export const jwt = createJwt({ decode, mint, sha256Hex });
export const { AccessToken, ClientCapability, ValidationToken, taskrouter } = jwt;
export default { jwt };
