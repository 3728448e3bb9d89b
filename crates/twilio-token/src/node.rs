//! The token types whose shape twilio-node's classes give differently from twilio-python's:
//! [`ClientCapability`], whose scopes are a list in the order added, escaped with Node's
//! `querystring.escape`, and [`TaskRouterCapability`], whose policies are given one by one
//! (twilio-python's TaskRouter tokens build theirs from switches). Both mint what twilio-node 6
//! mints, in the [`Dialect::Node`](crate::dialect::Dialect::Node) layout; twilio-node's access
//! token is [`AccessToken::to_jwt_as`](crate::AccessToken::to_jwt_as).
//!
//! Their fields are JSON values, as JavaScript callers hand over anything: each is turned into
//! text as JavaScript's `String()` would, and tested for truth as JavaScript tests it.

use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::dialect::{self, js_string, js_truthy, qs_escape};
use crate::error::{ErrorKind, Result, err};
use crate::key::EncodingKey;

/// One capability of a [`ClientCapability`] (twilio-node's `IncomingClientScope`,
/// `OutgoingClientScope` and `EventStreamScope`).
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// Calls to this client name.
    Incoming {
        /// The client name.
        client_name: Value,
    },
    /// Calls from the client to a TwiML application.
    Outgoing {
        /// The application SID (`AP...`).
        application_sid: Value,
        /// The client name, written only when it is a string.
        client_name: Option<Value>,
        /// Parameters for the application, written when an object or array (even empty).
        params: Option<Value>,
    },
    /// The event stream, with filters.
    EventStream {
        /// The filters, written when there are any.
        filters: Value,
    },
}

impl Scope {
    /// The scope as twilio-node's `payload()` writes it.
    fn payload(&self) -> Result<String> {
        Ok(match self {
            Scope::Incoming { client_name } => {
                format!(
                    "scope:client:incoming?clientName={}",
                    qs_escape(&js_string(client_name))
                )
            }
            Scope::Outgoing {
                application_sid,
                client_name,
                params,
            } => {
                let mut query = format!("appSid={}", qs_escape(&js_string(application_sid)));
                if let Some(Value::String(name)) = client_name {
                    query.push_str(&format!("&clientName={}", qs_escape(name)));
                }
                // `typeof params === "object"`: arrays and null too (null then throws).
                let object = |p: &&Value| p.is_object() || p.is_array() || p.is_null();
                if let Some(params) = params.as_ref().filter(object) {
                    let params = app_params(params)?;
                    query.push_str(&format!("&appParams={}", qs_escape(&params)));
                }
                format!("scope:client:outgoing?{query}")
            }
            Scope::EventStream { filters } => {
                let mut query = "path=/2010-04-01/Events".to_owned();
                let filters = if js_truthy(filters) {
                    filters
                } else {
                    &Value::Object(Map::new())
                };
                if has_entries(filters) {
                    let params = app_params(filters)?;
                    query.push_str(&format!("&appParams={}", qs_escape(&params)));
                }
                format!("scope:stream:subscribe?{query}")
            }
        })
    }
}

/// Whether `Object.keys(value)` has any.
fn has_entries(value: &Value) -> bool {
    match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::String(s) => !s.is_empty(),
        _ => false,
    }
}

/// `Object.entries(value)`, each escaped as `key=value`, joined by `&`.
fn app_params(value: &Value) -> Result<String> {
    let entries: Vec<(String, String)> = match value {
        Value::Null => {
            return err(ErrorKind::InvalidSpec(
                "Cannot convert undefined or null to object".into(),
            ));
        }
        Value::Object(map) => dialect::js_entries(map.iter().map(|(k, v)| (k.as_str(), v)))
            .into_iter()
            .map(|(k, v)| (k.to_owned(), js_string(v)))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), js_string(v)))
            .collect(),
        Value::String(s) => s
            .encode_utf16()
            .enumerate()
            .map(|(i, unit)| (i.to_string(), String::from_utf16_lossy(&[unit])))
            .collect(),
        Value::Bool(_) | Value::Number(_) => Vec::new(),
    };
    Ok(entries
        .iter()
        .map(|(k, v)| format!("{}={}", qs_escape(k), qs_escape(v)))
        .collect::<Vec<_>>()
        .join("&"))
}

/// twilio-node's `ClientCapability`: a Twilio Client (Voice JavaScript SDK 1.x) token, signed
/// with the account's auth token.
#[derive(Debug, Clone)]
pub struct ClientCapability {
    account_sid: String,
    key: EncodingKey,
    ttl: u32,
    scopes: Vec<Scope>,
}

impl ClientCapability {
    /// A token for `account_sid`, signed with `auth_token`, living an hour.
    pub fn new(account_sid: impl Into<String>, auth_token: impl AsRef<[u8]>) -> Self {
        ClientCapability {
            account_sid: account_sid.into(),
            key: EncodingKey::from_secret(auth_token.as_ref()),
            ttl: 3600,
            scopes: Vec::new(),
        }
    }

