// Bun: `bun examples/javascript/bun.mjs`; a token server in a few lines.
import { jwt } from "twilio-token";

Bun.serve({
  hostname: "127.0.0.1",
  port: 3000,
  fetch() {
    // Authenticate the user first; the identity comes from your session.
    const token = new jwt.AccessToken(Bun.env.TWILIO_ACCOUNT_SID, Bun.env.TWILIO_API_KEY_SID, Bun.env.TWILIO_API_KEY_SECRET, { identity: "alice" });
    token.addGrant(new jwt.AccessToken.VoiceGrant({ outgoingApplicationSid: Bun.env.TWILIO_TWIML_APP_SID, incomingAllow: true }));
    return Response.json({ token: token.toJwt() });
  },
});
