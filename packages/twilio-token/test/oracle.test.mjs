// Byte for byte against twilio-node: the same calls made on twilio-node 6 (scripts/node-oracle,
// which scripts/test.sh installs) and on the package (its WebAssembly core), with the clock
// frozen. Fails, naming it, where twilio-node is not installed.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { createRequire } from "node:module";
import { createJwt } from "../src/api.js";

import * as core from "../dist/wasm/twilio_token_wasm.js";
import "../dist/node.mjs"; // initialises the core

const require = createRequire(import.meta.url);
const twilio = require("../../../scripts/node-oracle/node_modules/twilio");
const ours = createJwt(core);

// Both read the clock through Date.now or new Date(): freeze both.
function frozen(seconds, fn) {
  const RealDate = Date;
  const ms = seconds * 1000 + 421;
  globalThis.Date = class extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(ms);
      else super(...args);
    }
    static now() {
      return ms;
    }
  };
  try {
    return fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

// Runs `build(jwt)` against both modules at the same instant and compares the tokens.
function same(label, build) {
  const at = 1700000000 + Math.floor(Math.random() * 1e6);
  const want = frozen(at, () => build(twilio.jwt));
  const got = frozen(at, () => build(ours));
  assert.equal(got, want, label);
}

const AC = "AC" + "a".repeat(32);
const SK = "SK" + "b".repeat(32);

test("access tokens", () => {
  const access = (options, grants = [], alg) => (jwt) => {
    const token = new jwt.AccessToken(AC, SK, "s3cret", options);
    for (const [name, opts] of grants) token.addGrant(new jwt.AccessToken[name](opts));
    return token.toJwt(alg);
  };
  same("plain", access({ identity: "alice" }));
  same("integer identity", access({ identity: 4444 }));
  same("escapes", access({ identity: 'é日😀"\\\n\u0001\u007f\u2028' }));
  same("ttl nbf region", access({ identity: "a", ttl: 600, nbf: 1699999000, region: "ie1" }, [], "HS512"));
  same("every grant", access({ identity: "a" }, [
    ["VideoGrant", { room: "My Room" }],
    ["ChatGrant", { serviceSid: "IS1", endpointId: "e", deploymentRoleSid: "RL1", pushCredentialSid: "CR1" }],
    ["VoiceGrant", { incomingAllow: true, outgoingApplicationSid: "AP1", outgoingApplicationParams: { b: 1, 10: 2, a: [1.5, null], u: undefined }, pushCredentialSid: "CR1", endpointId: "e" }],
    ["SyncGrant", { serviceSid: "IS1", endpointId: "e" }],
    ["TaskRouterGrant", { workspaceSid: "WS1", workerSid: "WK1", role: "worker" }],
    ["PlaybackGrant", { grant: { requestCredentials: null, playbackUrl: "https://x", playerStreamerSid: "VJ1" } }],
  ], "HS384"));
  same("empty and repeated grants", access({ identity: "a" }, [
    ["VideoGrant", {}],
    ["VoiceGrant", { incomingAllow: "foo", outgoingApplicationSid: "AP1", outgoingApplicationParams: {} }],
    ["PlaybackGrant", {}],
    ["VideoGrant", { room: "b" }],
  ]));
  // twilio-node writes what it is given where it documents text.
  same("grant fields that are not text", access({ identity: "a" }, [
    ["VideoGrant", { room: 42 }],
    ["ChatGrant", { serviceSid: "IS1", endpointId: { device: 7 } }],
    ["VoiceGrant", { outgoingApplicationSid: ["AP1"], incomingAllow: true }],
    ["SyncGrant", { serviceSid: true }],
    ["TaskRouterGrant", { workspaceSid: "WS1", role: 1.5 }],
  ]));
  same("a secret as bytes", (jwt) => new jwt.AccessToken(AC, SK, Buffer.from("s3crét"), { identity: "a" }).toJwt());
  same("an auth token as bytes", (jwt) => new jwt.ClientCapability({ accountSid: AC, authToken: Buffer.from("t0ken") }).toJwt());
  same("a secret KeyObject", (jwt) => new jwt.AccessToken(AC, SK, crypto.createSecretKey(Buffer.from("s3cret")), { identity: "a" }).toJwt());
  assert.throws(() => new ours.AccessToken(AC, SK, Buffer.from([0xff]), { identity: "a" }).toJwt(), { message: "a secret given as bytes must be UTF-8 text" });
});

test("a secret jsonwebtoken refuses is refused with its message", () => {
  const pem = (type, options, format = "pkcs8") => crypto.generateKeyPairSync(type, options).privateKey.export({ type: format, format: "pem" });
  const privateKeys = [pem("rsa", { modulusLength: 2048 }), pem("rsa", { modulusLength: 2048 }, "pkcs1"), pem("ec", { namedCurve: "P-256" }, "sec1")];
  const secrets = [...privateKeys, 12345, { a: 1 }, true];
  const emptied = (jwt) => {
    const token = new jwt.AccessToken(AC, SK, "s", { identity: "a" });
    token.secret = "";
    return token.toJwt();
  };
  assert.throws(() => emptied(twilio.jwt), { message: "secretOrPrivateKey must have a value" });
  assert.throws(() => emptied(ours), { message: "secretOrPrivateKey must have a value" });
  const signers = {
    "an access token": (secret, alg) => (jwt) => new jwt.AccessToken(AC, SK, secret, { identity: "a" }).toJwt(alg),
    "a capability token": (secret) => (jwt) => new jwt.ClientCapability({ accountSid: AC, authToken: secret }).toJwt(),
    "a TaskRouter token": (secret) => (jwt) => new jwt.taskrouter.TaskRouterCapability({ accountSid: AC, authToken: secret, workspaceSid: "WS1", channelId: "WK1" }).toJwt(),
  };
  for (const [what, sign] of Object.entries(signers)) {
    for (const secret of secrets) {
      for (const alg of ["HS256", "HS512"]) {
        let want;
        assert.throws(() => frozen(1700000000, sign(secret, alg).bind(null, twilio.jwt)), (e) => { want = e.message; return true; });
        assert.throws(() => frozen(1700000000, sign(secret, alg).bind(null, ours)), { message: want }, `${what}, ${alg}`);
      }
    }
  }
});

test("client capability tokens", () => {
  same("every scope", (jwt) => {
    const C = jwt.ClientCapability;
    const c = new C({ accountSid: AC, authToken: "t0ken", ttl: 7200 });
    c.addScope(new C.EventStreamScope({ filter: "a&b", other: "c=d", n: 1.5, u: undefined }));
    c.addScope(new C.IncomingClientScope("alice bob&co=é"));
    c.addScope(new C.OutgoingClientScope({ applicationSid: "AP1", clientName: "al ice", params: { mode: "a b", 3: "three", l: [1, 2], o: {} } }));
    c.addScope(new C.OutgoingClientScope({ applicationSid: "AP2", clientName: 5, params: "x" }));
    c.addScope(new C.IncomingClientScope(undefined));
    c.addScope(new C.EventStreamScope());
    return c.toJwt();
  });
});

test("taskrouter capability tokens", () => {
  for (const channelId of ["WK789", "WQ789", "WS789"]) {
    same(channelId, (jwt) => {
      const T = jwt.taskrouter.TaskRouterCapability;
      const c = new T({ accountSid: AC, authToken: "t0ken", workspaceSid: "WS456", channelId, friendlyName: "Desk", ttl: 60, version: "v2" });
      for (const p of jwt.taskrouter.util.defaultWorkerPolicies("v1", "WS456", channelId)) c.addPolicy(p);
      for (const p of jwt.taskrouter.util.defaultEventBridgePolicies(AC, channelId)) c.addPolicy(p);
      c.addPolicy(new T.Policy({ url: jwt.taskrouter.util.tasksUrl("WS456"), method: "POST", queryFilter: { a: 1 }, postFilter: { b: { required: true } }, allow: false }));
      c.addPolicy(new T.Policy());
      return c.toJwt();
    });
  }
  same("null friendly name", (jwt) => {
    const c = new jwt.taskrouter.TaskRouterCapability({ accountSid: AC, authToken: "t", workspaceSid: "WS1", channelId: "WK1", friendlyName: null });
    return c.toJwt();
  });
});

test("validation tokens (RS256)", () => {
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const requests = [
    { url: "https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json", method: "get", headers: { Authorization: "Basic dXNlcjpwYXNz" } },
    { url: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?x=1", method: "POST", headers: { Authorization: "Basic abc", Other: "x" }, params: { To: "+15551234567", Body: "hé & co" }, data: { z: 1, a: [1, 2] } },
    { url: "https://api.twilio.com//a//b c/%7Ed*", method: "delete", data: "raw body" },
  ];
  for (const request of requests) {
    same(request.url, (jwt) =>
      new jwt.ValidationToken({ accountSid: AC, credentialSid: "CR" + "e".repeat(32), signingKey: SK, privateKey }).fromHttpRequest(request)
    );
  }
});

test("grants of the caller's own classes, among built-in ones", () => {
  same("custom grants", (jwt) => {
    class Scoreboard extends jwt.AccessToken.Grant {
      constructor() {
        super("scoreboard");
      }
      toPayload() {
        return { b: 1, 2: "two", a: [1.5, "é", null], when: new Date(0) };
      }
    }
    class LoudVideo extends jwt.AccessToken.VideoGrant {
      toPayload() {
        return { room: this.room.toUpperCase() };
      }
    }
    const token = new jwt.AccessToken(AC, SK, "s3cret", { identity: "alice" });
    token.addGrant(new jwt.AccessToken.SyncGrant({ serviceSid: "IS1" }));
    token.addGrant(new Scoreboard());
    token.addGrant(new LoudVideo({ room: "lobby" }));
    token.addGrant({ key: "gone", toPayload: () => undefined });
    return token.toJwt();
  });
});

test("explain gives the findings of decode --explain, with Twilio's codes", () => {
  const token = new twilio.jwt.AccessToken("AC1", SK, "s3cret", { identity: "alice" });
  const found = ours.explain(token.toJwt());
  assert.deepEqual(found.filter((f) => f.level === "problem").map((f) => f.code), [20103, 20106]);
  assert.match(found[0].message, /^sub "AC1" is not an Account SID/);
  assert.throws(() => ours.explain("not a token"), /malformed token/);
});

test("a region given to the constructor is checked by the core", () => {
  assert.throws(() => new ours.AccessToken(AC, SK, "s", { identity: "a", region: "eu1" }), /region: not a Twilio Region/);
  assert.equal(new ours.AccessToken(AC, SK, "s", { identity: "a", region: "IE1" }).region, "IE1");
});

test("fromJwt and decode verify through the core", () => {
  const token = new twilio.jwt.AccessToken(AC, SK, "s3cret", { identity: "alice", region: "au1" });
  token.addGrant(new twilio.jwt.AccessToken.VideoGrant({ room: "r" }));
  const text = token.toJwt("HS384");
  const read = ours.AccessToken.fromJwt(text, "s3cret");
  assert.equal(read.identity, "alice");
  assert.deepEqual(read.grants, { video: { room: "r" } });
  assert.equal(read.header.twr, "au1");
  assert.throws(() => ours.AccessToken.fromJwt(text, "other"), /signature/);
  assert.throws(() => ours.decode(text, "s3cret"), /algorithm|20102/i);
  assert.equal(ours.decode(text, "s3cret", { algorithms: ["HS384"] }).payload.sub, AC);
});

// Randomised calls: strings that need escaping, numbers JavaScript writes its own way, keys
// JavaScript reorders, values of the wrong type where twilio-node tests truth or type.
test("randomised calls", () => {
  let seed = 0x2545f491;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const chars = ["a", "Z", "0", " ", "&", "=", "?", "/", "%", "+", '"', "\\", "\n", "\u0001", "é", "日", "😀", "\u2028", "~", "*", "'", "("];
  const str = () => Array.from({ length: Math.floor(rand() * 6) }, () => pick(chars)).join("");
  const num = () => pick([0, 1, -1, 1.5, 0.1 + 0.2, 1e21, 1e-7, 2 ** 53, -0.5]);
  const value = () => pick([str, num, () => rand() < 0.5, () => null, () => undefined, () => [1, "a"], () => ({ x: 1 })])();
  const object = () => {
    const o = {};
    for (let i = Math.floor(rand() * 4); i > 0; i--) o[pick(["a", "b", "0", "10", "2", "01", str()])] = value();
    return o;
  };
  const maybe = (f) => (rand() < 0.6 ? f() : undefined);
  for (let i = 0; i < 150; i++) {
    const kind = pick(["access", "client", "taskrouter"]);
    const identity = pick([str() || "x", Math.floor(rand() * 1e6) + 1]);
    const ttl = maybe(() => 1 + Math.floor(rand() * 86399));
    const grants = Array.from({ length: Math.floor(rand() * 4) }, () =>
      pick([
        ["VideoGrant", { room: maybe(str) }],
        ["ChatGrant", { serviceSid: maybe(str), endpointId: maybe(str), deploymentRoleSid: maybe(str), pushCredentialSid: maybe(str) }],
        ["VoiceGrant", { incomingAllow: maybe(() => rand() < 0.5), outgoingApplicationSid: maybe(str), outgoingApplicationParams: maybe(object), pushCredentialSid: maybe(str), endpointId: maybe(str) }],
        ["SyncGrant", { serviceSid: maybe(str), endpointId: maybe(str) }],
        ["TaskRouterGrant", { workspaceSid: maybe(str), workerSid: maybe(str), role: maybe(str) }],
        ["PlaybackGrant", { grant: maybe(object) }],
      ])
    );
    const scopes = Array.from({ length: Math.floor(rand() * 4) }, () =>
      pick([
        ["IncomingClientScope", pick([str, num, () => undefined])()],
        ["OutgoingClientScope", { applicationSid: "AP" + str(), clientName: maybe(() => pick([str(), num()])), params: maybe(() => pick([object(), str()])) }],
        ["EventStreamScope", maybe(object)],
      ])
    );
    const policies = Array.from({ length: Math.floor(rand() * 3) }, () => ({
      url: maybe(str), method: maybe(() => pick(["GET", "POST"])), queryFilter: maybe(object), postFilter: maybe(object), allow: maybe(() => rand() < 0.5),
    }));
    const algorithm = pick(["HS256", "HS384", "HS512", undefined]);
    const options = { region: maybe(() => pick(["us1", "ie1", ""])), nbf: maybe(() => 1699999000), friendlyName: maybe(str), version: maybe(() => pick(["v1", "v2"])), channelId: pick(["WK", "WQ", "WS"]) + "1" };
    same(`random #${i} ${kind}`, (jwt) => {
      if (kind === "access") {
        const token = new jwt.AccessToken(AC, SK, "s3cret", { identity, ttl, nbf: options.nbf, region: options.region });
        for (const [name, opts] of grants) token.addGrant(new jwt.AccessToken[name](opts));
        return token.toJwt(algorithm);
      }
      if (kind === "client") {
        const C = jwt.ClientCapability;
        const c = new C({ accountSid: AC, authToken: "t0ken", ttl });
        for (const [name, arg] of scopes) c.addScope(new C[name](arg));
        return c.toJwt();
      }
      const T = jwt.taskrouter.TaskRouterCapability;
      const c = new T({ accountSid: AC, authToken: "t0ken", workspaceSid: "WS1", channelId: options.channelId, friendlyName: options.friendlyName, ttl, version: options.version });
      for (const p of policies) c.addPolicy(new T.Policy(p));
      return c.toJwt();
    });
  }
});