    /// Seconds the token lives.
    pub fn ttl(mut self, seconds: u32) -> Self {
        self.ttl = seconds;
        self
    }

    /// Adds a scope, after those already added.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scopes.push(scope);
        self
    }

    /// Mints the token as if the clock read `now`.
    pub fn to_jwt_at(&self, now: i64) -> Result<String> {
        let scope = self
            .scopes
            .iter()
            .map(Scope::payload)
            .collect::<Result<Vec<_>>>()?
            .join(" ");
        let mut payload = Map::new();
        payload.insert("scope".into(), scope.into());
        payload.insert("iss".into(), self.account_sid.clone().into());
        payload.insert("exp".into(), (now + i64::from(self.ttl)).into());
        payload.insert("iat".into(), now.into());
        sign(&plain_header(), payload, Algorithm::HS256, &self.key)
    }
}

/// Signs a header and a payload built as maps, written as `JSON.stringify` writes them.
fn sign(
    header: &Map<String, Value>,
    payload: Map<String, Value>,
    alg: Algorithm,
    key: &EncodingKey,
) -> Result<String> {
    dialect::sign_node(
        header,
        &dialect::JsOrdered(&Value::Object(payload)),
        alg,
        key,
    )
}

/// jsonwebtoken's header when it is given none.
fn plain_header() -> Map<String, Value> {
    let mut header = Map::new();
    header.insert("alg".into(), "HS256".into());
    header.insert("typ".into(), "JWT".into());
    header
}

/// One policy of a [`TaskRouterCapability`] (twilio-node's `taskrouter.TaskRouterCapability.Policy`).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    url: Value,
    method: Value,
    query_filter: Value,
    post_filter: Value,
    allow: Value,
}

impl Policy {
    /// A policy with twilio-node's defaults for what is absent or false: the URL `""`, the
    /// method `GET`, empty filters, and `allow` true (twilio-node's `allow || true` makes an
    /// `allow: false` true as well).
    pub fn new(
        url: Option<Value>,
        method: Option<Value>,
        query_filter: Option<Value>,
        post_filter: Option<Value>,
        allow: Option<Value>,
    ) -> Self {
        let or = |value: Option<Value>, default: Value| value.filter(js_truthy).unwrap_or(default);
        Policy {
            url: or(url, "".into()),
            method: or(method, "GET".into()),
            query_filter: or(query_filter, Value::Object(Map::new())),
            post_filter: or(post_filter, Value::Object(Map::new())),
            allow: or(allow, true.into()),
        }
    }

    fn payload(&self) -> Value {
        let mut payload = Map::new();
        payload.insert("url".into(), self.url.clone());
        payload.insert("method".into(), self.method.clone());
        payload.insert("query_filter".into(), self.query_filter.clone());
        payload.insert("post_filter".into(), self.post_filter.clone());
        payload.insert("allow".into(), self.allow.clone());
        Value::Object(payload)
    }
}

/// twilio-node's `taskrouter.TaskRouterCapability`: a TaskRouter token for a worker, a task
/// queue or a workspace (by its channel id's prefix), signed with the account's auth token.
#[derive(Debug, Clone)]
pub struct TaskRouterCapability {
    account_sid: String,
    key: EncodingKey,
    workspace_sid: String,
    channel_id: String,
    friendly_name: Option<Value>,
    ttl: u32,
    version: String,
    policies: Vec<Policy>,
}

impl TaskRouterCapability {
    /// A token for the channel `channel_id` (`WK...` a worker, `WQ...` a task queue, else the
    /// workspace) of `workspace_sid`, signed with `auth_token`, living an hour, version `v1`.
    pub fn new(
        account_sid: impl Into<String>,
        auth_token: impl AsRef<[u8]>,
        workspace_sid: impl Into<String>,
        channel_id: impl Into<String>,
    ) -> Self {
        TaskRouterCapability {
            account_sid: account_sid.into(),
            key: EncodingKey::from_secret(auth_token.as_ref()),
            workspace_sid: workspace_sid.into(),
            channel_id: channel_id.into(),
            friendly_name: None,
            ttl: 3600,
            version: "v1".into(),
            policies: Vec::new(),
        }
    }

    /// The `friendly_name` claim, written as given (`null` included).
    pub fn friendly_name(mut self, name: Value) -> Self {
        self.friendly_name = Some(name);
        self
    }

    /// Seconds the token lives.
    pub fn ttl(mut self, seconds: u32) -> Self {
        self.ttl = seconds;
        self
    }

