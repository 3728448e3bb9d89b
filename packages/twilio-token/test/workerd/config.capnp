# `workerd test` runs worker.mjs's test handler, no socket. The package's files are embedded as
# the modules a bundler would make of the `workerd` entry; js_test.sh copies them beside this.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "dist/workerd.mjs", esModule = embed "dist/workerd.mjs"),
    (name = "dist/api.mjs", esModule = embed "dist/api.mjs"),
    (name = "dist/wasm/twilio_token_wasm.js", esModule = embed "dist/wasm/twilio_token_wasm.js"),
    (name = "dist/wasm/twilio_token_wasm_bg.wasm", wasm = embed "dist/wasm/twilio_token_wasm_bg.wasm"),
    (name = "node_golden.json", json = embed "node_golden.json"),
  ],
  compatibilityDate = "2024-09-23",
);
