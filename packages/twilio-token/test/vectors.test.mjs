// One suite for every runtime (node --test, deno test, bun test): the package as each runtime
// loads it mints twilio-node's golden tokens byte for byte, and its classes behave as
// twilio-node's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import twilio, { AccessToken, ClientCapability, ValidationToken, taskrouter } from "../dist/node.mjs";
import { mint } from "../dist/wasm/twilio_token_wasm.js";

const fixtures = new URL("../../../crates/twilio-token/tests/fixtures/", import.meta.url);
const golden = JSON.parse(readFileSync(new URL("node_golden.json", fixtures), "utf8"));
const rsaKey = readFileSync(new URL("keys/rsa_a.pem", fixtures), "utf8");
const rsaPublicKey = readFileSync(new URL("keys/rsa_a.pub.pem", fixtures), "utf8");
const AC = "AC" + "a".repeat(32);
const SK = "SK" + "b".repeat(32);

test("the core mints every golden token of twilio-node byte for byte", () => {
  assert.ok(golden.length >= 30);
  for (const { spec, token } of golden) assert.equal(mint(JSON.stringify(spec)), token, JSON.stringify(spec));
});

test("require('twilio').jwt's shape", () => {
  assert.equal(twilio.jwt.AccessToken, AccessToken);
  for (const name of ["ChatGrant", "VoiceGrant", "VideoGrant", "SyncGrant", "TaskRouterGrant", "PlaybackGrant"]) {
    assert.equal(typeof AccessToken[name], "function", name);
  }
  assert.equal(typeof taskrouter.TaskRouterCapability, "function");
  assert.equal(typeof taskrouter.util.defaultWorkerPolicies, "function");
});

test("an access token, minted and read back", () => {
  const token = new AccessToken(AC, SK, "s3cret", { identity: "alice", ttl: 600, region: "ie1" });
  token.addGrant(new AccessToken.VideoGrant({ room: "My Room" }));
  token.addGrant(new AccessToken.VoiceGrant({ incomingAllow: true, outgoingApplicationSid: "AP123", outgoingApplicationParams: { mode: "x" } }));
  const before = Math.floor(Date.now() / 1000);
  const jwt = token.toJwt();
  const { header, payload } = AccessToken.fromJwt(jwt, "s3cret");
  assert.deepEqual(header, { alg: "HS256", typ: "JWT", cty: "twilio-fpa;v=1", twr: "ie1" });
  assert.deepEqual(payload.grants, {
    identity: "alice",
    video: { room: "My Room" },
    voice: { incoming: { allow: true }, outgoing: { application_sid: "AP123", params: { mode: "x" } } },
  });
  assert.ok(payload.iat >= before && payload.exp === payload.iat + 600);
  assert.throws(() => AccessToken.fromJwt(jwt, "wrong"));
  assert.equal(token.toJwt("HS512").split(".").length, 3);
});

test("beyond twilio-node: custom grants, regions checked, explain", () => {
  const token = new AccessToken(AC, SK, "s3cret", { identity: "alice", region: "au1" });
  token.addGrant({ key: "scoreboard", toPayload: () => ({ 2: "b", 1: "a" }) });
  const jwt = token.toJwt();
  assert.equal(AccessToken.fromJwt(jwt, "s3cret").payload.grants.scoreboard[1], "a");
  assert.equal(jwt.split(".")[1], mint(JSON.stringify({ kind: "access", dialect: "node", account_sid: AC, signing_key_sid: SK, secret: "s3cret", identity: "alice", region: "au1", at: AccessToken.fromJwt(jwt, "s3cret").payload.iat, grants: [{ custom: { key: "scoreboard", payload: { 1: "a", 2: "b" } } }] })).split(".")[1]);
  assert.throws(() => new AccessToken(AC, SK, "s", { identity: "a", region: "eu1" }), /not a Twilio Region/);
  const found = twilio.jwt.explain(jwt);
  assert.deepEqual(found.filter((f) => f.level === "problem"), []);
  assert.ok(found.every((f) => typeof f.message === "string"));
});

