// The suite's core check in Vercel's edge runtime, bundled the way Next.js bundles an edge
// route: the host compiles the module (`?module` imports) and hands it to the sandbox, where it
// belongs to another realm; code generation is off, as in production.
import { decode, initSync, mint, sha256Hex } from "../../dist/wasm/twilio_token_wasm.js";
import { createJwt } from "../../dist/api.mjs";

initSync({ module: globalThis.TWILIO_TOKEN_WASM });
const jwt = createJwt({ decode, mint, sha256Hex });

addEventListener("fetch", (event) => {
  const failures = [];
  for (const { spec, token } of globalThis.GOLDEN) {
    if (mint(JSON.stringify(spec)) !== token) failures.push(JSON.stringify(spec));
  }
  const token = new jwt.AccessToken("AC" + "a".repeat(32), "SK" + "b".repeat(32), "s3cret", { identity: "alice" });
  token.addGrant(new jwt.AccessToken.VideoGrant({ room: "My Room" }));
  const read = jwt.AccessToken.fromJwt(token.toJwt(), "s3cret");
  if (read.payload.grants.video.room !== "My Room") failures.push("a fresh token does not read back");
  event.respondWith(Response.json({ golden: globalThis.GOLDEN.length, failures }));
});
