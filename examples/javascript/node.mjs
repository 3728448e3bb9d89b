// Node 18+ (and Deno, Bun): the one change from twilio-node is the import.
//   node examples/javascript/node.mjs
import { jwt } from "twilio-token"; // was: import twilio from "twilio"; const { jwt } = twilio;

const token = new jwt.AccessToken(process.env.TWILIO_ACCOUNT_SID, process.env.TWILIO_API_KEY_SID, process.env.TWILIO_API_KEY_SECRET, {
  identity: "alice",
  ttl: 3600,
});
token.addGrant(new jwt.AccessToken.VideoGrant({ room: "My Room" }));
console.log(token.toJwt());
