// The JavaScript layer over a fake core that records the specs it is handed: what each class
// asks the core to mint, and the errors twilio-node throws before minting. Where twilio-node
// is installed (jest/node_modules or the project's node-oracle), the public methods that
// compute text in JavaScript (toPayload, payload, util, the canonicalizer) are compared with it.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import querystring from "node:querystring";
import { createRequire } from "node:module";
import { createJwt } from "../src/api.js";

function fakeNative() {
  const calls = { mint: [], decode: [], checkRegion: [], explain: [] };
  let decoded = { header: { alg: "HS256" }, payload: {} };
  return {
    calls,
    specs: () => calls.mint.map((text) => JSON.parse(text)),
    lastSpec: () => JSON.parse(calls.mint[calls.mint.length - 1]),
    willDecode(value) {
      decoded = value;
    },
    mint(specJson) {
      calls.mint.push(specJson);
      return `fake.token.${calls.mint.length}`;
    },
    sha256Hex(text) {
      return crypto.createHash("sha256").update(text, "utf8").digest("hex");
    },
    checkRegion(name) {
      calls.checkRegion.push(name);
      if (!["us1", "ie1", "au1"].includes(name.toLowerCase())) {
        throw new Error("region: not a Twilio Region: expected one of us1, ie1, au1");
      }
    },
    explain(token) {
      calls.explain.push(token);
      return JSON.stringify([{ level: "problem", code: 20103, message: "iss" }]);
    },
    decode(token, key, algorithmsJson) {
      calls.decode.push([token, key, algorithmsJson]);
      if (key === "wrong") throw new Error("invalid token: signature does not verify");
      return JSON.stringify(decoded);
    },
  };
}

function setup() {
  const native = fakeNative();
  return { native, jwt: createJwt(native) };
}

// twilio-node (scripts/node-oracle, which scripts/test.sh installs), to compare the text the
// layer computes itself.
const twilio = createRequire(import.meta.url)("../../../scripts/node-oracle/node_modules/twilio");
const withTwilio = {};

// Runs `fn` with Date.now reading `ms`.
function at(ms, fn) {
  const realNow = Date.now;
  Date.now = () => ms;
  try {
    return fn();
  } finally {
    Date.now = realNow;
  }
}

const AC = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const SK = "SKb5aed9ca12bf5890f37930e63cad6d38";

describe("shape", () => {
  test("is twilio-node's jwt module, plus decode and explain", () => {
    const { jwt } = setup();
    assert.deepEqual(Object.keys(jwt).sort(), ["AccessToken", "ClientCapability", "ValidationToken", "decode", "explain", "taskrouter"]);
    assert.deepEqual(Object.keys(jwt.taskrouter).sort(), ["TaskRouterCapability", "util"]);
    for (const name of ["Grant", "ChatGrant", "VideoGrant", "SyncGrant", "VoiceGrant", "TaskRouterGrant", "PlaybackGrant"]) {
      assert.equal(typeof jwt.AccessToken[name], "function", name);
    }
    assert.equal(jwt.AccessToken.DEFAULT_ALGORITHM, "HS256");
    assert.deepEqual(jwt.AccessToken.ALGORITHMS, ["HS256", "HS384", "HS512"]);
    assert.equal(typeof jwt.AccessToken.fromJwt, "function");
    assert.equal(jwt.ValidationToken.DEFAULT_ALGORITHM, "RS256");
    assert.deepEqual(jwt.ValidationToken.ALGORITHMS, ["RS256", "PS256"]);
    for (const name of ["EventStreamScope", "IncomingClientScope", "OutgoingClientScope"]) {
      assert.equal(typeof jwt.ClientCapability[name], "function", name);
    }
    assert.equal(typeof jwt.taskrouter.TaskRouterCapability.Policy, "function");
  });

  test("util has twilio-node's functions", withTwilio, () => {
    const { jwt } = setup();
    assert.deepEqual(Object.keys(jwt.taskrouter.util).sort(), Object.keys(twilio.jwt.taskrouter.util).sort());
  });
});

