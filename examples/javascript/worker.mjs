// Cloudflare Workers (wrangler picks the package's `workerd` entry, which imports the
// WebAssembly module rather than compiling it at run time). Secrets from `wrangler secret put`.
import { jwt } from "twilio-token";

export default {
  async fetch(request, env) {
    const token = new jwt.AccessToken(env.TWILIO_ACCOUNT_SID, env.TWILIO_API_KEY_SID, env.TWILIO_API_KEY_SECRET, {
      identity: "alice",
    });
    token.addGrant(new jwt.AccessToken.VideoGrant({ room: "My Room" }));
    return Response.json({ token: token.toJwt() });
  },
};
