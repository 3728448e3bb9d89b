// twilio-node 6's `jwt` module (`require('twilio').jwt`) over a token core.
//
// The classes keep twilio-node's names, constructor options, defaults, instance fields and
// thrown messages, so code and tests written against twilio-node run unchanged. What they do
// not do is lay out or sign tokens: `toJwt()` turns an object's fields into a spec in the
// core's Node dialect and hands it to `native.mint`, which writes the token byte for byte as
// twilio-node would. The only token text computed here is what twilio-node exposes as public
// methods (grants' `toPayload()`, scopes' `payload()`, policies' `payload()`, the validation
// request canonicalizer), because callers and tests read those directly.
//
// No run-time dependencies and no Node built-ins: the package must also run on Workers and edge
// runtimes, so hashing goes through `native.sha256Hex`, URLs through the global `URL`, and
// Node's `querystring.escape` is ported below. Where the runtime has `node:crypto` (Node, Deno,
// Bun), its entry hands it over, and a validation token's RSA signature is the host's: the core
// lays the token out, and OpenSSL signs it an order of magnitude faster than WebAssembly can,
// with the key read and checked as twilio-node's jsonwebtoken reads and checks it.

const ACCESS_ALGORITHMS = ["HS256", "HS384", "HS512"];
const ACCESS_ALGORITHMS_JSON = JSON.stringify(ACCESS_ALGORITHMS);
const VALIDATION_ALGORITHMS = ["RS256", "PS256"];

// twilio-node mints with the clock it reads when `toJwt` runs (tests mock Date).
function now() {
  return Math.floor(Date.now() / 1000);
}

// --- Node's querystring.escape ---------------------------------------------------------------

// The ASCII characters querystring.escape leaves as they are (Node's `noEscape` table).
const UNESCAPED = /^[A-Za-z0-9\-._~!'()*]$/;

function percent(byte) {
  return "%" + (byte < 16 ? "0" : "") + byte.toString(16).toUpperCase();
}

// JavaScript's String() as querystring.escape applies it to a value that is not a string.
function toText(value) {
  if (typeof value === "string") return value;
  return typeof value === "object" ? String(value) : value + "";
}

// A port of Node's `querystring.escape` (lib/querystring.js and its `encodeStr`): UTF-8 bytes
// percent-encoded in upper case. Like Node, any surrogate takes the next code unit as its
// pair without checking it, and one at the very end throws `URIError: URI malformed`.
function qsEscape(value) {
  const str = toText(value);
  let out = "";
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c < 0x80) {
      out += UNESCAPED.test(str[i]) ? str[i] : percent(c);
    } else if (c < 0x800) {
      out += percent(0xc0 | (c >> 6)) + percent(0x80 | (c & 0x3f));
    } else if (c < 0xd800 || c >= 0xe000) {
      out +=
        percent(0xe0 | (c >> 12)) +
        percent(0x80 | ((c >> 6) & 0x3f)) +
        percent(0x80 | (c & 0x3f));
    } else {
      if (++i >= str.length) throw new URIError("URI malformed");
      c = 0x10000 + (((c & 0x3ff) << 10) | (str.charCodeAt(i) & 0x3ff));
      out +=
        percent(0xf0 | (c >> 18)) +
        percent(0x80 | ((c >> 12) & 0x3f)) +
        percent(0x80 | ((c >> 6) & 0x3f)) +
        percent(0x80 | (c & 0x3f));
    }
  }
  return out;
}

// --- Helpers for building specs --------------------------------------------------------------

// twilio-node writes a grant field only when it is truthy; a falsy one is left out of the spec
// (JSON.stringify drops undefined), which is also how the core reads "absent".
function truthy(value) {
  return value ? value : undefined;
}

// The core reads an absent or zero ttl as twilio-node's constructor default (`ttl || 3600`).
// A ttl set to one of those after construction makes twilio-node mint something else (no
// `exp`, or `exp` equal to `iat`): refuse it rather than mint a token that lives longer.
function ttlOf(ttl) {
  if (!ttl) {
    throw new Error(`ttl ${ttl} is not supported: set a number of seconds`);
  }
  return ttl;
}

// Values twilio-node runs through Object.entries + querystring.escape (scope params and
// filters): each value becomes the text String() gives it, so that what JSON cannot carry
// (undefined, functions, Dates' toJSON) reaches the core as twilio-node would see it. The
// core still orders the keys, escapes and joins them.
function entriesAsText(object) {
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, toText(v)]));
}

