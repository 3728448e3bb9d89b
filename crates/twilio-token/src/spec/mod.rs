//! Minting any token type from a JSON spec, for scripts (`twilio-token mint --spec`).
//!
//! A spec mirrors the reference's constructor arguments, one object per token, with `kind`
//! naming the type and `at` the Unix time to mint at (absent: now):
//!
//! ```json
//! {"kind": "access", "account_sid": "AC..", "signing_key_sid": "SK..", "secret": "..",
//!  "identity": "alice", "ttl": 3600, "region": "us1", "at": 1700000000,
//!  "grants": [{"video": {"room": "My Room"}}, {"voice": {"incoming_allow": true}}]}
//! {"kind": "client", "account_sid": "AC..", "auth_token": "..", "incoming": "alice",
//!  "outgoing": {"application_sid": "AP..", "params": {"mode": "x"}}, "events": {}}
//! {"kind": "worker", "account_sid": "AC..", "auth_token": "..", "workspace_sid": "WS..",
//!  "channel": "WK..", "allow": {"update_activities": true}}
//! {"kind": "validation", "account_sid": "AC..", "api_key_sid": "SK..", "credential_sid": "CR..",
//!  "private_key": "-----BEGIN PRIVATE KEY-----...", "algorithm": "RS256",
//!  "request": {"method": "GET", "path": "/", "query_string": "",
//!  "headers": {"Host": "api.twilio.com"}, "signed_headers": ["host"], "body": ""}}
//! {"kind": "jwt", "secret": "..", "issuer": "SK..", "subject": "AC..", "algorithm": "HS256",
//!  "ttl": 3600, "headers": {"kid": "k1"}, "payload": {"scope": "x"}}
//! ```
//!
//! `nbf` absent means now, `null` leaves it out, a number sets it; `valid_until`, when set and
//! non-zero, replaces now + `ttl` as `exp`. Unknown fields are errors, so a typo never silently
//! drops a grant. Object key order is kept where the reference's output depends on it (voice
//! params, the client's capability order, its params and filters, a jwt's payload).
//!
//! `"dialect": "node"` mints what twilio-node 6 mints instead (see [`node`] for its kinds).
//!
//! A validation token's `algorithm` is `RS256` (absent: the reference's only one) or `PS256` (as
//! twilio-node and twilio-java sign).
//!
//! `jwt` is the reference's `Jwt` base class as a subclass would use it: `payload` is what its
//! `_generate_payload` returns and `headers` what its `_generate_headers` returns. The payload
//! keeps its order, then `iss`, `exp`, `nbf` and `sub` (when non-empty) are set, each replacing a
//! payload member of that name in place; the headers are sorted, with `alg` and `typ: JWT`
//! always the token's own. `algorithm` is `HS256` (absent, `null` or `""`), `HS384` or `HS512`.
//! As PyJWT does, a `b64` header is left out (`false` is refused) and a `kid` must be a string.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::access_token::AccessToken;
use crate::access_token::grants::Grant;
use crate::algorithm::Algorithm;
use crate::client::ClientCapabilityToken;
use crate::client_validation::{ClientValidationJwt, HeaderValue, ValidationPayload};
use crate::error::{ErrorKind, Result, err};
use crate::jwt::{Jwt, Nbf};
use crate::key::EncodingKey;
use crate::taskrouter::{Allow, TaskRouterCapabilityToken};

pub mod node;

/// Mints the token a JSON spec describes.
///
/// ```
/// let token = twilio_token::spec::mint(r#"{"kind": "access", "account_sid": "AC1",
///     "signing_key_sid": "SK1", "secret": "s", "identity": "alice", "at": 1700000000,
///     "grants": [{"video": {"room": "My Room"}}]}"#)?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), twilio_token::Error>(())
/// ```
pub fn mint(spec: &str) -> Result<String> {
    let value: Value = serde_json::from_str(spec).map_err(spec_error)?;
    mint_value(value)
}

