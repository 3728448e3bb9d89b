// The suite's core check inside workerd, which compiles no code at run time: the package's
// `workerd` entry, as wrangler would bundle it, mints twilio-node's golden tokens and a fresh
// access token from its fetch handler.
import { jwt } from "./dist/workerd.mjs";
import { mint } from "./dist/wasm/twilio_token_wasm.js";
import golden from "./node_golden.json";

function mintFresh() {
  const token = new jwt.AccessToken("AC" + "a".repeat(32), "SK" + "b".repeat(32), "s3cret", { identity: "alice" });
  token.addGrant(new jwt.AccessToken.VideoGrant({ room: "My Room" }));
  return token.toJwt();
}

export default {
  async fetch() {
    return new Response(mintFresh());
  },
  async test() {
    for (const { spec, token } of golden) {
      const ours = mint(JSON.stringify(spec));
      if (ours !== token) throw new Error(`differs from twilio-node: ${JSON.stringify(spec)}`);
    }
    const read = jwt.AccessToken.fromJwt(mintFresh(), "s3cret");
    if (read.payload.grants.video.room !== "My Room") throw new Error("the fresh token does not read back");
    const response = await this.fetch();
    if ((await response.text()).split(".").length !== 3) throw new Error("fetch answered no token");
    console.log(`workerd: ${golden.length} golden tokens and a fresh one: ok`);
  },
};
