// Type-checked by tsc (scripts/js_test.sh), never run: the declarations cover what a
// twilio-node user writes.
import { jwt } from "twilio-token";

const token = new jwt.AccessToken("AC...", "SK...", "secret", { identity: "alice", ttl: 600 });
token.addGrant(new jwt.AccessToken.VideoGrant({ room: "My Room" }));
token.addGrant(new jwt.AccessToken.VoiceGrant({ incomingAllow: true, outgoingApplicationSid: "AP..." }));
const minted: string = token.toJwt("HS256");
const codes: (number | null)[] = jwt.explain(minted).filter((f) => f.level === "problem").map((f) => f.code);
class Scoreboard extends jwt.AccessToken.Grant<object, { points: number }, string> {
  constructor() {
    super("scoreboard");
  }
  toPayload() {
    return { points: 1 };
  }
}
token.addGrant(new Scoreboard());

const client = new jwt.ClientCapability({ accountSid: "AC...", authToken: "token" });
client.addScope(new jwt.ClientCapability.IncomingClientScope("alice"));
const clientJwt: string = client.toJwt();

const worker = new jwt.taskrouter.TaskRouterCapability({ accountSid: "AC...", authToken: "t", workspaceSid: "WS...", channelId: "WK..." });
for (const policy of jwt.taskrouter.util.defaultWorkerPolicies("v1", "WS...", "WK...")) worker.addPolicy(policy);

const validation = new jwt.ValidationToken({ accountSid: "AC...", credentialSid: "CR...", signingKey: "SK...", privateKey: "-----BEGIN PRIVATE KEY-----" });
const signed: string = validation.fromHttpRequest({ url: "https://api.twilio.com/", method: "GET", headers: {} });

export { minted, codes, clientJwt, signed };
