// The package's declarations: twilio-node 6's `jwt` (`require('twilio').jwt`), modelled on
// twilio-node's own lib/jwt/**/*.d.ts, plus what it cannot do (`decode`, `explain`,
// `AccessToken.fromJwt`).

/** twilio-node's `jwt`, plus `decode` and `explain`. */
export interface Jwt {
  AccessToken: typeof AccessToken;
  ClientCapability: typeof ClientCapability;
  ValidationToken: typeof ValidationToken;
  taskrouter: {
    TaskRouterCapability: typeof TaskRouterCapability;
    util: TaskRouterUtil;
  };
  /** Verifies `token` with `key` (a secret, or a PEM public key) through the core. Not in twilio-node. */
  decode(token: string, key: string, options?: DecodeOptions): DecodedJwt;
  /**
   * What Twilio would say about an access token (`twilio-token decode --explain`), read without
   * verifying it: each problem with the Twilio error code it is answered with. Not in twilio-node.
   */
  explain(token: string): Finding[];
}

/** One thing Twilio would say about an access token. */
export interface Finding {
  /** `problem`: Twilio refuses the token for it; the others are advice. */
  level: "problem" | "hint" | "warning" | "note";
  /** The Twilio error code (20103, 20106, 20157), or null. */
  code: number | null;
  message: string;
}

export interface DecodeOptions {
  /** The algorithms to accept (default `["HS256"]`). */
  algorithms?: string[];
}

export interface DecodedJwt {
  header: { [claim: string]: any };
  payload: { [claim: string]: any };
}

/** What `AccessToken.fromJwt` returns. Not in twilio-node. */
export interface DecodedAccessToken extends DecodedJwt {
  /** `sub` */
  accountSid: string;
  /** `iss` */
  keySid: string;
  /** `grants.identity` */
  identity?: string;
  /** The token's grants by key (`video`, `chat`, `voice`, `data_sync`, `task_router`, `player`), identity left out. */
  grants: { [key: string]: any };
  nbf?: number;
  /** The `twr` header. */
  region?: string;
}

declare class AccessToken implements AccessToken.AccessTokenOptions {
  static DEFAULT_ALGORITHM: "HS256";
  static ALGORITHMS: string[];
  accountSid: string;
  keySid: string;
  secret: string;
  ttl: number;
  identity: string;
  nbf?: number;
  region?: string;
  grants: AccessToken.Grant<any, any, any>[];
  /**
   * @param accountSid - The account's unique ID to which access is scoped
   * @param keySid - The signing key's unique ID
   * @param secret - The secret to sign the token with
   * @param options.ttl - Time to live in seconds (default 3600)
   * @param options.identity - The identity of the first person. Required.
   * @param options.nbf - Time from epoch in seconds for not before value
   * @param options.region - The Twilio Region of the API key (us1, ie1, au1): checked here, unlike twilio-node
   */
  constructor(accountSid: string, keySid: string, secret: string, options: AccessToken.AccessTokenOptions);
  addGrant<T extends AccessToken.Grant<any, any, any>>(grant: T): void;
  /** Throws for grants other than the six built-in ones ("custom grants are not supported yet: KEY"). */
  toJwt(algorithm?: "HS256" | "HS384" | "HS512"): string;
  /** Verifies an access token (HS256, HS384 or HS512) with `secret`; throws if it does not verify. Not in twilio-node. */
  static fromJwt(token: string, secret: string): DecodedAccessToken;
}

