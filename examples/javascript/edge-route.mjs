// Next.js on Vercel's edge runtime (app/api/token/route.js): the bundler picks the package's
// `edge-light` entry and compiles its WebAssembly module at build time.
import { jwt } from "twilio-token";

export const runtime = "edge";

export async function POST() {
  // Authenticate the user first; the identity comes from your session, never from the request.
  const token = new jwt.AccessToken(process.env.TWILIO_ACCOUNT_SID, process.env.TWILIO_API_KEY_SID, process.env.TWILIO_API_KEY_SECRET, {
    identity: "alice",
  });
  token.addGrant(new jwt.AccessToken.VideoGrant({ room: "My Room" }));
  return Response.json({ token: token.toJwt() });
}