/// Like [`mint`], for a spec already parsed.
pub fn mint_value(spec: Value) -> Result<String> {
    let (kind, mut map) = kind_and_fields(spec)?;
    match map.shift_remove("dialect") {
        None => {}
        Some(Value::String(d)) if d == "python" => {}
        Some(Value::String(d)) if d == "node" => return node::mint(&kind, map),
        Some(_) => {
            return err(ErrorKind::InvalidSpec(
                "\"dialect\" is \"python\" (the default) or \"node\"".into(),
            ));
        }
    }
    match kind.as_str() {
        "access" => access(parse(map)?),
        "client" => {
            // The order of these keys is the order the reference's calls would grant them in.
            let order: Vec<String> = map
                .keys()
                .filter(|k| matches!(k.as_str(), "incoming" | "outgoing" | "events"))
                .cloned()
                .collect();
            client(parse(map)?, &order)
        }
        "worker" | "taskqueue" | "workspace" => taskrouter(&kind, parse(map)?),
        "validation" => validation(parse(map)?),
        "jwt" => jwt(parse(map)?),
        other => {
            // Echo only what looks like a mistyped kind, never an arbitrary (secret?) string.
            let shown = if other.len() <= 16 && other.bytes().all(|b| b.is_ascii_lowercase()) {
                format!(" {other:?}")
            } else {
                String::new()
            };
            err(ErrorKind::InvalidSpec(format!(
                "unknown kind{shown}: expected access, client, worker, taskqueue, workspace, validation or jwt"
            )))
        }
    }
}

/// A spec's kind, and its other fields.
fn kind_and_fields(spec: Value) -> Result<(String, Map<String, Value>)> {
    let Value::Object(mut map) = spec else {
        return err(ErrorKind::InvalidSpec("a spec is a JSON object".into()));
    };
    match map.shift_remove("kind") {
        Some(Value::String(kind)) => Ok((kind, map)),
        _ => err(ErrorKind::InvalidSpec("\"kind\" must be a string".into())),
    }
}

/// The spec's fields read as a `T`, its errors naming where they are in the spec (a path such
/// as `grants[2].video`).
pub(crate) fn parse<T: DeserializeOwned>(map: Map<String, Value>) -> Result<T> {
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let path = e.path().to_string();
        let inner = spec_error(e.into_inner());
        match path.as_str() {
            "" | "." => inner,
            _ => ErrorKind::InvalidSpec(format!("{path}: {}", redact(&inner.to_string()))).into(),
        }
    })
}

/// A serde error without the offending value in it: a secret typed into the wrong field must
/// not end up on a terminal or in a log.
fn spec_error(e: serde_json::Error) -> crate::Error {
    ErrorKind::InvalidSpec(redact(&e.to_string())).into()
}

fn redact(message: &str) -> String {
    let message = message
        .strip_prefix("invalid spec: ")
        .unwrap_or(message)
        .to_owned();
    match message.find(['"', '`']) {
        Some(start) if message.starts_with("invalid") => {
            let quote = message.as_bytes()[start] as char;
            let end = message[start + 1..]
                .rfind(quote)
                .map_or(message.len(), |i| start + 1 + i + 1);
            format!("{}…{}", &message[..start], &message[end..])
        }
        _ => message,
    }
}

/// `nbf`: absent → now, `null` → left out, a number → that time.
fn nbf_field<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Nbf, D::Error> {
    Ok(Option::<i64>::deserialize(d)?.map_or(Nbf::Omit, Nbf::At))
}