// The values a scope names directly (client names, the application SID): JSON-safe ones go as
// they are (the core applies String() itself), anything else as its String() text.
function scalar(value) {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  return toText(value);
}

function nullishEntries() {
  return new TypeError("Cannot convert undefined or null to object");
}

// A key as the core takes it: PEM text. Node callers may hold a KeyObject or a Buffer.
function keyText(key) {
  if (typeof key === "string") return key;
  if (key && typeof key.export === "function" && key.type === "private") {
    return String(key.export({ type: "pkcs8", format: "pem" }));
  }
  if (key && typeof key.export === "function" && key.type === "public") {
    return String(key.export({ type: "spki", format: "pem" }));
  }
  if (key instanceof Uint8Array) return new TextDecoder().decode(key);
  return toText(key);
}

// A private key in PEM, which jsonwebtoken refuses as an HMAC secret.
const PRIVATE_KEY_PEM = /-----BEGIN (?:RSA |EC |DSA )?PRIVATE KEY-----/;

// An HMAC secret as the core takes it, text, refused as jsonwebtoken 9 refuses it (with its
// messages) when twilio-node signs. Like jsonwebtoken it also takes bytes (a Buffer, a secret
// KeyObject), the same secret when they are UTF-8 text, as API key secrets and auth tokens are.
function hmacSecret(secret, algorithm) {
  if (!secret) throw new Error("secretOrPrivateKey must have a value");
  if (secret.type === "secret" && typeof secret.export === "function") secret = secret.export();
  if (secret instanceof Uint8Array) {
    try {
      secret = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(secret);
    } catch {
      throw new Error("a secret given as bytes must be UTF-8 text");
    }
  }
  if (typeof secret !== "string") throw new Error("secretOrPrivateKey is not valid key material");
  if (PRIVATE_KEY_PEM.test(secret)) {
    throw new Error(`secretOrPrivateKey must be a symmetric key when using ${algorithm}`);
  }
  return secret;
}

// The key types jsonwebtoken 9 signs with, and the algorithms each may sign.
const KEY_ALGORITHMS = {
  ec: ["ES256", "ES384", "ES512"],
  rsa: ["RS256", "PS256", "RS384", "PS384", "RS512", "PS512"],
  "rsa-pss": ["PS256", "PS384", "PS512"],
};

// The checks jsonwebtoken 9 makes of a private key before it signs (its sign.js and
// lib/validateAsymmetricKey.js), so that a key twilio-node refuses fails with twilio-node's
// message: node:crypto reads the key as jsonwebtoken does. Returns the KeyObject that signs.
// `algorithm` is RS256 or PS256 (both SHA-256).
function signingKeyObject(crypto, key, algorithm) {
  if (!(key instanceof crypto.KeyObject)) {
    try {
      key = crypto.createPrivateKey(key);
    } catch {
      try {
        key = crypto.createSecretKey(typeof key === "string" ? new TextEncoder().encode(key) : key);
      } catch {
        throw new Error("secretOrPrivateKey is not valid key material");
      }
    }
  }
  if (key.type !== "private") {
    throw new Error(`secretOrPrivateKey must be an asymmetric key when using ${algorithm}`);
  }
  const details = key.asymmetricKeyDetails || {};
  if (details.modulusLength < 2048) {
    throw new Error(`secretOrPrivateKey has a minimum key size of 2048 bits for ${algorithm}`);
  }
  const type = key.asymmetricKeyType;
  const allowed = KEY_ALGORITHMS[type];
  if (!allowed) throw new Error(`Unknown key type "${type}".`);
  if (!allowed.includes(algorithm)) {
    throw new Error(`"alg" parameter for "${type}" key type must be one of: ${allowed.join(", ")}.`);
  }
  if (type === "rsa-pss") {
    const { hashAlgorithm, mgf1HashAlgorithm, saltLength } = details;
    if (hashAlgorithm !== "sha256" || mgf1HashAlgorithm !== hashAlgorithm) {
      throw new Error(`Invalid key for this operation, its RSA-PSS parameters do not meet the requirements of "alg" ${algorithm}.`);
    }
    if (saltLength !== undefined && saltLength > 32) {
      throw new Error(`Invalid key for this operation, its RSA-PSS parameter saltLength does not meet the requirements of "alg" ${algorithm}.`);
    }
  }
  return key;
}

// --- AccessToken grants (twilio-node's AccessToken namespace) --------------------------------

class Grant {
  constructor(key) {
    this.key = key;
  }
}

