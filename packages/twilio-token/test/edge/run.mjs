// Runs worker.mjs (bundled by esbuild to a script) in edge-runtime, with no socket.
//   node run.mjs ESBUILD EDGE_RUNTIME_DIR
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const [esbuild, runtimes] = process.argv.slice(2);
const here = new URL(".", import.meta.url).pathname;
const script = execFileSync(esbuild, [`${here}worker.mjs`, "--bundle", "--format=iife", "--log-level=error"], { encoding: "utf8" });
const { EdgeRuntime } = createRequire(`${runtimes}/`)("edge-runtime");
const wasm = new WebAssembly.Module(readFileSync(new URL("../../dist/wasm/twilio_token_wasm_bg.wasm", import.meta.url)));
const golden = JSON.parse(readFileSync(new URL("../../../../crates/twilio-token/tests/fixtures/node_golden.json", import.meta.url), "utf8"));
const runtime = new EdgeRuntime({
  codeGeneration: { strings: false, wasm: false },
  extend: (context) => Object.assign(context, { TWILIO_TOKEN_WASM: wasm, GOLDEN: golden }),
  initialCode: script,
});
const response = await runtime.dispatchFetch("http://localhost/");
await response.waitUntil();
const result = await response.json();
if (result.failures.length > 0 || result.golden < 30) {
  console.error("edge-runtime:", result);
  process.exit(1);
}
console.log(`edge-runtime: ${result.golden} golden tokens and a fresh one: ok`);