    /// The `version` claim.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Adds a policy, after those already added.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policies.push(policy);
        self
    }

    /// Mints the token as if the clock read `now`.
    pub fn to_jwt_at(&self, now: i64) -> Result<String> {
        let mut payload = Map::new();
        payload.insert("iss".into(), self.account_sid.clone().into());
        payload.insert("exp".into(), (now + i64::from(self.ttl)).into());
        payload.insert("version".into(), self.version.clone().into());
        if let Some(name) = &self.friendly_name {
            payload.insert("friendly_name".into(), name.clone());
        }
        payload.insert("account_sid".into(), self.account_sid.clone().into());
        payload.insert("channel".into(), self.channel_id.clone().into());
        payload.insert("workspace_sid".into(), self.workspace_sid.clone().into());
        let policies = self.policies.iter().map(Policy::payload).collect();
        payload.insert("policies".into(), Value::Array(policies));
        if self.channel_id.starts_with("WK") {
            payload.insert("worker_sid".into(), self.channel_id.clone().into());
        } else if self.channel_id.starts_with("WQ") {
            payload.insert("taskqueue_sid".into(), self.channel_id.clone().into());
        }
        payload.insert("iat".into(), now.into());
        sign(&plain_header(), payload, Algorithm::HS256, &self.key)
    }
}

/// twilio-node's `ValidationToken`, as `fromHttpRequest` signs it: the canonical request's
/// hashes given (`hrh`, the signed headers' names; `rqh`, the request's hash), signed with the
/// credential's RSA private key, RS256 or PS256.
#[derive(Debug, Clone)]
pub struct ValidationToken {
    account_sid: String,
    credential_sid: String,
    signing_key: String,
    key: EncodingKey,
    algorithm: Algorithm,
    ttl: u32,
}

impl ValidationToken {
    /// A token of `account_sid`'s API key `signing_key`, for the public key credential
    /// `credential_sid` whose private key is `private_key_pem`, living 300 s.
    pub fn new(
        account_sid: impl Into<String>,
        credential_sid: impl Into<String>,
        signing_key: impl Into<String>,
        private_key_pem: &[u8],
        algorithm: Algorithm,
    ) -> Result<Self> {
        if !matches!(algorithm, Algorithm::RS256 | Algorithm::PS256) {
            return err(ErrorKind::AlgorithmNotAllowed(algorithm.as_str().into()));
        }
        let key = EncodingKey::from_rsa_pem(private_key_pem)?;
        Ok(Self::with_key(
            account_sid,
            credential_sid,
            signing_key,
            key,
            algorithm,
        ))
    }

    /// [`new`](Self::new) with the RSA key already made, for a spec reader that keeps it;
    /// `algorithm` is RS256 or PS256.
    pub(crate) fn with_key(
        account_sid: impl Into<String>,
        credential_sid: impl Into<String>,
        signing_key: impl Into<String>,
        key: EncodingKey,
        algorithm: Algorithm,
    ) -> Self {
        ValidationToken {
            account_sid: account_sid.into(),
            credential_sid: credential_sid.into(),
            signing_key: signing_key.into(),
            key,
            algorithm,
            ttl: 300,
        }
    }

    /// Seconds the token lives.
    pub fn ttl(mut self, seconds: u32) -> Self {
        self.ttl = seconds;
        self
    }

    /// Mints the token for a request whose hashes are `hrh` and `rqh`, as if the clock read
    /// `now`.
    pub fn to_jwt_at(&self, hrh: &str, rqh: &str, now: i64) -> Result<String> {
        let (header, payload) = self.claims(hrh, rqh, now);
        sign(&header, payload, self.algorithm, &self.key)
    }

    /// What [`to_jwt_at`](Self::to_jwt_at) signs: the token's `header.payload`.
    pub(crate) fn signing_input_at(&self, hrh: &str, rqh: &str, now: i64) -> String {
        let (header, payload) = self.claims(hrh, rqh, now);
        dialect::node_signing_input(&header, &dialect::JsOrdered(&Value::Object(payload)))
    }

    /// The token's header and payload.
    fn claims(&self, hrh: &str, rqh: &str, now: i64) -> (Map<String, Value>, Map<String, Value>) {
        let mut header = Map::new();
        header.insert("alg".into(), self.algorithm.as_str().into());
        header.insert("typ".into(), "JWT".into());
        header.insert("kid".into(), self.credential_sid.clone().into());
        header.insert("cty".into(), "twilio-pkrv;v=1".into());
        let mut payload = Map::new();
        payload.insert("iss".into(), self.signing_key.clone().into());
        payload.insert("sub".into(), self.account_sid.clone().into());
        payload.insert("hrh".into(), hrh.into());
        payload.insert("rqh".into(), rqh.into());
        payload.insert("iat".into(), now.into());
        payload.insert("exp".into(), (now + i64::from(self.ttl)).into());
        (header, payload)
    }
}
