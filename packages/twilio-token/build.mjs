// Builds the package from source: the library's WebAssembly core (crates/twilio-token-wasm),
// its wasm-bindgen glue, and the entry points of each runtime, into dist/.
//
// The core is compiled for wasm32-unknown-unknown with rustup's target where it is installed
// (`rustup target add wasm32-unknown-unknown`); otherwise with Debian's rustc-web and
// rust-web-src (building std, which needs nightly features: RUSTC_BOOTSTRAP), clang-22 and
// lld-22, installed with apt-get when run as root. wasm-bindgen-cli comes from crates.io at the
// version in Cargo.lock.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const dist = join(here, "dist");
const targetDir = join(root, "target", "wasm");
const TARGET = "wasm32-unknown-unknown";

function run(command, args, options = {}) {
  console.error(`+ ${command} ${args.join(" ")}`);
  execFileSync(command, args, { stdio: "inherit", cwd: root, ...options });
}
function succeeds(command, args) {
  return spawnSync(command, args, { encoding: "utf8" }).status === 0;
}
function output(command, args) {
  const result = spawnSync(command, args, { encoding: "utf8" });
  return result.status === 0 ? result.stdout : "";
}

// The compiler: rustup's target, or Debian's toolchain that builds std for it.
function compilerEnv() {
  if (output("rustup", ["target", "list", "--installed"]).split("\n").includes(TARGET)) {
    return { env: process.env, extra: [] };
  }
  const debian = () => existsSync("/usr/lib/rustlib/src/rust/library") && succeeds("clang-22", ["--version"]) && succeeds("wasm-ld-22", ["--version"]);
  if (!debian()) {
    if (process.getuid?.() !== 0) {
      throw new Error(`no compiler for ${TARGET}: run \`rustup target add ${TARGET}\`, or as root \`apt-get install rustc-web rust-web-src lld-22 clang-22\``);
    }
    run("apt-get", ["update", "-qq"]);
    run("apt-get", ["install", "-y", "-qq", "rustc-web", "rust-web-src", "lld-22", "clang-22"], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  }
  return {
    env: { ...process.env, RUSTC: "/usr/bin/rustc", RUSTC_BOOTSTRAP: "1", CC_wasm32_unknown_unknown: "clang-22" },
    extra: ["-Zbuild-std=std,panic_abort"],
  };
}

// wasm-bindgen-cli at the version of the wasm-bindgen crate in Cargo.lock: the one on the PATH
// if it is that version, else one installed into a cache folder of its own, which outlives
// `cargo clean` and a fresh clone (building it takes minutes).
function wasmBindgen() {
  const lock = readFileSync(join(root, "Cargo.lock"), "utf8");
  const version = lock.match(/name = "wasm-bindgen"\nversion = "([^"]+)"/)?.[1];
  if (!version) throw new Error("Cargo.lock has no wasm-bindgen");
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  const tools = join(cache, "twilio-token", `wasm-bindgen-cli-${version}`);
  const local = join(tools, "bin", "wasm-bindgen");
  for (const candidate of ["wasm-bindgen", local]) {
    if (output(candidate, ["--version"]).trim() === `wasm-bindgen ${version}`) return candidate;
  }
  run("cargo", ["install", "--quiet", "wasm-bindgen-cli", "--version", `=${version}`, "--root", tools]);
  return local;
}

const { env, extra } = compilerEnv();
run("cargo", ["build", "--quiet", "--locked", "-p", "twilio-token-wasm", "--profile", "wasm-release", "--target", TARGET, ...extra], {
  env: { ...env, CARGO_TARGET_DIR: targetDir },
});
const wasm = join(targetDir, TARGET, "wasm-release", "twilio_token_wasm.wasm");
const bindgen = wasmBindgen();
rmSync(dist, { recursive: true, force: true });
const strip = ["--remove-name-section", "--remove-producers-section"];
run(bindgen, ["--target", "web", ...strip, "--out-dir", join(dist, "wasm"), wasm]);
const nodeGlue = join(targetDir, "nodejs-glue");
run(bindgen, ["--target", "nodejs", ...strip, "--out-dir", nodeGlue, wasm]);

// Edits to generated or shared sources, each of a text it must find.
function edit(text, from, to, what) {
  if (!text.includes(from)) throw new Error(`${what} is no longer written as expected`);
  return text.replace(from, to);
}
// A string goes to the module through TextEncoder.encodeInto, which writes ASCII text in one
// native call, where the glue copies it a character at a time first.
const perCharacter = `    let offset = 0;

    for (; offset < len; offset++) {
        const code = arg.charCodeAt(offset);
        if (code > 0x7F) break;
        mem[ptr + offset] = code;
    }
`;
const whole = `    // ASCII text is written whole here; any other again from its start below, in up to
    // 3 bytes a UTF-16 unit.
    const { read, written } = cachedTextEncoder.encodeInto(arg, mem.subarray(ptr, ptr + len));
    let offset = read === written ? read : 0;
`;
const passStrings = (glue) => edit(glue, perCharacter, whole, "wasm-bindgen's copy of a string into the module");

// Node's require(): one file, so that a process resolves, reads and compiles one module, not
// three: wasm-bindgen's CommonJS glue in a scope of its own (as `core`), then api.js, then
// src/node.cjs. The glue reads the ES glue's copy of the module.
let cjs = passStrings(readFileSync(join(nodeGlue, "twilio_token_wasm.js"), "utf8"));
cjs = edit(cjs, "`${__dirname}/twilio_token_wasm_bg.wasm`", "`${__dirname}/wasm/twilio_token_wasm_bg.wasm`", "the CommonJS glue's path of its .wasm");
const api = readFileSync(join(here, "src", "api.js"), "utf8");
writeFileSync(join(dist, "node.cjs"), [
  '"use strict";',
  "const core = (() => {\nconst exports = {};\n" + cjs + "\nreturn exports;\n})();",
  edit(api, "\nexport function createJwt", "\nfunction createJwt", "api.js's export of createJwt"),
  readFileSync(join(here, "src", "node.cjs"), "utf8"),
].join("\n"));

// A module compiled by an edge runtime's host is not `instanceof WebAssembly.Module` inside
// its sandbox (another realm): initSync must take it anyway rather than compile it again,
// which the sandbox refuses.
const webGlue = join(dist, "wasm", "twilio_token_wasm.js");
let web = passStrings(readFileSync(webGlue, "utf8"));
web = edit(web, "    if (!(module instanceof WebAssembly.Module)) {", "    if (!(module instanceof WebAssembly.Module) && Object.prototype.toString.call(module) !== '[object WebAssembly.Module]') {", "the web glue's check for a WebAssembly.Module");
writeFileSync(webGlue, web);

// The JavaScript layer of the ES entry points.
writeFileSync(join(dist, "api.mjs"), api);
for (const entry of ["node.mjs", "workerd.mjs", "edge.mjs"]) {
  copyFileSync(join(here, "src", entry), join(dist, entry));
}
console.error(`built ${dist}`);
