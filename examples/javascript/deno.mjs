// Deno 2: `deno run --allow-read --allow-env examples/javascript/deno.mjs` in a project that
// installed the package (`deno install npm:twilio-token` or npm install).
import { jwt } from "twilio-token";

const token = new jwt.AccessToken(Deno.env.get("TWILIO_ACCOUNT_SID"), Deno.env.get("TWILIO_API_KEY_SID"), Deno.env.get("TWILIO_API_KEY_SECRET"), {
  identity: "alice",
});
token.addGrant(new jwt.AccessToken.ChatGrant({ serviceSid: Deno.env.get("TWILIO_CHAT_SERVICE_SID") }));
console.log(token.toJwt());