class TaskRouterGrant extends Grant {
  constructor(options) {
    options = options || {};
    super("task_router");
    this.workspaceSid = options.workspaceSid;
    this.workerSid = options.workerSid;
    this.role = options.role;
  }

  toPayload() {
    const grant = {};
    if (this.workspaceSid) grant.workspace_sid = this.workspaceSid;
    if (this.workerSid) grant.worker_sid = this.workerSid;
    if (this.role) grant.role = this.role;
    return grant;
  }
}

class ChatGrant extends Grant {
  constructor(options) {
    options = options || {};
    super("chat");
    this.serviceSid = options.serviceSid;
    this.endpointId = options.endpointId;
    this.deploymentRoleSid = options.deploymentRoleSid;
    this.pushCredentialSid = options.pushCredentialSid;
  }

  toPayload() {
    const grant = {};
    if (this.serviceSid) grant.service_sid = this.serviceSid;
    if (this.endpointId) grant.endpoint_id = this.endpointId;
    if (this.deploymentRoleSid) grant.deployment_role_sid = this.deploymentRoleSid;
    if (this.pushCredentialSid) grant.push_credential_sid = this.pushCredentialSid;
    return grant;
  }
}

class VideoGrant extends Grant {
  constructor(options) {
    options = options || {};
    super("video");
    this.room = options.room;
  }

  toPayload() {
    const grant = {};
    if (this.room) grant.room = this.room;
    return grant;
  }
}

class SyncGrant extends Grant {
  constructor(options) {
    options = options || {};
    super("data_sync");
    this.serviceSid = options.serviceSid;
    this.endpointId = options.endpointId;
  }

  toPayload() {
    const grant = {};
    if (this.serviceSid) grant.service_sid = this.serviceSid;
    if (this.endpointId) grant.endpoint_id = this.endpointId;
    return grant;
  }
}

class VoiceGrant extends Grant {
  constructor(options) {
    options = options || {};
    super("voice");
    this.incomingAllow = options.incomingAllow;
    this.outgoingApplicationSid = options.outgoingApplicationSid;
    this.outgoingApplicationParams = options.outgoingApplicationParams;
    this.pushCredentialSid = options.pushCredentialSid;
    this.endpointId = options.endpointId;
  }

  toPayload() {
    const grant = {};
    if (this.incomingAllow === true) grant.incoming = { allow: true };
    if (this.outgoingApplicationSid) {
      grant.outgoing = { application_sid: this.outgoingApplicationSid };
      if (this.outgoingApplicationParams) {
        grant.outgoing.params = this.outgoingApplicationParams;
      }
    }
    if (this.pushCredentialSid) grant.push_credential_sid = this.pushCredentialSid;
    if (this.endpointId) grant.endpoint_id = this.endpointId;
    return grant;
  }
}

class PlaybackGrant extends Grant {
  constructor(options) {
    options = options || {};
    super("player");
    this.grant = options.grant;
  }

  toPayload() {
    let grant = {};
    if (this.grant) grant = this.grant;
    return grant;
  }
}

// The built-in grants as the core's spec names them: [class, key, spec kind, fields].
const GRANT_SPECS = [
  [VideoGrant, "video", "video", (g) => ({ room: truthy(g.room) })],
  [
    ChatGrant,
    "chat",
    "chat",
    (g) => ({
      service_sid: truthy(g.serviceSid),
      endpoint_id: truthy(g.endpointId),
      deployment_role_sid: truthy(g.deploymentRoleSid),
      push_credential_sid: truthy(g.pushCredentialSid),
    }),
  ],
  [
    VoiceGrant,
    "voice",
    "voice",
    (g) => ({
      // twilio-node tests `incomingAllow === true`, not its truth.
      incoming_allow: g.incomingAllow === true ? true : undefined,
      outgoing_application_sid: truthy(g.outgoingApplicationSid),
      outgoing_application_params: truthy(g.outgoingApplicationParams),
      push_credential_sid: truthy(g.pushCredentialSid),
      endpoint_id: truthy(g.endpointId),
    }),
  ],
  [
    SyncGrant,
    "data_sync",
    "sync",
    (g) => ({ service_sid: truthy(g.serviceSid), endpoint_id: truthy(g.endpointId) }),
  ],
  [
    TaskRouterGrant,
    "task_router",
    "task_router",
    (g) => ({
      workspace_sid: truthy(g.workspaceSid),
      worker_sid: truthy(g.workerSid),
      role: truthy(g.role),
    }),
  ],
  [PlaybackGrant, "player", "playback", (g) => ({ grant: truthy(g.grant) })],
];

