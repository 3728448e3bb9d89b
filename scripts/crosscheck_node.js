// The Node dialect against twilio-node 6 (scripts/node-oracle, installed from npm): golden
// specs of every token type and field, then randomised ones, each minted by twilio-node with its
// clock frozen and by `twilio-token mint --spec` with `"dialect": "node"`, compared byte for byte.
//
//   node scripts/crosscheck_node.js BINARY [RANDOM_COUNT]
//   node scripts/crosscheck_node.js --golden FILE   writes the golden specs with twilio-node's
//                                                   tokens (crates/twilio-token/tests/fixtures/
//                                                   node_golden.json, which `cargo test` checks)
//   node scripts/crosscheck_node.js --check FILE    fails unless FILE is what --golden writes
"use strict";
const { spawnSync } = require("child_process");
const path = require("path");
const oracle = path.join(__dirname, "node-oracle", "node_modules");
const twilio = require(path.join(oracle, "twilio"));
const { AccessToken, ClientCapability, ValidationToken } = twilio.jwt;
const crypto = require("crypto");
const fs = require("fs");
const { TaskRouterCapability } = twilio.jwt.taskrouter;
const Policy = TaskRouterCapability.Policy;

const [binary, randomCount = "300"] = process.argv.slice(2);
if (!binary) {
  console.error("usage: node scripts/crosscheck_node.js BINARY [RANDOM_COUNT] | --golden FILE | --check FILE");
  process.exit(2);
}

// twilio-node reads the clock through Date.now (jsonwebtoken) and new Date() (its own classes).
function frozenAt(seconds, mint) {
  const RealDate = Date;
  const ms = seconds * 1000 + 421;
  class FrozenDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(ms);
      else super(...args);
    }
    static now() {
      return ms;
    }
  }
  global.Date = FrozenDate;
  try {
    return mint();
  } finally {
    global.Date = RealDate;
  }
}

function grant(spec) {
  const [[kind, g]] = Object.entries(spec);
  switch (kind) {
    case "video":
      return new AccessToken.VideoGrant({ room: g.room });
    case "chat":
      return new AccessToken.ChatGrant({
        serviceSid: g.service_sid,
        endpointId: g.endpoint_id,
        deploymentRoleSid: g.deployment_role_sid,
        pushCredentialSid: g.push_credential_sid,
      });
    case "voice":
      return new AccessToken.VoiceGrant({
        incomingAllow: g.incoming_allow,
        outgoingApplicationSid: g.outgoing_application_sid,
        outgoingApplicationParams: g.outgoing_application_params,
        pushCredentialSid: g.push_credential_sid,
        endpointId: g.endpoint_id,
      });
    case "sync":
      return new AccessToken.SyncGrant({ serviceSid: g.service_sid, endpointId: g.endpoint_id });
    case "task_router":
      return new AccessToken.TaskRouterGrant({
        workspaceSid: g.workspace_sid,
        workerSid: g.worker_sid,
        role: g.role,
      });
    case "playback":
      return new AccessToken.PlaybackGrant({ grant: g.grant });
    case "custom": {
      // A grant class of the caller's own, as twilio-node's docs subclass Grant.
      const custom = new AccessToken.Grant(g.key);
      custom.toPayload = () => g.payload;
      return custom;
    }
  }
  throw new Error("unknown grant " + kind);
}

function mintWithTwilioNode(spec) {
  return frozenAt(spec.at, () => {
    switch (spec.kind) {
      case "access": {
        const token = new AccessToken(spec.account_sid, spec.signing_key_sid, spec.secret, {
          identity: spec.identity,
          ttl: spec.ttl,
          nbf: spec.nbf,
          region: spec.region,
        });
        for (const g of spec.grants || []) token.addGrant(grant(g));
        return token.toJwt(spec.algorithm);
      }
      case "client": {
        const token = new ClientCapability({
          accountSid: spec.account_sid,
          authToken: spec.auth_token,
          ttl: spec.ttl,
        });
        for (const scope of spec.scopes || []) {
          const [[kind, s]] = Object.entries(scope);
          if (kind === "incoming") token.addScope(new ClientCapability.IncomingClientScope(s));
          else if (kind === "outgoing")
            token.addScope(
              new ClientCapability.OutgoingClientScope({
                applicationSid: s.application_sid,
                clientName: s.client_name,
                params: s.params,
              }),
            );
          else token.addScope(new ClientCapability.EventStreamScope(s));
        }
        return token.toJwt();
      }
      case "validation":
        return validationToken(spec).fromHttpRequest(spec.request);
      case "taskrouter": {
        const token = new TaskRouterCapability({
          accountSid: spec.account_sid,
          authToken: spec.auth_token,
          workspaceSid: spec.workspace_sid,
          channelId: spec.channel_id,
          friendlyName: spec.friendly_name,
          ttl: spec.ttl,
          version: spec.version,
        });
        for (const p of spec.policies || [])
          token.addPolicy(
            new Policy({
              url: p.url,
              method: p.method,
              queryFilter: p.query_filter,
              postFilter: p.post_filter,
              allow: p.allow,
            }),
          );
        return token.toJwt();
      }
    }
    throw new Error("unknown kind " + spec.kind);
  });
}