describe("AccessToken", () => {
  test("constructor throws twilio-node's errors", () => {
    const { jwt } = setup();
    const { AccessToken } = jwt;
    assert.throws(() => new AccessToken(), new Error("accountSid is required"));
    assert.throws(() => new AccessToken(AC), new Error("keySid is required"));
    assert.throws(() => new AccessToken(AC, SK), new Error("secret is required"));
    assert.throws(() => new AccessToken(AC, SK, "s"), new Error("identity is required to be specified in options"));
    assert.throws(() => new AccessToken(AC, SK, "s", { identity: "" }), new Error("identity is required to be specified in options"));
  });

  test("keeps twilio-node's fields and defaults", () => {
    const { jwt } = setup();
    const token = new jwt.AccessToken(AC, SK, "s", { identity: "alice" });
    assert.equal(token.accountSid, AC);
    assert.equal(token.keySid, SK);
    assert.equal(token.secret, "s");
    assert.equal(token.identity, "alice");
    assert.equal(token.ttl, 3600);
    assert.equal(token.nbf, undefined);
    assert.equal(token.region, undefined);
    assert.deepEqual(token.grants, []);
    assert.equal(new jwt.AccessToken(AC, SK, "s", { identity: "a", ttl: 0 }).ttl, 3600);
  });

  test("rejects unknown algorithms before minting", () => {
    const { jwt, native } = setup();
    const token = new jwt.AccessToken(AC, SK, "s", { identity: "a" });
    assert.throws(() => token.toJwt("HS999"), new Error("Algorithm not supported. Allowed values are HS256, HS384, HS512"));
    assert.throws(() => token.toJwt("RS256"), /Algorithm not supported/);
    assert.equal(native.calls.mint.length, 0);
  });

  test("mints a spec with every grant and field", () => {
    const { jwt, native } = setup();
    const { AccessToken } = jwt;
    const token = new AccessToken(AC, SK, "secret", { identity: "alice", ttl: 600, nbf: 1700000000, region: "ie1" });
    token.addGrant(new AccessToken.VideoGrant({ room: "My Room" }));
    token.addGrant(new AccessToken.ChatGrant({ serviceSid: "IS1", endpointId: "e1", deploymentRoleSid: "RL1", pushCredentialSid: "CR1" }));
    token.addGrant(
      new AccessToken.VoiceGrant({
        incomingAllow: true,
        outgoingApplicationSid: "AP1",
        outgoingApplicationParams: { mode: "conference", n: 1 },
        pushCredentialSid: "CR2",
        endpointId: "e2",
      })
    );
    token.addGrant(new AccessToken.SyncGrant({ serviceSid: "IS2", endpointId: "e3" }));
    token.addGrant(new AccessToken.TaskRouterGrant({ workspaceSid: "WS1", workerSid: "WK1", role: "worker" }));
    token.addGrant(new AccessToken.PlaybackGrant({ grant: { playbackUrl: "https://x", requestCredentials: null } }));

    const result = at(1700000123456, () => token.toJwt("HS384"));
    assert.equal(result, "fake.token.1");
    assert.deepEqual(native.lastSpec(), {
      kind: "access",
      dialect: "node",
      account_sid: AC,
      signing_key_sid: SK,
      secret: "secret",
      identity: "alice",
      ttl: 600,
      nbf: 1700000000,
      region: "ie1",
      algorithm: "HS384",
      at: 1700000123,
      grants: [
        { video: { room: "My Room" } },
        { chat: { service_sid: "IS1", endpoint_id: "e1", deployment_role_sid: "RL1", push_credential_sid: "CR1" } },
        {
          voice: {
            incoming_allow: true,
            outgoing_application_sid: "AP1",
            outgoing_application_params: { mode: "conference", n: 1 },
            push_credential_sid: "CR2",
            endpoint_id: "e2",
          },
        },
        { sync: { service_sid: "IS2", endpoint_id: "e3" } },
        { task_router: { workspace_sid: "WS1", worker_sid: "WK1", role: "worker" } },
        { playback: { grant: { playbackUrl: "https://x", requestCredentials: null } } },
      ],
    });
  });

  test("defaults: HS256, no nbf or region, the clock read at toJwt", () => {
    const { jwt, native } = setup();
    const token = new jwt.AccessToken(AC, SK, "s", { identity: "a" });
    at(1000, () => token.toJwt());
    at(5999, () => token.toJwt());
    const [first, second] = native.specs();
    assert.deepEqual(first, { kind: "access", dialect: "node", account_sid: AC, signing_key_sid: SK, secret: "s", identity: "a", ttl: 3600, algorithm: "HS256", at: 1, grants: [] });
    assert.equal(second.at, 5);
  });

  test("an integer identity goes to the core as a number", () => {
    const { jwt, native } = setup();
    new jwt.AccessToken(AC, SK, "s", { identity: 4444 }).toJwt();
    assert.equal(native.lastSpec().identity, 4444);
  });

  test("fields set after construction are read at toJwt", () => {
    const { jwt, native } = setup();
    const token = new jwt.AccessToken(AC, SK, "s", { identity: "a" });
    token.ttl = 100;
    token.nbf = 42;
    token.region = "au1";
    token.identity = "b";
    token.toJwt("HS512");
    const spec = native.lastSpec();
    assert.deepEqual([spec.ttl, spec.nbf, spec.region, spec.identity, spec.algorithm], [100, 42, "au1", "b", "HS512"]);
  });

  test("a region that is not a non-empty string, and an nbf that is not a number, are left out", () => {
    const { jwt, native } = setup();
    for (const region of ["", undefined, null, {}, 1, 0]) {
      const token = new jwt.AccessToken(AC, SK, "s", { identity: "a" });
      token.region = region;
      token.nbf = "1700000000";
      token.toJwt();
      assert.equal("region" in native.lastSpec(), false, String(region));
      assert.equal("nbf" in native.lastSpec(), false);
    }
  });

  test("falsy grant fields are left out; incomingAllow only when === true", () => {
    const { jwt, native } = setup();
    const { AccessToken } = jwt;
    const token = new AccessToken(AC, SK, "s", { identity: "a" });
    token.addGrant(new AccessToken.VideoGrant());
    token.addGrant(new AccessToken.ChatGrant({ serviceSid: "", endpointId: null, deploymentRoleSid: 0 }));
    token.addGrant(new AccessToken.VoiceGrant({ incomingAllow: "foo", outgoingApplicationParams: {} }));
    token.addGrant(new AccessToken.PlaybackGrant({ grant: 0 }));
    token.toJwt();
    assert.deepEqual(native.lastSpec().grants, [
      { video: {} },
      { chat: {} },
      { voice: { outgoing_application_params: {} } },
      { playback: {} },
    ]);
  });

  test("the same grant kind twice goes to the core twice, in order", () => {
    const { jwt, native } = setup();
    const { AccessToken } = jwt;
    const token = new AccessToken(AC, SK, "s", { identity: "a" });
    token.addGrant(new AccessToken.VideoGrant({ room: "a" }));
    token.addGrant(new AccessToken.ChatGrant({ serviceSid: "IS1" }));
    token.addGrant(new AccessToken.VideoGrant({ room: "b" }));
    token.toJwt();
    assert.deepEqual(native.lastSpec().grants, [{ video: { room: "a" } }, { chat: { service_sid: "IS1" } }, { video: { room: "b" } }]);
  });

  test("other grants go to the core by key and toPayload, in order among the built-in ones", () => {
    const { jwt, native } = setup();
    const { AccessToken } = jwt;
    class MyGrant extends AccessToken.Grant {
      constructor() {
        super("my_product");
      }
      toPayload() {
        return { x: 1 };
      }
    }
    class LoudVideo extends AccessToken.VideoGrant {
      toPayload() {
        return { room: "LOUD" };
      }
    }
    const token = new AccessToken(AC, SK, "s", { identity: "a" });
    token.addGrant(new AccessToken.SyncGrant({ serviceSid: "IS1" }));
    token.addGrant(new MyGrant());
    token.addGrant(new LoudVideo({ room: "r" }));
    token.addGrant({ key: "plain", toPayload: () => undefined });
    token.addGrant(Object.assign(new AccessToken.ChatGrant(), { key: "ip_messaging" }));
    token.toJwt();
    assert.deepEqual(native.lastSpec().grants, [
      { sync: { service_sid: "IS1" } },
      { custom: { key: "my_product", payload: { x: 1 } } },
      { custom: { key: "video", payload: { room: "LOUD" } } },
      // JSON.stringify leaves out undefined, as it does in twilio-node's payload.
      { custom: { key: "plain" } },
      { custom: { key: "ip_messaging", payload: {} } },
    ]);
    const broken = new AccessToken(AC, SK, "s", { identity: "a" });
    broken.addGrant({ key: "nothing" });
    assert.throws(() => broken.toJwt(), TypeError);
  });

  test("a region given to the constructor must be a Twilio Region's; one set later is not checked", () => {
    const { jwt, native } = setup();
    for (const region of ["ie1", "AU1"]) new jwt.AccessToken(AC, SK, "s", { identity: "a", region });
    for (const region of ["eu1", "us1 ", 1, {}]) {
      assert.throws(() => new jwt.AccessToken(AC, SK, "s", { identity: "a", region }), /region: not a Twilio Region/, String(region));
    }
    assert.deepEqual(native.calls.checkRegion, ["ie1", "AU1", "eu1", "us1 ", "", ""]);
    const token = new jwt.AccessToken(AC, SK, "s", { identity: "a" });
    token.region = "foo";
    token.toJwt();
    assert.equal(native.lastSpec().region, "foo");
  });

  test("explain hands the core the token and returns its findings", () => {
    const { jwt, native } = setup();
    assert.deepEqual(jwt.explain("a.b.c"), [{ level: "problem", code: 20103, message: "iss" }]);
    assert.deepEqual(native.calls.explain, ["a.b.c"]);
  });

  test("a ttl set to 0 after construction is refused rather than minted as an hour", () => {
    const { jwt } = setup();
    const token = new jwt.AccessToken(AC, SK, "s", { identity: "a" });
    token.ttl = 0;
    assert.throws(() => token.toJwt(), /ttl 0 is not supported/);
  });

  test("grants' key and toPayload are twilio-node's", withTwilio, () => {
    const { jwt } = setup();
    const values = [undefined, null, "", 0, "x", 7, true, "foo", { a: 1 }, {}];
    const grants = {
      VideoGrant: ["room"],
      ChatGrant: ["serviceSid", "endpointId", "deploymentRoleSid", "pushCredentialSid"],
      VoiceGrant: ["incomingAllow", "outgoingApplicationSid", "outgoingApplicationParams", "pushCredentialSid", "endpointId"],
      SyncGrant: ["serviceSid", "endpointId"],
      TaskRouterGrant: ["workspaceSid", "workerSid", "role"],
      PlaybackGrant: ["grant"],
    };
    for (const [name, fields] of Object.entries(grants)) {
      assert.deepEqual(new jwt.AccessToken[name]().toPayload(), new twilio.jwt.AccessToken[name]().toPayload());
      for (const value of values) {
        const options = Object.fromEntries(fields.map((f) => [f, value]));
        const ours = new jwt.AccessToken[name](options);
        const theirs = new twilio.jwt.AccessToken[name](options);
        assert.equal(ours.key, theirs.key);
        assert.deepEqual({ ...ours }, { ...theirs }, `${name} fields`);
        assert.deepEqual(ours.toPayload(), theirs.toPayload(), `${name}(${JSON.stringify(value)})`);
      }
    }
  });

  test("fromJwt verifies with the HMAC algorithms and reads the payload", () => {
    const { jwt, native } = setup();
    native.willDecode({
      header: { alg: "HS256", typ: "JWT", cty: "twilio-fpa;v=1", twr: "ie1" },
      payload: { jti: `${SK}-1`, grants: { identity: "alice", video: { room: "r" } }, iat: 1, exp: 3601, iss: SK, sub: AC },
    });
    const token = jwt.AccessToken.fromJwt("a.b.c", "secret");
    assert.deepEqual(native.calls.decode, [["a.b.c", "secret", '["HS256","HS384","HS512"]']]);
    assert.equal(token.identity, "alice");
    assert.deepEqual(token.grants, { video: { room: "r" } });
    assert.equal(token.header.twr, "ie1");
    assert.equal(token.payload.iss, SK);
    assert.equal(token.accountSid, AC);
    assert.equal(token.region, "ie1");
    assert.throws(() => jwt.AccessToken.fromJwt("a.b.c", "wrong"), /signature does not verify/);
  });

  test("decode hands the core the token, key and algorithms", () => {
    const { jwt, native } = setup();
    native.willDecode({ header: { alg: "RS256" }, payload: { sub: "x" } });
    assert.deepEqual(jwt.decode("t", "-----BEGIN PUBLIC KEY-----", { algorithms: ["RS256", "PS256"] }), { header: { alg: "RS256" }, payload: { sub: "x" } });
    jwt.decode("t", "k");
    assert.deepEqual(native.calls.decode, [
      ["t", "-----BEGIN PUBLIC KEY-----", '["RS256","PS256"]'],
      ["t", "k", '["HS256"]'],
    ]);
  });
});