// The fields of the grants' specs that hold JSON values rather than text.
const VALUE_FIELDS = new Set(["incoming_allow", "outgoing_application_params", "grant"]);

// A grant as a spec: a built-in one, as built, by its fields, so that the core writes its
// payload; any other (a class of the caller's own, one whose key or toPayload was changed, or
// one holding something other than text where twilio-node documents text, such as a room
// given as a number) by its key and what its toPayload returns, which the core writes as
// given, as twilio-node does.
function grantSpec(grant) {
  for (const [Class, key, kind, fieldsOf] of GRANT_SPECS) {
    if (
      grant instanceof Class &&
      grant.key === key &&
      grant.toPayload === Class.prototype.toPayload
    ) {
      const fields = fieldsOf(grant);
      const text = ([name, value]) =>
        value === undefined || typeof value === "string" || VALUE_FIELDS.has(name);
      if (Object.entries(fields).every(text)) return { [kind]: fields };
      break;
    }
  }
  return { custom: { key: String(grant.key), payload: grant.toPayload() } };
}

// --- ClientCapability scopes -----------------------------------------------------------------

class EventStreamScope {
  constructor(filters) {
    this.scope = "scope:stream:subscribe";
    this.filters = filters || {};
  }

  payload() {
    const queryArgs = ["path=/2010-04-01/Events"];
    if (Object.keys(this.filters).length > 0) {
      const queryParams = Object.entries(this.filters).map((filter) =>
        [qsEscape(filter[0]), qsEscape(filter[1])].join("=")
      );
      queryArgs.push(["appParams", qsEscape(queryParams.join("&"))].join("="));
    }
    return [this.scope, queryArgs.join("&")].join("?");
  }
}

class IncomingClientScope {
  constructor(clientName) {
    this.scope = "scope:client:incoming";
    this.clientName = clientName;
  }

  payload() {
    const query = ["clientName", qsEscape(this.clientName)].join("=");
    return [this.scope, query].join("?");
  }
}

class OutgoingClientScope {
  constructor(options) {
    this.scope = "scope:client:outgoing";
    if (!options) {
      throw new Error('Required parameter "options" missing.');
    }
    if (typeof options !== "object") {
      throw new TypeError('Parameter "options" must be a type Object');
    }
    if (!options.applicationSid) {
      throw new Error('Required parameter "options.applicationSid" missing.');
    }
    this.applicationSid = options.applicationSid;
    this.clientName = options.clientName;
    this.params = options.params;
  }

  payload() {
    const queryArgs = [["appSid", qsEscape(this.applicationSid)].join("=")];
    if (typeof this.clientName === "string") {
      queryArgs.push(["clientName", qsEscape(this.clientName)].join("="));
    }
    if (typeof this.params === "object") {
      const queryParams = Object.entries(this.params).map((param) =>
        [qsEscape(param[0]), qsEscape(param[1])].join("=")
      );
      queryArgs.push(["appParams", qsEscape(queryParams.join("&"))].join("="));
    }
    return [this.scope, queryArgs.join("&")].join("?");
  }
}

// Whether `object` is an instance of `Class` whose `payload` and `scope` are the class's own.
function builtIn(object, Class, scope) {
  return (
    object instanceof Class &&
    object.payload === Class.prototype.payload &&
    object.scope === scope
  );
}

// A scope as a spec: the fields its payload() reads, with twilio-node's type tests applied
// where the spec cannot tell JavaScript's types apart.
function scopeSpec(scope) {
  if (builtIn(scope, IncomingClientScope, "scope:client:incoming")) {
    return { incoming: scalar(scope.clientName) };
  }
  if (builtIn(scope, OutgoingClientScope, "scope:client:outgoing")) {
    const { params } = scope;
    return {
      outgoing: {
        application_sid: scalar(scope.applicationSid),
        // twilio-node writes the client name only when it is a string.
        client_name: typeof scope.clientName === "string" ? scope.clientName : undefined,
        // `typeof params === "object"`: null goes on (the core then throws as
        // Object.entries(null) does); other types are not written.
        params:
          params === null
            ? null
            : typeof params === "object"
            ? entriesAsText(params)
            : undefined,
      },
    };
  }
  if (builtIn(scope, EventStreamScope, "scope:stream:subscribe")) {
    const { filters } = scope;
    // twilio-node's Object.keys(this.filters) throws on these.
    if (filters === null || filters === undefined) throw nullishEntries();
    // Object.entries of a string is its UTF-16 code units, of a number or boolean nothing.
    return { events: entriesAsText(filters) };
  }
  throw new Error(`custom scopes are not supported yet: ${scope && scope.scope}`);
}