function validationToken(spec) {
  return new ValidationToken({
    accountSid: spec.account_sid,
    credentialSid: spec.credential_sid,
    signingKey: spec.signing_key,
    privateKey: spec.private_key,
    algorithm: spec.algorithm,
  });
}

// Our spec: a validation token takes the request's hashes, which the JavaScript package's
// canonicalizer computes (twilio-node's own tests check that); here twilio-node's computes them.
function ourSpec(spec) {
  if (spec.kind !== "validation") return { ...spec, dialect: "node" };
  const { request, ...rest } = spec;
  const canonical = validationToken(spec).getRequestCanonicalizer(request);
  return { ...rest, hrh: canonical.getCanonicalizedHashedHeaders(), rqh: canonical.create(), dialect: "node" };
}

function mintWithUs(spec) {
  const run = spawnSync(binary, ["mint", "--spec", "-"], {
    input: JSON.stringify(ourSpec(spec)),
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`twilio-token failed (${run.status}): ${run.stderr}`);
  return run.stdout.trim();
}

const AC = "AC" + "a".repeat(32);
const SK = "SK" + "b".repeat(32);
const AT = 1700000000;
const access = (extra) => ({ kind: "access", account_sid: AC, signing_key_sid: SK, secret: "s3cret", identity: "alice", at: AT, ...extra });
const client = (extra) => ({ kind: "client", account_sid: AC, auth_token: "t0ken", at: AT, ...extra });
const router = (extra) => ({ kind: "taskrouter", account_sid: AC, auth_token: "t0ken", workspace_sid: "WS" + "c".repeat(32), channel_id: "WK" + "d".repeat(32), at: AT, ...extra });

const keys = path.join(__dirname, "..", "crates", "twilio-token", "tests", "fixtures", "keys");
const RSA_A = fs.readFileSync(path.join(keys, "rsa_a.pem"), "utf8");
const RSA_B = fs.readFileSync(path.join(keys, "rsa_b.pem"), "utf8");
const validation = (extra) => ({ kind: "validation", account_sid: AC, credential_sid: "CR" + "e".repeat(32), signing_key: SK, private_key: RSA_A, at: AT,
  request: { url: "https://api.twilio.com/2010-04-01/Accounts/" + AC + "/Calls.json", method: "get", headers: { Authorization: "Basic dXNlcjpwYXNz" } }, ...extra });

const golden = [
  access({}),
  access({ identity: 42 }),
  access({ identity: "é日😀\"\\\n\u0001\u007f\u2028" }),
  access({ ttl: 0 }),
  access({ ttl: 86400 }),
  access({ nbf: AT - 300 }),
  access({ nbf: 0 }),
  access({ region: "ie1" }),
  access({ region: "" }),
  access({ algorithm: "HS384" }),
  access({ algorithm: "HS512" }),
  access({ grants: [{ video: {} }] }),
  access({ grants: [{ video: { room: "My Room" } }] }),
  access({ grants: [{ video: { room: "" } }] }),
  access({ grants: [{ chat: { service_sid: "IS1", endpoint_id: "e", deployment_role_sid: "RL1", push_credential_sid: "CR1" } }] }),
  access({ grants: [{ voice: { incoming_allow: true, outgoing_application_sid: "AP1", outgoing_application_params: { b: 1, 10: 2, a: [1.5, null], 2: { z: 1e21, y: 1e-7 } }, push_credential_sid: "CR1", endpoint_id: "e" } }] }),
  access({ grants: [{ voice: { incoming_allow: false, outgoing_application_sid: "AP1", outgoing_application_params: {} } }] }),
  access({ grants: [{ voice: { outgoing_application_params: { a: 1 } } }] }),
  access({ grants: [{ sync: { service_sid: "IS1", endpoint_id: "e" } }] }),
  access({ grants: [{ task_router: { workspace_sid: "WS1", worker_sid: "WK1", role: "worker" } }] }),
  access({ grants: [{ playback: { grant: { requestCredentials: null, playbackUrl: "https://x", playerStreamerSid: "VJ1" } } }] }),
  access({ grants: [{ playback: {} }] }),
  access({ grants: [{ video: { room: "a" } }, { chat: { service_sid: "IS1" } }, { video: { room: "b" } }] }),
  access({ grants: [{ video: { room: "a" } }, { custom: { key: "my_grant", payload: { b: 1, 2: "x", a: [1.5, "é", null], 1: { z: 1e21 } } } }, { custom: { key: "video", payload: { room: "given" } } }] }),
  access({ grants: [{ custom: { key: "text", payload: "a\u2028b" } }, { custom: { key: "none" } }, { custom: { key: "null", payload: null } }, { custom: { key: "0", payload: [] } }] }),
  access({ grants: [{ custom: { key: "later" } }, { video: { room: "a" } }, { custom: { key: "later", payload: 1 } }, { custom: { key: "identity" } }] }),
  client({}),
  client({ ttl: 0 }),
  client({ scopes: [{ incoming: "alice bob&co=é" }] }),
  client({ scopes: [{ incoming: 7 }] }),
  client({ scopes: [{ outgoing: { application_sid: "AP1" } }] }),
  client({ scopes: [{ outgoing: { application_sid: "AP1", client_name: "al ice", params: { mode: "a b", n: 1.5, t: true, x: null, l: [1, 2], 3: "three" } } }] }),
  client({ scopes: [{ outgoing: { application_sid: "AP1", client_name: 5, params: {} } }] }),
  client({ scopes: [{ events: { filter: "a&b", other: "c=d" } }, { incoming: "x" }, { events: {} }, { events: null }] }),
  router({}),
  router({ channel_id: "WQ" + "e".repeat(32) }),
  router({ channel_id: "WS" + "c".repeat(32), friendly_name: "Front Desk", version: "v2", ttl: 60 }),
  router({ friendly_name: null }),
  validation({}),
  validation({ private_key: RSA_B }),
  validation({ request: { url: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?x=1", method: "POST", headers: { Authorization: "Basic abc", Other: "ignored" }, params: { To: "+15551234567", Body: "hé & co", A: "b" }, data: { z: 1, a: [1, 2] } } }),
  validation({ request: { url: "https://api.twilio.com//a//b c/%7Ed*", method: "delete", data: "raw body" } }),
  validation({ algorithm: "PS256" }),
  router({ policies: [{ url: "https://taskrouter.twilio.com/v1/Workspaces/WS1", method: "POST", query_filter: { a: 1 }, post_filter: { ActivitySid: { required: true } }, allow: false }, {}] }),
];

// Randomised specs: strings that need escaping, numbers JavaScript writes its own way, keys that
// JavaScript reorders.
let seed = 0x2545f491;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const maybe = (p, f) => (rand() < p ? f() : undefined);
const chars = ["a", "Z", "0", " ", "&", "=", "?", "/", "%", "+", "\"", "\\", "\n", "\u0001", "\u007f", "é", "日", "😀", "\u2028", "~", "*", "'", "(", ")"];
const str = () => Array.from({ length: Math.floor(rand() * 8) }, () => pick(chars)).join("");
const num = () => pick([0, 1, -1, 1.5, 0.1 + 0.2, 1e21, 1e-7, 123456789.125, 2 ** 53, -0.5, 1e300]);
const key = () => pick(["a", "b", "mode", "0", "1", "10", "2", "01", str()]);
function value(depth) {
  const kinds = depth > 1 ? ["s", "n", "b", "z"] : ["s", "n", "b", "z", "o", "l"];
  switch (pick(kinds)) {
    case "s": return str();
    case "n": return num();
    case "b": return rand() < 0.5;
    case "z": return null;
    case "o": return object(depth + 1);
    case "l": return Array.from({ length: Math.floor(rand() * 3) }, () => value(depth + 1));
  }
}
function object(depth = 0) {
  const o = {};
  for (let i = Math.floor(rand() * 4); i > 0; i--) o[key()] = value(depth);
  return o;
}
function strip(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
function randomGrant() {
  switch (pick(["video", "chat", "voice", "sync", "task_router", "playback", "custom"])) {
    case "custom": return { custom: strip({ key: pick(["mine", "video", "0", str()]), payload: maybe(0.9, () => value(0)) }) };
    case "video": return { video: strip({ room: maybe(0.7, str) }) };
    case "chat": return { chat: strip({ service_sid: maybe(0.7, str), endpoint_id: maybe(0.5, str), deployment_role_sid: maybe(0.3, str), push_credential_sid: maybe(0.3, str) }) };
    case "voice": return { voice: strip({ incoming_allow: maybe(0.6, () => rand() < 0.5), outgoing_application_sid: maybe(0.7, str), outgoing_application_params: maybe(0.6, () => object()), push_credential_sid: maybe(0.3, str), endpoint_id: maybe(0.3, str) }) };
    case "sync": return { sync: strip({ service_sid: maybe(0.7, str), endpoint_id: maybe(0.5, str) }) };
    case "task_router": return { task_router: strip({ workspace_sid: maybe(0.7, str), worker_sid: maybe(0.5, str), role: maybe(0.5, str) }) };
    case "playback": return { playback: strip({ grant: maybe(0.7, () => object()) }) };
  }
}
function randomSpec() {
  const at = AT + Math.floor(rand() * 1e6);
  switch (pick(["access", "access", "client", "taskrouter"])) {
    case "access":
      return strip({ ...access({ at }), identity: pick([str() || "x", Math.floor(rand() * 1e6) + 1]), ttl: maybe(0.5, () => Math.floor(rand() * 86400)), nbf: maybe(0.3, () => at - Math.floor(rand() * 300)), region: maybe(0.3, () => pick(["us1", "ie1", "au1", ""])), algorithm: maybe(0.3, () => pick(["HS256", "HS384", "HS512"])), grants: Array.from({ length: Math.floor(rand() * 4) }, randomGrant) });
    case "client":
      return strip({ ...client({ at }), ttl: maybe(0.5, () => Math.floor(rand() * 86400)), scopes: Array.from({ length: Math.floor(rand() * 4) }, () => pick([
        () => ({ incoming: str() }),
        () => ({ outgoing: strip({ application_sid: "AP" + (str() || "1"), client_name: maybe(0.5, str), params: maybe(0.6, () => object()) }) }),
        () => ({ events: maybe(0.7, () => object()) ?? null }),
      ])()) });
    case "taskrouter":
      return strip({ ...router({ at }), channel_id: pick(["WK", "WQ", "WS"]) + "f".repeat(32), friendly_name: maybe(0.5, str), ttl: maybe(0.5, () => Math.floor(rand() * 86400)), version: maybe(0.3, () => pick(["v1", "v2"])), policies: Array.from({ length: Math.floor(rand() * 3) }, () => strip({ url: maybe(0.8, str), method: maybe(0.5, () => pick(["GET", "POST", "DELETE"])), query_filter: maybe(0.4, () => object()), post_filter: maybe(0.4, () => object()), allow: maybe(0.5, () => rand() < 0.5) })) });
  }
}

if (binary === "--golden" || binary === "--check") {
  const file = randomCount;
  const deterministic = golden.filter((spec) => spec.algorithm !== "PS256");
  const text = JSON.stringify(deterministic.map((spec) => ({ spec: ourSpec(spec), token: mintWithTwilioNode(spec) })), null, 1) + "\n";
  if (binary === "--golden") {
    fs.writeFileSync(file, text);
    console.log(`wrote ${deterministic.length} golden tokens to ${file}`);
  } else if (fs.readFileSync(file, "utf8") !== text) {
    console.error(`${file} is not what twilio-node mints now: node scripts/crosscheck_node.js --golden ${file}`);
    process.exit(1);
  } else {
    console.log(`${file}: the ${deterministic.length} golden tokens are twilio-node's`);
  }
  process.exit(0);
}

let failed = 0;
// PS256 signatures are randomised: the signed parts must match and our signature verify.
function same(spec, want, got) {
  if (spec.algorithm !== "PS256") return want === got;
  const [h1, p1] = want.split(".");
  const [h2, p2, sig] = got.split(".");
  const key = crypto.createPublicKey(spec.private_key);
  const verified = crypto.verify("sha256", Buffer.from(`${h2}.${p2}`), { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, Buffer.from(sig, "base64url"));
  return h1 === h2 && p1 === p2 && verified;
}
function check(label, spec) {
  const want = mintWithTwilioNode(spec);
  const got = mintWithUs(spec);
  if (!same(spec, want, got)) {
    failed++;
    if (failed <= 5) {
      const show = (t) => t.split(".").slice(0, 2).map((p) => Buffer.from(p, "base64url").toString()).join("\n    ");
      console.error(`${label} differs: ${JSON.stringify(spec)}\n  twilio-node:\n    ${show(want)}\n  twilio-token:\n    ${show(got)}`);
    }
  }
}
golden.forEach((spec, i) => check(`golden #${i}`, spec));
const random = Number(randomCount);
for (let i = 0; i < random; i++) check(`random #${i}`, randomSpec());
const total = golden.length + random;
console.log(`node cross-check: ${golden.length} golden and ${random} random specs: ${total - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