pub(crate) fn at(at: Option<i64>) -> i64 {
    at.unwrap_or_else(crate::now)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessSpec {
    account_sid: String,
    signing_key_sid: String,
    secret: String,
    identity: Option<String>,
    ttl: Option<u32>,
    #[serde(default, deserialize_with = "nbf_field")]
    nbf: Nbf,
    valid_until: Option<i64>,
    region: Option<String>,
    at: Option<i64>,
    #[serde(default)]
    grants: Vec<Grant>,
}

fn access(spec: AccessSpec) -> Result<String> {
    let mut token = AccessToken::new(spec.account_sid, spec.signing_key_sid, spec.secret)
        .ttl(spec.ttl.unwrap_or(3600))
        .nbf(spec.nbf);
    if let Some(identity) = spec.identity {
        token = token.identity(identity);
    }
    if let Some(t) = spec.valid_until {
        token = token.valid_until(t);
    }
    if let Some(region) = spec.region {
        token = token.region(region);
    }
    for grant in spec.grants {
        token.add_grant(grant);
    }
    token.to_jwt_at(at(spec.at))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientSpec {
    account_sid: String,
    auth_token: String,
    incoming: Option<String>,
    outgoing: Option<OutgoingSpec>,
    events: Option<Map<String, Value>>,
    ttl: Option<u32>,
    #[serde(default, deserialize_with = "nbf_field")]
    nbf: Nbf,
    at: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutgoingSpec {
    application_sid: String,
    #[serde(default)]
    params: Map<String, Value>,
}

fn client(spec: ClientSpec, order: &[String]) -> Result<String> {
    let mut token = ClientCapabilityToken::new(spec.account_sid, spec.auth_token)
        .ttl(spec.ttl.unwrap_or(3600))
        .nbf(spec.nbf);
    let (mut incoming, mut outgoing, mut events) = (spec.incoming, spec.outgoing, spec.events);
    for key in order {
        match key.as_str() {
            "incoming" => {
                if let Some(name) = incoming.take() {
                    token.allow_client_incoming(name);
                }
            }
            "outgoing" => {
                if let Some(o) = outgoing.take() {
                    token.allow_client_outgoing(o.application_sid, o.params)?;
                }
            }
            _ => {
                if let Some(filters) = events.take() {
                    token.allow_event_stream(filters)?;
                }
            }
        }
    }
    token.to_jwt_at(at(spec.at))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskRouterSpec {
    account_sid: String,
    auth_token: String,
    workspace_sid: String,
    channel: Option<String>,
    ttl: Option<u32>,
    #[serde(default, deserialize_with = "nbf_field")]
    nbf: Nbf,
    valid_until: Option<i64>,
    at: Option<i64>,
    #[serde(default)]
    allow: AllowSpec,
}

/// The reference's `allow_*` keyword arguments without the prefix; absent means its default.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AllowSpec {
    web_sockets: Option<bool>,
    fetch_self: Option<bool>,
    update_self: Option<bool>,
    delete_self: Option<bool>,
    fetch_subresources: Option<bool>,
    update_subresources: Option<bool>,
    delete_subresources: Option<bool>,
    fetch_activities: Option<bool>,
    fetch_reservations: Option<bool>,
    fetch_worker_reservations: Option<bool>,
    update_activities: Option<bool>,
    update_reservations: Option<bool>,
}

impl From<AllowSpec> for Allow {
    fn from(s: AllowSpec) -> Allow {
        let d = Allow::default();
        Allow {
            web_sockets: s.web_sockets.unwrap_or(d.web_sockets),
            fetch_self: s.fetch_self.unwrap_or(d.fetch_self),
            update_self: s.update_self.unwrap_or(d.update_self),
            delete_self: s.delete_self.unwrap_or(d.delete_self),
            fetch_subresources: s.fetch_subresources.unwrap_or(d.fetch_subresources),
            update_subresources: s.update_subresources.unwrap_or(d.update_subresources),
            delete_subresources: s.delete_subresources.unwrap_or(d.delete_subresources),
            fetch_activities: s.fetch_activities.unwrap_or(d.fetch_activities),
            fetch_reservations: s.fetch_reservations.unwrap_or(d.fetch_reservations),
            fetch_worker_reservations: s
                .fetch_worker_reservations
                .unwrap_or(d.fetch_worker_reservations),
            update_activities: s.update_activities.unwrap_or(d.update_activities),
            update_reservations: s.update_reservations.unwrap_or(d.update_reservations),
        }
    }
}

fn taskrouter(kind: &str, spec: TaskRouterSpec) -> Result<String> {
    let allow = Allow::from(spec.allow);
    let channel = || {
        spec.channel.as_deref().ok_or_else(|| {
            crate::Error::from(ErrorKind::InvalidSpec(format!("{kind} needs \"channel\"")))
        })
    };
    let (account, token, workspace) = (&spec.account_sid, &spec.auth_token, &spec.workspace_sid);
    let mut t = match kind {
        "worker" => {
            TaskRouterCapabilityToken::worker(account, token, workspace, channel()?, allow)?
        }
        "taskqueue" => {
            TaskRouterCapabilityToken::task_queue(account, token, workspace, channel()?, allow)?
        }
        _ => TaskRouterCapabilityToken::workspace(account, token, workspace, allow)?,
    };
    t = t.ttl(spec.ttl.unwrap_or(3600)).nbf(spec.nbf);
    if let Some(v) = spec.valid_until {
        t = t.valid_until(v);
    }
    t.to_jwt_at(at(spec.at))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidationSpec {
    account_sid: String,
    api_key_sid: String,
    credential_sid: String,
    private_key: String,
    /// `RS256` (absent or `null`) or `PS256`.
    algorithm: Option<String>,
    at: Option<i64>,
    request: RequestSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestSpec {
    method: String,
    path: String,
    #[serde(default)]
    query_string: String,
    #[serde(default)]
    headers: Map<String, Value>,
    #[serde(default)]
    signed_headers: Vec<String>,
    /// `null` is an empty body, as in the reference.
    body: Option<String>,
}

fn validation(spec: ValidationSpec) -> Result<String> {
    let algorithm = match spec.algorithm.as_deref() {
        None | Some("RS256") => Algorithm::RS256,
        Some("PS256") => Algorithm::PS256,
        Some(_) => {
            return err(ErrorKind::InvalidSpec(
                "algorithm: a validation token is signed with \"RS256\" or \"PS256\"".into(),
            ));
        }
    };
    let r = spec.request;
    let mut all_headers = Vec::with_capacity(r.headers.len());
    for (name, value) in r.headers {
        let value = match value {
            Value::String(v) => HeaderValue::One(v),
            Value::Array(items) => HeaderValue::Many(
                items
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s),
                        _ => err(ErrorKind::InvalidSpec("header values are strings".into())),
                    })
                    .collect::<Result<_>>()?,
            ),
            _ => return err(ErrorKind::InvalidSpec("header values are strings".into())),
        };
        all_headers.push((name, value));
    }
    let request = ValidationPayload {
        method: r.method,
        path: r.path,
        query_string: r.query_string,
        all_headers,
        signed_headers: r.signed_headers,
        body: r.body.unwrap_or_default().into_bytes(),
    };
    ClientValidationJwt::new(
        spec.account_sid,
        spec.api_key_sid,
        spec.credential_sid,
        spec.private_key.as_bytes(),
        request,
    )?
    .algorithm(algorithm)
    .to_jwt_at(at(spec.at))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JwtSpec {
    secret: String,
    issuer: String,
    subject: Option<String>,
    /// `HS256` (absent, `null` or empty, as the reference's `algorithm or "HS256"`), `HS384`
    /// or `HS512`.
    algorithm: Option<String>,
    ttl: Option<u32>,
    valid_until: Option<i64>,
    #[serde(default, deserialize_with = "nbf_field")]
    nbf: Nbf,
    #[serde(default)]
    headers: Map<String, Value>,
    #[serde(default)]
    payload: Map<String, Value>,
    at: Option<i64>,
}

/// The reference's `Jwt` base, as a subclass returning `headers` from `_generate_headers` and
/// `payload` from `_generate_payload` mints it.
fn jwt(spec: JwtSpec) -> Result<String> {
    let algorithm = match spec.algorithm.as_deref().unwrap_or_default() {
        "" | "HS256" => Algorithm::HS256,
        "HS384" => Algorithm::HS384,
        "HS512" => Algorithm::HS512,
        _ => {
            return err(ErrorKind::InvalidSpec(
                "algorithm: a jwt spec is signed with \"HS256\", \"HS384\" or \"HS512\"".into(),
            ));
        }
    };
    let mut token = Jwt::new(spec.issuer)
        .algorithm(algorithm)
        .ttl(spec.ttl.unwrap_or(3600))
        .nbf(spec.nbf);
    if let Some(subject) = spec.subject {
        token = token.subject(subject);
    }
    if let Some(t) = spec.valid_until {
        token = token.valid_until(t);
    }
    for (name, value) in spec.headers {
        token = token.header(name, value);
    }
    for (name, value) in spec.payload {
        token = token.claim(name, value);
    }
    token.encode_at(
        &EncodingKey::from_secret(spec.secret.as_bytes()),
        at(spec.at),
    )
}