test("twilio-node's errors", () => {
  assert.throws(() => new AccessToken(), { message: "accountSid is required" });
  assert.throws(() => new AccessToken(AC, SK, "s"), { message: "identity is required to be specified in options" });
  const token = new AccessToken(AC, SK, "s", { identity: "a" });
  assert.throws(() => token.toJwt("HS999"), { message: "Algorithm not supported. Allowed values are HS256, HS384, HS512" });
  assert.throws(() => new ClientCapability(), { message: 'Required parameter "options" missing.' });
  // A key is read as twilio-node's jsonwebtoken reads it, with the runtime's node:crypto.
  const request = { url: "https://api.twilio.com/2010-04-01/Accounts.json", method: "get" };
  const withKey = (privateKey) => new ValidationToken({ accountSid: AC, credentialSid: "CR1", signingKey: SK, privateKey });
  assert.throws(() => withKey("not a key").fromHttpRequest(request), {
    message: "Error generating JWT token Error: secretOrPrivateKey must be an asymmetric key when using RS256",
  });
  assert.throws(() => withKey(rsaPublicKey).fromHttpRequest(request), {
    message: "Error generating JWT token Error: secretOrPrivateKey must be an asymmetric key when using RS256",
  });
  assert.throws(() => withKey(readFileSync(new URL("keys/ec_p256.pem", fixtures), "utf8")).fromHttpRequest(request), {
    message: 'Error generating JWT token Error: "alg" parameter for "ec" key type must be one of: ES256, ES384, ES512.',
  });
});

test("capability tokens", () => {
  const client = new ClientCapability({ accountSid: AC, authToken: "t0ken" });
  client.addScope(new ClientCapability.IncomingClientScope("alice bob"));
  client.addScope(new ClientCapability.OutgoingClientScope({ applicationSid: "AP1", params: { a: "b c" } }));
  const payload = JSON.parse(atob(client.toJwt().split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  assert.equal(payload.scope, "scope:client:incoming?clientName=alice%20bob scope:client:outgoing?appSid=AP1&appParams=a%3Db%2520c");
  const worker = new taskrouter.TaskRouterCapability({ accountSid: AC, authToken: "t0ken", workspaceSid: "WS1", channelId: "WK1" });
  for (const policy of taskrouter.util.defaultWorkerPolicies("v1", "WS1", "WK1")) worker.addPolicy(policy);
  const claims = JSON.parse(atob(worker.toJwt().split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  assert.equal(claims.worker_sid, "WK1");
  assert.ok(claims.policies.length > 0);
});

test("a validation token signs the request", () => {
  const token = new ValidationToken({ accountSid: AC, credentialSid: "CR1", signingKey: SK, privateKey: rsaKey });
  const jwt = token.fromHttpRequest({ url: "https://api.twilio.com/2010-04-01/Accounts.json", method: "get", headers: { Authorization: "Basic abc" } });
  const [header, payload] = jwt.split(".").slice(0, 2).map((part) => JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))));
  assert.deepEqual(header, { alg: "RS256", typ: "JWT", kid: "CR1", cty: "twilio-pkrv;v=1" });
  assert.equal(payload.hrh, "authorization;host");
  assert.match(payload.rqh, /^[0-9a-f]{64}$/);
});

test("a validation token signed by the runtime is the core's: the same bytes (RS256), verified (PS256)", () => {
  const request = { url: "https://api.twilio.com/2010-04-01/Accounts.json", method: "POST", headers: { Authorization: "Basic abc" }, data: "a=é" };
  for (const algorithm of ["RS256", "PS256"]) {
    const jwt = new ValidationToken({ accountSid: AC, credentialSid: "CR1", signingKey: SK, privateKey: rsaKey, algorithm }).fromHttpRequest(request);
    const payload = JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    const spec = { kind: "validation", dialect: "node", account_sid: AC, credential_sid: "CR1", signing_key: SK, private_key: rsaKey, algorithm, hrh: payload.hrh, rqh: payload.rqh, ttl: 300, at: payload.iat };
    const core = mint(JSON.stringify(spec));
    if (algorithm === "RS256") assert.equal(jwt, core);
    else assert.equal(jwt.split(".").slice(0, 2).join("."), core.split(".").slice(0, 2).join("."));
    assert.deepEqual(twilio.jwt.decode(jwt, rsaPublicKey, { algorithms: [algorithm] }).payload, payload);
  }
});