describe("ClientCapability", () => {
  test("constructors throw twilio-node's errors", () => {
    const { jwt } = setup();
    const { ClientCapability } = jwt;
    assert.throws(() => new ClientCapability(), new Error('Required parameter "options" missing.'));
    assert.throws(() => new ClientCapability("x"), new TypeError('Parameter "options" must be a type Object'));
    assert.throws(() => new ClientCapability({}), new Error('Required parameter "options.accountSid" missing.'));
    assert.throws(() => new ClientCapability({ accountSid: AC }), new Error('Required parameter "options.authToken" missing.'));
    assert.throws(() => new ClientCapability.OutgoingClientScope(), new Error('Required parameter "options" missing.'));
    assert.throws(() => new ClientCapability.OutgoingClientScope(1), new TypeError('Parameter "options" must be a type Object'));
    assert.throws(() => new ClientCapability.OutgoingClientScope({}), new Error('Required parameter "options.applicationSid" missing.'));
  });

  test("mints scopes of each kind, in order", () => {
    const { jwt, native } = setup();
    const { ClientCapability } = jwt;
    const c = new ClientCapability({ accountSid: AC, authToken: "t0ken", ttl: 7200 });
    assert.equal(c.ttl, 7200);
    c.addScope(new ClientCapability.EventStreamScope({ filter: "a&b", n: 1.5, u: undefined }));
    c.addScope(new ClientCapability.IncomingClientScope("alice"));
    c.addScope(new ClientCapability.OutgoingClientScope({ applicationSid: "AP1", clientName: "bob", params: { mode: "a b", 2: true } }));
    c.addScope(new ClientCapability.OutgoingClientScope({ applicationSid: "AP2", clientName: 5, params: "not an object" }));
    c.addScope(new ClientCapability.IncomingClientScope(7));
    c.addScope(new ClientCapability.EventStreamScope());
    at(1700000000999, () => c.toJwt());
    assert.deepEqual(native.lastSpec(), {
      kind: "client",
      dialect: "node",
      account_sid: AC,
      auth_token: "t0ken",
      ttl: 7200,
      at: 1700000000,
      scopes: [
        // Values twilio-node runs through String() arrive as that text.
        { events: { filter: "a&b", n: "1.5", u: "undefined" } },
        { incoming: "alice" },
        { outgoing: { application_sid: "AP1", client_name: "bob", params: { 2: "true", mode: "a b" } } },
        { outgoing: { application_sid: "AP2" } },
        { incoming: 7 },
        { events: {} },
      ],
    });
  });

  test("a default ttl, a null params, and fields set after construction", () => {
    const { jwt, native } = setup();
    const { ClientCapability } = jwt;
    const c = new ClientCapability({ accountSid: AC, authToken: "t" });
    const outgoing = new ClientCapability.OutgoingClientScope({ applicationSid: "AP1" });
    outgoing.params = null;
    outgoing.clientName = "late";
    c.addScope(outgoing);
    c.toJwt();
    assert.equal(native.lastSpec().ttl, 3600);
    assert.deepEqual(native.lastSpec().scopes, [{ outgoing: { application_sid: "AP1", client_name: "late", params: null } }]);
  });

  test("custom scopes, and filters twilio-node cannot read, are refused", () => {
    const { jwt } = setup();
    const { ClientCapability } = jwt;
    const c = new ClientCapability({ accountSid: AC, authToken: "t" });
    c.addScope({ scope: "scope:custom", payload: () => "scope:custom?x=1" });
    assert.throws(() => c.toJwt(), new Error("custom scopes are not supported yet: scope:custom"));
    const d = new ClientCapability({ accountSid: AC, authToken: "t" });
    const events = new ClientCapability.EventStreamScope();
    events.filters = null;
    d.addScope(events);
    assert.throws(() => d.toJwt(), new TypeError("Cannot convert undefined or null to object"));
  });

  test("scope payload() strings are twilio-node's", withTwilio, () => {
    const { jwt } = setup();
    const ours = jwt.ClientCapability;
    const theirs = twilio.jwt.ClientCapability;
    const names = ["alice", "al ice&co=é", "日本😀", "~*'()!-._", 7, 1e21, null, undefined, true, [1, [2, 3]], { a: 1 }];
    for (const name of names) {
      assert.equal(new ours.IncomingClientScope(name).payload(), new theirs.IncomingClientScope(name).payload(), String(name));
    }
    const params = [undefined, null, {}, { a: "b c", 10: 1, 2: null, u: undefined, o: { x: 1 } }, ["x", "y"], "str", 5];
    for (const p of params) {
      const options = { applicationSid: "AP 1", clientName: "c d", params: p };
      if (p === null) {
        assert.throws(() => new ours.OutgoingClientScope(options).payload(), TypeError);
        continue;
      }
      assert.equal(new ours.OutgoingClientScope(options).payload(), new theirs.OutgoingClientScope(options).payload(), JSON.stringify(p));
      assert.equal(new ours.EventStreamScope(p).payload(), new theirs.EventStreamScope(p).payload(), JSON.stringify(p));
      assert.deepEqual({ ...new ours.EventStreamScope(p) }, { ...new theirs.EventStreamScope(p) });
    }
  });

  test("querystring.escape is Node's for every UTF-16 code unit", () => {
    const { jwt } = setup();
    const escape = (text) => new jwt.ClientCapability.IncomingClientScope(text).payload().slice("scope:client:incoming?clientName=".length);
    const cases = [];
    for (let c = 0; c <= 0xffff; c++) cases.push(String.fromCharCode(c), String.fromCharCode(c) + "x");
    cases.push("😀", "\ud83d\ude00\u00e9", "\udc00\ud800");
    for (const text of cases) {
      let want;
      try {
        want = querystring.escape(text);
      } catch (err) {
        assert.throws(() => escape(text), URIError, JSON.stringify(text));
        continue;
      }
      assert.equal(escape(text), want, JSON.stringify(text));
    }
  });
});