// --- TaskRouter ------------------------------------------------------------------------------

class Policy {
  constructor(options) {
    options = options || {};
    this.url = options.url || "";
    this.method = options.method || "GET";
    this.queryFilter = options.queryFilter || {};
    this.postFilter = options.postFilter || {};
    // twilio-node's `allow || true`: `allow: false` in the options is true as well.
    this.allow = options.allow || true;
  }

  payload() {
    return {
      url: this.url,
      method: this.method,
      query_filter: this.queryFilter,
      post_filter: this.postFilter,
      allow: this.allow,
    };
  }
}

// The core applies the constructor's defaults to a falsy policy field (as `new Policy` did).
// A field set to another falsy value afterwards, `policy.allow = false` above all, would be
// written by twilio-node as set: refuse it rather than mint a policy that allows more. (An
// empty url is the default, so it is the one falsy value that goes through.)
const POLICY_FIELDS = [
  ["url", "url"],
  ["method", "method"],
  ["queryFilter", "query_filter"],
  ["postFilter", "post_filter"],
  ["allow", "allow"],
];

function policySpec(policy) {
  if (!(policy instanceof Policy) || policy.payload !== Policy.prototype.payload) {
    throw new Error("custom policies are not supported yet");
  }
  const spec = {};
  for (const [field, name] of POLICY_FIELDS) {
    const value = policy[field];
    if (!value && !(field === "url" && value === "")) {
      throw new Error(`Policy.${field} = ${String(value)} is not supported yet`);
    }
    spec[name] = value;
  }
  return spec;
}

const EVENT_URL_BASE = "https://event-bridge.twilio.com/v1/wschannels";
const TASKROUTER_BASE_URL = "https://taskrouter.twilio.com";
const TASKROUTER_VERSION = "v1";

function joinDefined(items) {
  return items.filter((item) => typeof item === "string").join("/");
}

// twilio-node's src/jwt/taskrouter/util.ts.
function defaultWorkerPolicies(version, workspaceSid, workerSid) {
  const activities = new Policy({
    url: [TASKROUTER_BASE_URL, version, "Workspaces", workspaceSid, "Activities"].join("/"),
    method: "GET",
    allow: true,
  });
  const tasks = new Policy({
    url: [TASKROUTER_BASE_URL, version, "Workspaces", workspaceSid, "Tasks", "**"].join("/"),
    method: "GET",
    allow: true,
  });
  const reservations = new Policy({
    url: [
      TASKROUTER_BASE_URL,
      version,
      "Workspaces",
      workspaceSid,
      "Workers",
      workerSid,
      "Reservations",
      "**",
    ].join("/"),
    method: "GET",
    allow: true,
  });
  const workerFetch = new Policy({
    url: [TASKROUTER_BASE_URL, version, "Workspaces", workspaceSid, "Workers", workerSid].join(
      "/"
    ),
    method: "GET",
    allow: true,
  });
  return [activities, tasks, reservations, workerFetch];
}

function defaultEventBridgePolicies(accountSid, channelId) {
  const url = [EVENT_URL_BASE, accountSid, channelId].join("/");
  return [
    new Policy({ url: url, method: "GET", allow: true }),
    new Policy({ url: url, method: "POST", allow: true }),
  ];
}

function workspacesUrl(workspaceSid) {
  return joinDefined([TASKROUTER_BASE_URL, TASKROUTER_VERSION, "Workspaces", workspaceSid]);
}

function taskQueuesUrl(workspaceSid, taskQueueSid) {
  return joinDefined([workspacesUrl(workspaceSid), "TaskQueues", taskQueueSid]);
}

function tasksUrl(workspaceSid, taskSid) {
  return joinDefined([workspacesUrl(workspaceSid), "Tasks", taskSid]);
}

function activitiesUrl(workspaceSid, activitySid) {
  return joinDefined([workspacesUrl(workspaceSid), "Activities", activitySid]);
}

function workersUrl(workspaceSid, workerSid) {
  return joinDefined([workspacesUrl(workspaceSid), "Workers", workerSid]);
}

function reservationsUrl(workspaceSid, workerSid, reservationSid) {
  return joinDefined([workersUrl(workspaceSid, workerSid), "Reservations", reservationSid]);
}

const util = {
  defaultWorkerPolicies,
  defaultEventBridgePolicies,
  workspacesUrl,
  taskQueuesUrl,
  tasksUrl,
  activitiesUrl,
  workersUrl,
  reservationsUrl,
};