declare namespace AccessToken {
  abstract class Grant<TOptions, TPayload, TKey> {
    key: TKey;
    protected constructor(key: TKey);
    abstract toPayload(): TPayload;
  }
  interface TaskRouterGrantOptions {
    workspaceSid?: string;
    workerSid?: string;
    role?: string;
  }
  interface TaskRouterGrantPayload {
    workspace_sid?: string;
    worker_sid?: string;
    role?: string;
  }
  interface ChatGrantOptions {
    serviceSid?: string;
    endpointId?: string;
    deploymentRoleSid?: string;
    pushCredentialSid?: string;
  }
  interface ChatGrantPayload {
    service_sid?: string;
    endpoint_id?: string;
    deployment_role_sid?: string;
    push_credential_sid?: string;
  }
  interface VideoGrantOptions {
    room?: string;
  }
  interface VideoGrantPayload {
    room?: string;
  }
  interface SyncGrantOptions {
    serviceSid?: string;
    endpointId?: string;
  }
  interface SyncGrantPayload {
    service_sid?: string;
    endpoint_id?: string;
  }
  interface VoiceGrantOptions {
    incomingAllow?: boolean;
    outgoingApplicationSid?: string;
    outgoingApplicationParams?: object;
    pushCredentialSid?: string;
    endpointId?: string;
  }
  interface VoiceGrantPayload {
    incoming?: { allow: boolean };
    outgoing?: { application_sid: string; params?: object };
    push_credential_sid?: string;
    endpoint_id?: string;
  }
  interface PlaybackGrantOptions {
    grant?: object;
  }
  interface PlaybackGrantPayload {
    grant?: object;
  }
  interface AccessTokenOptions {
    /** Time to live in seconds */
    ttl?: number;
    /** The identity of the first person. Required. */
    identity: string;
    /** Time from epoch in seconds for not before value */
    nbf?: number;
    /** The Twilio Region of the API key (us1, ie1, au1): checked by the constructor, unlike twilio-node */
    region?: string;
  }
  class TaskRouterGrant
    extends Grant<TaskRouterGrantOptions, TaskRouterGrantPayload, "task_router">
    implements TaskRouterGrantOptions
  {
    workspaceSid?: string;
    workerSid?: string;
    role?: string;
    constructor(options?: TaskRouterGrantOptions);
    toPayload(): TaskRouterGrantPayload;
  }
  class ChatGrant extends Grant<ChatGrantOptions, ChatGrantPayload, "chat"> implements ChatGrantOptions {
    serviceSid?: string;
    endpointId?: string;
    deploymentRoleSid?: string;
    pushCredentialSid?: string;
    constructor(options?: ChatGrantOptions);
    toPayload(): ChatGrantPayload;
  }
  class VideoGrant extends Grant<VideoGrantOptions, VideoGrantPayload, "video"> implements VideoGrantOptions {
    room?: string;
    constructor(options?: VideoGrantOptions);
    toPayload(): VideoGrantPayload;
  }
  class SyncGrant extends Grant<SyncGrantOptions, SyncGrantPayload, "data_sync"> implements SyncGrantOptions {
    serviceSid?: string;
    endpointId?: string;
    constructor(options?: SyncGrantOptions);
    toPayload(): SyncGrantPayload;
  }
  class VoiceGrant extends Grant<VoiceGrantOptions, VoiceGrantPayload, "voice"> implements VoiceGrantOptions {
    incomingAllow?: boolean;
    outgoingApplicationSid?: string;
    outgoingApplicationParams?: object;
    pushCredentialSid?: string;
    endpointId?: string;
    constructor(options?: VoiceGrantOptions);
    toPayload(): VoiceGrantPayload;
  }
  class PlaybackGrant
    extends Grant<PlaybackGrantOptions, PlaybackGrantPayload, "player">
    implements PlaybackGrantOptions
  {
    grant?: object;
    constructor(options?: PlaybackGrantOptions);
    toPayload(): PlaybackGrantPayload;
  }
}

// --- ClientCapability (twilio-node's jwt/ClientCapability.d.ts) ------------------------------

export interface Scope {
  scope: string;
  payload(): string;
}

export interface OutgoingClientScopeOptions {
  applicationSid: string;
  clientName?: string;
  params?: object;
}

export interface ClientCapabilityOptions {
  accountSid: string;
  authToken: string;
  ttl?: number;
}

declare class EventStreamScope implements Scope {
  scope: string;
  filters: object;
  constructor(filters?: object);
  payload(): string;
}

declare class IncomingClientScope implements Scope {
  scope: string;
  clientName: string;
  constructor(clientName: string);
  payload(): string;
}

declare class OutgoingClientScope implements Scope {
  scope: string;
  applicationSid: string;
  clientName?: string;
  params?: object;
  constructor(options: OutgoingClientScopeOptions);
  payload(): string;
}

declare class ClientCapability {
  static EventStreamScope: typeof EventStreamScope;
  static IncomingClientScope: typeof IncomingClientScope;
  static OutgoingClientScope: typeof OutgoingClientScope;
  accountSid: string;
  authToken: string;
  ttl: number;
  scopes: Scope[];
  constructor(options: ClientCapabilityOptions);
  addScope(scope: Scope): void;
  /** Throws for scopes other than the three built-in ones ("custom scopes are not supported yet"). */
  toJwt(): string;
}

