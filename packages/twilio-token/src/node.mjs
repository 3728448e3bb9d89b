// Node, Deno and Bun: the module's bytes are read and compiled at once, synchronously, and
// node:crypto signs RSA (see api.js).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as core from "./wasm/twilio_token_wasm.js";
import { createJwt } from "./api.mjs";

core.initSync({ module: readFileSync(new URL("./wasm/twilio_token_wasm_bg.wasm", import.meta.url)) });
export const jwt = createJwt(core, () => createRequire(import.meta.url)("node:crypto"));
export const { AccessToken, ClientCapability, ValidationToken, taskrouter } = jwt;
export default { jwt };