describe("TaskRouterCapability", () => {
  const options = { accountSid: "AC123", authToken: "foobar", workspaceSid: "WS456", channelId: "WK789" };

  test("constructor throws twilio-node's errors", () => {
    const { jwt } = setup();
    const { TaskRouterCapability } = jwt.taskrouter;
    assert.throws(() => new TaskRouterCapability(), new Error('Required parameter "options" missing.'));
    for (const field of ["accountSid", "authToken", "workspaceSid", "channelId"]) {
      assert.throws(() => new TaskRouterCapability({ ...options, [field]: undefined }), new Error(`Required parameter "options.${field}" missing.`));
    }
  });

  test("mints its fields and policies, util's among them", () => {
    const { jwt, native } = setup();
    const { TaskRouterCapability } = jwt.taskrouter;
    const { util } = jwt.taskrouter;
    const c = new TaskRouterCapability({ ...options, friendlyName: "Front Desk", ttl: 60, version: "v2" });
    for (const policy of util.defaultWorkerPolicies("v1", "WS456", "WK789")) c.addPolicy(policy);
    for (const policy of util.defaultEventBridgePolicies("AC123", "WK789")) c.addPolicy(policy);
    c.addPolicy(new TaskRouterCapability.Policy({ url: util.tasksUrl("WS456", "**"), method: "POST", queryFilter: { a: 1 }, postFilter: { ActivitySid: { required: true } }, allow: false }));
    c.addPolicy(new TaskRouterCapability.Policy());
    at(1700000000000, () => c.toJwt());
    const policy = (url, method = "GET") => ({ url, method, query_filter: {}, post_filter: {}, allow: true });
    const base = "https://taskrouter.twilio.com/v1/Workspaces/WS456";
    assert.deepEqual(native.lastSpec(), {
      kind: "taskrouter",
      dialect: "node",
      account_sid: "AC123",
      auth_token: "foobar",
      workspace_sid: "WS456",
      channel_id: "WK789",
      friendly_name: "Front Desk",
      ttl: 60,
      version: "v2",
      at: 1700000000,
      policies: [
        policy(`${base}/Activities`),
        policy(`${base}/Tasks/**`),
        policy(`${base}/Workers/WK789/Reservations/**`),
        policy(`${base}/Workers/WK789`),
        policy("https://event-bridge.twilio.com/v1/wschannels/AC123/WK789"),
        policy("https://event-bridge.twilio.com/v1/wschannels/AC123/WK789", "POST"),
        // twilio-node's `allow || true`.
        { url: `${base}/Tasks/**`, method: "POST", query_filter: { a: 1 }, post_filter: { ActivitySid: { required: true } }, allow: true },
        policy(""),
      ],
    });
  });

  test("defaults, and a null friendly name written as given", () => {
    const { jwt, native } = setup();
    const c = new jwt.taskrouter.TaskRouterCapability(options);
    assert.deepEqual([c.ttl, c.version, c.friendlyName, c.policies], [3600, "v1", undefined, []]);
    c.toJwt();
    assert.equal("friendly_name" in native.lastSpec(), false);
    c.friendlyName = null;
    c.toJwt();
    assert.equal(native.lastSpec().friendly_name, null);
  });

  test("a policy denied after construction is refused, not minted as allowed", () => {
    const { jwt } = setup();
    const c = new jwt.taskrouter.TaskRouterCapability(options);
    const policy = new jwt.taskrouter.TaskRouterCapability.Policy({ url: "u" });
    policy.allow = false;
    c.addPolicy(policy);
    assert.throws(() => c.toJwt(), /Policy.allow = false is not supported yet/);
  });

  test("Policy and util are twilio-node's", withTwilio, () => {
    const { jwt } = setup();
    const ours = jwt.taskrouter;
    const theirs = twilio.jwt.taskrouter;
    for (const opts of [undefined, {}, { url: "u", method: "POST", queryFilter: { a: 1 }, postFilter: { b: 2 }, allow: false }]) {
      const a = new ours.TaskRouterCapability.Policy(opts);
      const b = new theirs.TaskRouterCapability.Policy(opts);
      assert.deepEqual({ ...a }, { ...b });
      assert.deepEqual(a.payload(), b.payload());
    }
    const u1 = ours.util;
    const u2 = theirs.util;
    for (const args of [[], ["**"], ["WS1"], ["WS1", "**"], ["WS1", "X1"], ["WS1", "WK1", "WR1"], ["WS1", undefined, "WR1"]]) {
      for (const name of ["workspacesUrl", "taskQueuesUrl", "tasksUrl", "activitiesUrl", "workersUrl", "reservationsUrl"]) {
        assert.equal(u1[name](...args), u2[name](...args), `${name}(${args})`);
      }
    }
    assert.deepEqual(u1.defaultWorkerPolicies("v1", "WS1", "WK1").map((p) => p.payload()), u2.defaultWorkerPolicies("v1", "WS1", "WK1").map((p) => p.payload()));
    assert.deepEqual(u1.defaultEventBridgePolicies("AC1", "WK1").map((p) => p.payload()), u2.defaultEventBridgePolicies("AC1", "WK1").map((p) => p.payload()));
  });
});