// --- The module over a core ------------------------------------------------------------------

/**
 * Builds twilio-node 6's `jwt` module over a token core.
 *
 * @param native - `{ mint(specJson), validationSigningInput(specJson), sha256Hex(text),
 *   decode(token, key, algorithmsJson), explain(token), checkRegion(name) }`, all synchronous;
 *   each throws an Error saying why it fails.
 * @param loadCrypto - returns `node:crypto`, where the runtime has it; RSA signatures are then
 *   its. Called when the first validation token is signed: loading it costs a process that
 *   never signs one a few milliseconds.
 */
export function createJwt(native, loadCrypto) {
  const mint = (spec) => native.mint(JSON.stringify(spec));
  // A validation token: signed by the core, or laid out by the core and signed by the host,
  // with the key it made last (a server signs with one credential; parsing its PEM costs more
  // than the signature). The host checks the key first, as twilio-node does.
  let crypto, lastPem, lastAlgorithm, lastKey;
  const mintValidation = loadCrypto
    ? (spec, privateKey) => {
        crypto ??= loadCrypto();
        if (spec.private_key !== lastPem || spec.algorithm !== lastAlgorithm) {
          lastKey = signingKeyObject(crypto, privateKey, spec.algorithm);
          [lastPem, lastAlgorithm] = [spec.private_key, spec.algorithm];
        }
        const input = native.validationSigningInput(JSON.stringify(spec));
        const key = spec.algorithm === "PS256"
          ? { key: lastKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST }
          : lastKey;
        return input + "." + crypto.sign("sha256", new TextEncoder().encode(input), key).toString("base64url");
      }
    : mint;

  // Strict verification by the core; `algorithms` defaults to HS256 alone, as the core's
  // command line does for a secret.
  function decode(token, key, options) {
    const algorithms = (options && options.algorithms) || ["HS256"];
    return decodeWith(token, key, JSON.stringify(algorithms));
  }
  function decodeWith(token, key, algorithmsJson) {
    const decoded = JSON.parse(native.decode(String(token), keyText(key), algorithmsJson));
    return { header: decoded.header, payload: decoded.payload };
  }

  class AccessToken {
    constructor(accountSid, keySid, secret, options) {
      if (!accountSid) throw new Error("accountSid is required");
      if (!keySid) throw new Error("keySid is required");
      if (!secret) throw new Error("secret is required");
      if (!options || !options.identity) {
        throw new Error("identity is required to be specified in options");
      }
      this.accountSid = accountSid;
      this.keySid = keySid;
      this.secret = secret;
      this.ttl = options.ttl || 3600;
      this.identity = options.identity;
      this.nbf = options.nbf;
      // Beyond twilio-node: a region given here must be a Twilio Region's name. (One assigned
      // later is written as twilio-node writes it, so code that relies on that keeps working.)
      if (options.region) {
        // Anything but a string is no Region's name: the core refuses "" with its message.
        native.checkRegion(typeof options.region === "string" ? options.region : "");
      }
      this.region = options.region;
      this.grants = [];
    }

    addGrant(grant) {
      this.grants.push(grant);
    }

    toJwt(algorithm) {
      algorithm = algorithm || AccessToken.DEFAULT_ALGORITHM;
      if (!AccessToken.ALGORITHMS.includes(algorithm)) {
        throw new Error(
          "Algorithm not supported. Allowed values are " + AccessToken.ALGORITHMS.join(", ")
        );
      }
      const grants = this.grants.map(grantSpec);
      return mint({
        kind: "access",
        dialect: "node",
        account_sid: this.accountSid,
        signing_key_sid: this.keySid,
        secret: hmacSecret(this.secret, algorithm),
        // A string or an integer is written (as a string) by the core; other values are not.
        identity: this.identity,
        ttl: ttlOf(this.ttl),
        // twilio-node writes nbf only when it is a number, and twr only for a non-empty string.
        nbf: typeof this.nbf === "number" ? this.nbf : undefined,
        region: this.region && typeof this.region === "string" ? this.region : undefined,
        algorithm,
        at: now(),
        grants,
      });
    }

    /**
     * Verifies an access token (HS256, HS384 or HS512) with `secret` and returns what it holds.
     * Not in twilio-node.
     */
    static fromJwt(token, secret) {
      const { header, payload } = decodeWith(token, secret, ACCESS_ALGORITHMS_JSON);
      const { identity, ...grants } = payload.grants || {};
      return {
        header,
        payload,
        accountSid: payload.sub,
        keySid: payload.iss,
        identity,
        grants,
        nbf: payload.nbf,
        region: header.twr,
      };
    }
  }
  AccessToken.DEFAULT_ALGORITHM = "HS256";
  AccessToken.ALGORITHMS = [...ACCESS_ALGORITHMS];
  Object.assign(AccessToken, {
    Grant,
    TaskRouterGrant,
    ChatGrant,
    VideoGrant,
    SyncGrant,
    VoiceGrant,
    PlaybackGrant,
  });

  class ClientCapability {
    constructor(options) {
      if (!options) {
        throw new Error('Required parameter "options" missing.');
      }
      if (typeof options !== "object") {
        throw new TypeError('Parameter "options" must be a type Object');
      }
      if (!options.accountSid) {
        throw new Error('Required parameter "options.accountSid" missing.');
      }
      if (!options.authToken) {
        throw new Error('Required parameter "options.authToken" missing.');
      }
      this.accountSid = options.accountSid;
      this.authToken = options.authToken;
      this.ttl = options.ttl || 3600;
      this.scopes = [];
    }

    addScope(scope) {
      this.scopes.push(scope);
    }

    toJwt() {
      const scopes = this.scopes.map(scopeSpec);
      return mint({
        kind: "client",
        dialect: "node",
        account_sid: this.accountSid,
        auth_token: hmacSecret(this.authToken, "HS256"),
        ttl: ttlOf(this.ttl),
        at: now(),
        scopes,
      });
    }
  }
  ClientCapability.EventStreamScope = EventStreamScope;
  ClientCapability.IncomingClientScope = IncomingClientScope;
  ClientCapability.OutgoingClientScope = OutgoingClientScope;

  class TaskRouterCapability {
    constructor(options) {
      if (!options) {
        throw new Error('Required parameter "options" missing.');
      }
      if (!options.accountSid) {
        throw new Error('Required parameter "options.accountSid" missing.');
      }
      if (!options.authToken) {
        throw new Error('Required parameter "options.authToken" missing.');
      }
      if (!options.workspaceSid) {
        throw new Error('Required parameter "options.workspaceSid" missing.');
      }
      if (!options.channelId) {
        throw new Error('Required parameter "options.channelId" missing.');
      }
      this.accountSid = options.accountSid;
      this.authToken = options.authToken;
      this.workspaceSid = options.workspaceSid;
      this.channelId = options.channelId;
      this.friendlyName = options.friendlyName;
      this.ttl = options.ttl || 3600;
      this.version = options.version || "v1";
      this.policies = [];
    }

    addPolicy(policy) {
      this.policies.push(policy);
    }

    toJwt() {
      const policies = this.policies.map(policySpec);
      return mint({
        kind: "taskrouter",
        dialect: "node",
        account_sid: this.accountSid,
        auth_token: hmacSecret(this.authToken, "HS256"),
        workspace_sid: this.workspaceSid,
        channel_id: this.channelId,
        // Left out when undefined, written as given otherwise (null included), as
        // JSON.stringify treats twilio-node's payload.
        friendly_name: this.friendlyName,
        ttl: ttlOf(this.ttl),
        version: this.version,
        at: now(),
        policies,
      });
    }
  }
  TaskRouterCapability.Policy = Policy;

  // twilio-node's src/jwt/validation/RequestCanonicalizer.ts, hashing through the core.
  class RequestCanonicalizer {
    constructor(method, uri, queryParams, requestBody, headers) {
      this.method = method;
      this.uri = uri;
      this.queryParams = queryParams;
      this.requestBody = requestBody;
      this.headers = headers;
    }

    getCanonicalizedMethod() {
      return this.method.toUpperCase();
    }

    customEncode(str) {
      return encodeURIComponent(decodeURIComponent(str))
        .replace(/\*/g, "%2A")
        .replace(/%7E/g, "~");
    }

    ASCIICompare(a, b) {
      if (a < b) return -1;
      return a > b ? 1 : 0;
    }

    getCanonicalizedPath() {
      // Drop any query string, collapse repeated slashes, then encode each segment (decoding
      // it first, so that an already encoded one is not encoded twice).
      const path = this.uri.split("?")[0];
      const normalizedPath = path.replace(/\/+/g, "/");
      return normalizedPath
        .split("/")
        .map((segment) => this.customEncode(segment))
        .join("/");
    }

    getCanonicalizedQueryParams() {
      if (!this.queryParams) {
        return "";
      }
      // Sorted as `key=value` text, in ASCII order, then each side encoded.
      return Object.entries(this.queryParams)
        .map(([key, value]) => `${key}=${value}`)
        .sort((a, b) => this.ASCIICompare(a, b))
        .map((param) => {
          const [key, value] = param.split("=");
          return `${this.customEncode(key)}=${this.customEncode(value)}`;
        })
        .join("&");
    }

    getCanonicalizedHeaders() {
      const sortedHeaders = Object.keys(this.headers)
        .map((key) => {
          if (!this.headers[key]) {
            return `${key.toLowerCase()}:`;
          }
          return `${key.toLowerCase()}:${this.headers[key].trim()}`;
        })
        .sort((a, b) => this.ASCIICompare(a, b));
      return `${sortedHeaders.join("\n")}\n`;
    }

    getCanonicalizedHashedHeaders() {
      return Object.keys(this.headers)
        .sort((a, b) => this.ASCIICompare(a, b))
        .join(";");
    }

    getCanonicalizedRequestBody() {
      if (!this.requestBody) {
        return "";
      }
      if (typeof this.requestBody === "string") {
        return this.sha256Hex(this.requestBody);
      }
      return this.sha256Hex(JSON.stringify(this.requestBody));
    }

    sha256Hex(body) {
      return native.sha256Hex(body);
    }

    getCanonicalizedRequestString() {
      return [
        this.getCanonicalizedMethod(),
        this.getCanonicalizedPath(),
        this.getCanonicalizedQueryParams(),
        this.getCanonicalizedHeaders(),
        this.getCanonicalizedHashedHeaders(),
        this.getCanonicalizedRequestBody(),
      ].join("\n");
    }

    create() {
      return this.sha256Hex(this.getCanonicalizedRequestString());
    }
  }

  class ValidationToken {
    constructor(opts) {
      if (!opts.accountSid) throw new Error("accountSid is required");
      if (!opts.credentialSid) throw new Error("credentialSid is required");
      if (!opts.signingKey) throw new Error("signingKey is required");
      if (!opts.privateKey) throw new Error("privateKey is required");
      const algorithm = opts.algorithm ?? ValidationToken.DEFAULT_ALGORITHM;
      if (!ValidationToken.ALGORITHMS.includes(algorithm)) {
        throw new Error(
          "Algorithm not supported. Allowed values are " + ValidationToken.ALGORITHMS.join(", ")
        );
      }
      this._accountSid = opts.accountSid;
      this._credentialSid = opts.credentialSid;
      this._signingKey = opts.signingKey;
      this._privateKey = opts.privateKey;
      this._algorithm = algorithm;
      this.ttl = 300;
    }

    get accountSid() {
      return this._accountSid;
    }

    get credentialSid() {
      return this._credentialSid;
    }

    get signingKey() {
      return this._signingKey;
    }

    get privateKey() {
      return this._privateKey;
    }

    get algorithm() {
      return this._algorithm;
    }

    getRequestCanonicalizer(request) {
      const headers = request.headers ?? {};
      const requestUrl = request.url;
      const method = request.method;
      if (!requestUrl) {
        throw new Error("Url is required");
      }
      if (!method) {
        throw new Error("Method is required");
      }
      const url = new URL(requestUrl);
      const signedHeaders = {
        host: url.host,
        authorization: headers["Authorization"],
      };
      return new RequestCanonicalizer(
        method,
        url.pathname,
        request.params,
        request.data,
        signedHeaders
      );
    }

    fromHttpRequest(request) {
      try {
        const canonicalizer = this.getRequestCanonicalizer(request);
        return mintValidation({
          kind: "validation",
          dialect: "node",
          account_sid: this._accountSid,
          credential_sid: this._credentialSid,
          signing_key: this._signingKey,
          private_key: keyText(this._privateKey),
          algorithm: this._algorithm,
          hrh: canonicalizer.getCanonicalizedHashedHeaders(),
          rqh: canonicalizer.create(),
          ttl: this.ttl,
          at: now(),
        }, this._privateKey);
      } catch (err) {
        // twilio-node's wording: callers match on it.
        throw new Error("Error generating JWT token " + err);
      }
    }
  }
  ValidationToken.DEFAULT_ALGORITHM = "RS256";
  ValidationToken.ALGORITHMS = [...VALIDATION_ALGORITHMS];

  return {
    AccessToken,
    ClientCapability,
    ValidationToken,
    taskrouter: { TaskRouterCapability, util },
    decode,
    // What Twilio would say about an access token, each problem with its Twilio error code
    // (`twilio-token decode --explain`), read without verifying it.
    explain: (token) => JSON.parse(native.explain(String(token))),
  };
}