// --- TaskRouter (twilio-node's jwt/taskrouter/*.d.ts) ----------------------------------------

export interface TaskRouterCapabilityOptions {
  accountSid: string;
  authToken: string;
  workspaceSid: string;
  channelId: string;
  friendlyName?: string;
  ttl?: number;
  version?: string;
}

export interface PolicyOptions {
  /** Policy URL */
  url?: string;
  /** HTTP Method */
  method?: string;
  /** Request query filter allowances */
  queryFilter?: object;
  /** Request post filter allowances */
  postFilter?: object;
  /** Allow the policy */
  allow?: boolean;
}

export interface PolicyPayload {
  url: string;
  method: string;
  query_filter: object;
  post_filter: object;
  allow: boolean;
}

declare class Policy {
  url: string;
  method: string;
  queryFilter: object;
  postFilter: object;
  allow: boolean;
  constructor(options?: PolicyOptions);
  payload(): PolicyPayload;
}

declare class TaskRouterCapability {
  accountSid: string;
  authToken: string;
  workspaceSid: string;
  channelId: string;
  ttl: number;
  version: string;
  policies: Policy[];
  friendlyName?: string;
  constructor(options: TaskRouterCapabilityOptions);
  static Policy: typeof Policy;
  addPolicy(policy: Policy): void;
  toJwt(): string;
}

export interface TaskRouterUtil {
  defaultWorkerPolicies(version: string, workspaceSid: string, workerSid: string): Policy[];
  defaultEventBridgePolicies(accountSid: string, channelId: string): Policy[];
  workspacesUrl(workspaceSid?: string): string;
  taskQueuesUrl(workspaceSid: string, taskQueueSid?: string): string;
  tasksUrl(workspaceSid: string, taskSid?: string): string;
  activitiesUrl(workspaceSid: string, activitySid?: string): string;
  workersUrl(workspaceSid: string, workerSid?: string): string;
  reservationsUrl(workspaceSid: string, workerSid: string, reservationSid?: string): string;
}

// --- ValidationToken (twilio-node's jwt/validation/*.d.ts) -----------------------------------

export type ValidationAlgorithm = "RS256" | "PS256";

/** twilio-node's ValidationClientOptions. */
export interface ValidationClientOptions {
  accountSid: string;
  credentialSid: string;
  signingKey: string;
  /** PEM text (a Node KeyObject or a Buffer of PEM is also read). */
  privateKey: string;
  algorithm?: string;
}

declare class RequestCanonicalizer {
  method: string;
  uri: string;
  queryParams: Record<string, string>;
  requestBody: any;
  headers: Record<string, string>;
  constructor(
    method: string,
    uri: string,
    queryParams: Record<string, string>,
    requestBody: any,
    headers: Record<string, string>
  );
  getCanonicalizedMethod(): string;
  customEncode(str: string): string;
  ASCIICompare(a: string, b: string): number;
  getCanonicalizedPath(): string;
  getCanonicalizedQueryParams(): string;
  getCanonicalizedHeaders(): string;
  getCanonicalizedHashedHeaders(): string;
  getCanonicalizedRequestBody(): string;
  sha256Hex(body: string): string;
  getCanonicalizedRequestString(): string;
  create(): string;
}

declare class ValidationToken {
  static readonly DEFAULT_ALGORITHM: "RS256";
  static readonly ALGORITHMS: readonly [ValidationAlgorithm, ValidationAlgorithm];
  private readonly _accountSid;
  private readonly _credentialSid;
  private readonly _signingKey;
  private readonly _privateKey;
  private readonly _algorithm;
  ttl: number;
  get accountSid(): string;
  get credentialSid(): string;
  get signingKey(): string;
  get privateKey(): string;
  get algorithm(): ValidationAlgorithm;
  constructor(opts: ValidationClientOptions);
  getRequestCanonicalizer(request: any): RequestCanonicalizer;
  fromHttpRequest(request: any): string;
}

/** `require('twilio-token').jwt`: what `require('twilio').jwt` is. */
export declare const jwt: Jwt;
export declare const taskrouter: Jwt["taskrouter"];
export { AccessToken, ClientCapability, ValidationToken };
export type {
  EventStreamScope,
  IncomingClientScope,
  OutgoingClientScope,
  TaskRouterCapability,
  Policy,
  RequestCanonicalizer,
};
declare const twilioToken: { jwt: Jwt };
export default twilioToken;