describe("ValidationToken", () => {
  const { privateKey } = crypto.generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const opts = { accountSid: AC, credentialSid: "CRaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", signingKey: SK, privateKey };
  // The example of https://www.twilio.com/docs/iam/pkcv/quickstart#hashing-example
  const request = {
    url: "https://api.twilio.com//2010-04-01/Accounts/AC00000000000000000000000000000000",
    method: "POST",
    headers: { Authorization: "Basic QUMwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDpmb29iYXI=" },
    data: "FriendlyName=my new friendly name",
  };

  test("constructor throws twilio-node's errors and keeps its getters", () => {
    const { jwt } = setup();
    const { ValidationToken } = jwt;
    assert.throws(() => new ValidationToken({}), new Error("accountSid is required"));
    assert.throws(() => new ValidationToken({ accountSid: AC }), new Error("credentialSid is required"));
    assert.throws(() => new ValidationToken({ ...opts, signingKey: "" }), new Error("signingKey is required"));
    assert.throws(() => new ValidationToken({ ...opts, privateKey: undefined }), new Error("privateKey is required"));
    assert.throws(() => new ValidationToken({ ...opts, algorithm: "HS256" }), new Error("Algorithm not supported. Allowed values are RS256, PS256"));
    const token = new ValidationToken(opts);
    assert.deepEqual(
      [token.accountSid, token.credentialSid, token.signingKey, token.privateKey, token.algorithm, token.ttl],
      [AC, opts.credentialSid, SK, privateKey, "RS256", 300]
    );
    assert.equal(new ValidationToken({ ...opts, algorithm: "PS256" }).algorithm, "PS256");
  });

  test("canonicalizes as twilio-node's documentation example", () => {
    const { jwt } = setup();
    const c = new jwt.ValidationToken(opts).getRequestCanonicalizer(request);
    assert.deepEqual(c.headers, { host: "api.twilio.com", authorization: request.headers.Authorization });
    assert.equal(
      c.getCanonicalizedRequestString(),
      "POST\n/2010-04-01/Accounts/AC00000000000000000000000000000000\n\n" +
        `authorization:${request.headers.Authorization}\nhost:api.twilio.com\n\n` +
        "authorization;host\nb8e20591615abc52293f088c87be6df8e9b7b40c3da573f134c9132add851e2d"
    );
    assert.equal(c.sha256Hex("hello world"), "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
  });

  test("mints a validation spec with hrh and rqh", () => {
    const { jwt, native } = setup();
    const token = new jwt.ValidationToken({ ...opts, algorithm: "PS256" });
    const rqh = crypto.createHash("sha256").update(token.getRequestCanonicalizer(request).getCanonicalizedRequestString()).digest("hex");
    at(1700000000000, () => token.fromHttpRequest(request));
    assert.deepEqual(native.lastSpec(), {
      kind: "validation",
      dialect: "node",
      account_sid: AC,
      credential_sid: opts.credentialSid,
      signing_key: SK,
      private_key: privateKey,
      algorithm: "PS256",
      hrh: "authorization;host",
      rqh,
      ttl: 300,
      at: 1700000000,
    });
  });

  test("a KeyObject private key goes to the core as PEM", () => {
    const { jwt, native } = setup();
    const token = new jwt.ValidationToken({ ...opts, privateKey: crypto.createPrivateKey(privateKey) });
    token.fromHttpRequest(request);
    assert.equal(native.lastSpec().private_key, privateKey);
  });

  test("fromHttpRequest wraps errors as twilio-node does", () => {
    const { jwt } = setup();
    const token = new jwt.ValidationToken(opts);
    assert.throws(() => token.fromHttpRequest({ url: "https://example.com/path" }), new Error("Error generating JWT token Error: Method is required"));
    assert.throws(() => token.fromHttpRequest({}), new Error("Error generating JWT token Error: Url is required"));
    const failing = createJwt({ ...fakeNative(), mint: () => { throw new Error("invalid key: not a PEM document"); } });
    const bad = new failing.ValidationToken({ ...opts, privateKey: "invalid-key" });
    assert.throws(() => bad.fromHttpRequest(request), new Error("Error generating JWT token Error: invalid key: not a PEM document"));
  });

  test("with node:crypto, the core lays the token out and the host signs it", () => {
    const native = fakeNative();
    native.validationSigningInput = (specJson) => {
      native.calls.mint.push(specJson);
      return "eyJoZWFkZXIiOjF9.eyJwYXlsb2FkIjoxfQ";
    };
    const jwt = createJwt(native, () => crypto);
    const publicKey = crypto.createPublicKey(privateKey);
    for (const [algorithm, padding] of [["RS256", crypto.constants.RSA_PKCS1_PADDING], ["PS256", crypto.constants.RSA_PKCS1_PSS_PADDING]]) {
      const token = new jwt.ValidationToken({ ...opts, algorithm }).fromHttpRequest(request);
      const [input, signature] = [token.slice(0, token.lastIndexOf(".")), token.slice(token.lastIndexOf(".") + 1)];
      assert.equal(input, "eyJoZWFkZXIiOjF9.eyJwYXlsb2FkIjoxfQ");
      assert.equal(native.lastSpec().algorithm, algorithm);
      const key = { key: publicKey, padding, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST };
      assert.ok(crypto.verify("sha256", Buffer.from(input), key, Buffer.from(signature, "base64url")), algorithm);
    }
    native.validationSigningInput = () => { throw new Error("spec: ttl: invalid value"); };
    assert.throws(() => new jwt.ValidationToken(opts).fromHttpRequest(request), new Error("Error generating JWT token Error: spec: ttl: invalid value"));
  });

  test("with node:crypto, a key twilio-node refuses fails with its message", withTwilio, () => {
    const native = fakeNative();
    native.validationSigningInput = () => "eyJhIjoxfQ.eyJiIjoxfQ";
    const jwt = createJwt(native, () => crypto);
    const pkcs8 = (key) => key.export({ type: "pkcs8", format: "pem" });
    const keys = {
      "not a key": "invalid-key",
      "an empty PEM": "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
      "a public key": crypto.createPublicKey(privateKey).export({ type: "spki", format: "pem" }),
      "a public KeyObject": crypto.createPublicKey(privateKey),
      "a secret KeyObject": crypto.createSecretKey(Buffer.from("s3cret")),
      "a number": 12345,
      "a P-256 key": pkcs8(crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey),
      "an Ed25519 key": pkcs8(crypto.generateKeyPairSync("ed25519").privateKey),
      "a 1024-bit RSA key": pkcs8(crypto.generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey),
      "an RSA-PSS key without parameters": pkcs8(crypto.generateKeyPairSync("rsa-pss", { modulusLength: 2048 }).privateKey),
      "an RSA-PSS key for SHA-512": pkcs8(crypto.generateKeyPairSync("rsa-pss", { modulusLength: 2048, hashAlgorithm: "sha512", mgf1HashAlgorithm: "sha512" }).privateKey),
    };
    for (const algorithm of ["RS256", "PS256"]) {
      for (const [what, key] of Object.entries(keys)) {
        const options = { ...opts, privateKey: key, algorithm };
        let want;
        assert.throws(() => new twilio.jwt.ValidationToken(options).fromHttpRequest(request), (e) => { want = e; return true; });
        assert.throws(() => new jwt.ValidationToken(options).fromHttpRequest(request), { message: want.message }, `${algorithm}, ${what}`);
      }
    }
    // A key it takes, as text, Buffer or KeyObject, is the one that signs.
    for (const key of [privateKey, Buffer.from(privateKey), crypto.createPrivateKey(privateKey)]) {
      const token = new jwt.ValidationToken({ ...opts, privateKey: key }).fromHttpRequest(request);
      const signature = Buffer.from(token.slice(token.lastIndexOf(".") + 1), "base64url");
      assert.ok(crypto.verify("sha256", Buffer.from("eyJhIjoxfQ.eyJiIjoxfQ"), crypto.createPublicKey(privateKey), signature));
    }
  });

  test("the canonicalizer is twilio-node's", withTwilio, () => {
    const { jwt } = setup();
    const ours = new jwt.ValidationToken(opts);
    const theirs = new twilio.jwt.ValidationToken(opts);
    const requests = [
      request,
      { url: "https://example.com", method: "post" },
      { url: "https://example.com//foo bar+/baz*qux/abc%7Edef?x=1", method: "delete", headers: { Authorization: " Basic ABC " } },
      { url: "https://api.twilio.com/a", method: "GET", params: { To: "+1XXXXXXXXX", To9: "+2XXXXXXXXX", PageSize: 20, é: "ü ~*" } },
      { url: "https://api.twilio.com/a", method: "POST", data: { language: "es", types: { "twilio/text": { body: "Hello World" } } } },
    ];
    for (const r of requests) {
      const a = ours.getRequestCanonicalizer(r);
      const b = theirs.getRequestCanonicalizer(r);
      assert.deepEqual({ ...a }, { ...b });
      assert.equal(a.getCanonicalizedRequestString(), b.getCanonicalizedRequestString());
      assert.equal(a.getCanonicalizedHashedHeaders(), b.getCanonicalizedHashedHeaders());
      assert.equal(a.create(), b.create());
    }
  });
});
