//! Specs in the Node dialect (`"dialect": "node"`): what twilio-node 6's classes mint, with the
//! options of their constructors (in snake case) and their defaults for what is absent or false
//! (`ttl` 0 is an hour, as twilio-node's `ttl || 3600` makes it):
//!
//! ```json
//! {"kind": "access", "dialect": "node", "account_sid": "AC..", "signing_key_sid": "SK..",
//!  "secret": "..", "identity": "alice", "ttl": 3600, "nbf": 1700000000, "region": "ie1",
//!  "algorithm": "HS256", "at": 1700000000, "grants": [{"video": {"room": "My Room"}}]}
//! {"kind": "client", "dialect": "node", "account_sid": "AC..", "auth_token": "..", "ttl": 3600,
//!  "scopes": [{"incoming": "alice"}, {"outgoing": {"application_sid": "AP..",
//!  "client_name": "alice", "params": {"mode": "x"}}}, {"events": {"filter": "x"}}]}
//! {"kind": "taskrouter", "dialect": "node", "account_sid": "AC..", "auth_token": "..",
//!  "workspace_sid": "WS..", "channel_id": "WK..", "friendly_name": "Alice", "version": "v1",
//!  "policies": [{"url": "https://...", "method": "GET", "query_filter": {},
//!  "post_filter": {}, "allow": true}]}
//! {"kind": "validation", "dialect": "node", "account_sid": "AC..", "credential_sid": "CR..",
//!  "signing_key": "SK..", "private_key": "-----BEGIN PRIVATE KEY-----...", "algorithm": "RS256",
//!  "hrh": "authorization;host", "rqh": "<sha256 hex of the canonical request>"}
//! ```
//!
//! An access token's `identity` may be a string or an integer (written as a string, as
//! twilio-node writes it); its `nbf` is written only when given, and its grants are the spec's
//! grants of every dialect. The client's scopes keep their order and may repeat.

use std::cell::RefCell;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::{at, parse};
use crate::access_token::grants::Grant;
use crate::access_token::{AccessToken, NodeGrant};
use crate::algorithm::Algorithm;
use crate::dialect::{self, js_truthy};
use crate::error::{ErrorKind, Result, err};
use crate::jwt::Nbf;
use crate::key::EncodingKey;
use crate::node::{ClientCapability, Policy, Scope, TaskRouterCapability, ValidationToken};

/// Mints a spec in the Node dialect given as JSON text, whether or not it says `"dialect":
/// "node"`, at `now` when its `"at"` is absent or null: what [`super::mint`] does for such a
/// spec, without the other dialect's code, which a binding for JavaScript does not need to
/// carry.
///
/// ```
/// let token = twilio_token::spec::node::mint_str(r#"{"kind": "access", "dialect": "node",
///     "account_sid": "AC1", "signing_key_sid": "SK1", "secret": "s", "identity": 42,
///     "grants": [{"video": {"room": "My Room"}}]}"#, 1_700_000_000)?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), twilio_token::Error>(())
/// ```
pub fn mint_str(spec: &str, now: i64) -> Result<String> {
    // An access token's spec as the npm package writes it, `kind` and `dialect` first, is read
    // straight into its type. Anything else, or anything that does not read that way, takes
    // the general road, which also words the errors.
    if let Ok(Some(mut access_spec)) = read_access(spec) {
        access_spec.at.get_or_insert(now);
        return access(access_spec);
    }
    mint_any(spec, now)
}

/// [`mint_str`] of any spec, through [`Value`]s. Not inlined into `mint_str`: a WebAssembly
/// runtime compiles a function when it is first called, and the first access token need not
/// compile this.
#[inline(never)]
fn mint_any(spec: &str, now: i64) -> Result<String> {
    let (kind, map) = read_spec(spec, now)?;
    mint(&kind, map)
}

/// What [`mint_str`] mints for a validation token's spec (`"kind": "validation"`), without its
/// signature: the `header.payload` that RS256 or PS256 signs, the spec and its private key
/// checked as `mint_str` checks them. For a binding whose host signs RSA faster than this
/// library can in WebAssembly (Node's `crypto.sign`).
///
/// ```
/// let pem = include_str!("../../tests/fixtures/keys/rsa_a.pem");
/// let spec = serde_json::json!({"kind": "validation", "dialect": "node", "account_sid": "AC1",
///     "credential_sid": "CR1", "signing_key": "SK1", "private_key": pem,
///     "hrh": "authorization;host", "rqh": "0123"});
/// let input = twilio_token::spec::node::validation_signing_input(&spec.to_string(), 1_700_000_000)?;
/// let token = twilio_token::spec::node::mint_str(&spec.to_string(), 1_700_000_000)?;
/// assert!(token.starts_with(&format!("{input}.")));
/// # Ok::<(), twilio_token::Error>(())
/// ```
pub fn validation_signing_input(spec: &str, now: i64) -> Result<String> {
    let (kind, map) = read_spec(spec, now)?;
    if kind != "validation" {
        return err(ErrorKind::InvalidSpec(
            "only a validation token's spec is signed elsewhere".into(),
        ));
    }
    let spec: ValidationSpec = parse(map)?;
    Ok(validation_token(&spec)?.signing_input_at(&spec.hrh, &spec.rqh, at(spec.at)))
}

/// A spec's text read into its kind and its other fields: `"at"` set to `now` where absent or
/// null, and `"dialect"`, if given, checked to be `"node"` and taken out.
fn read_spec(spec: &str, now: i64) -> Result<(String, Map<String, Value>)> {
    let Value::Object(mut map) = serde_json::from_str(spec).map_err(super::spec_error)? else {
        return err(ErrorKind::InvalidSpec("a spec is a JSON object".into()));
    };
    if map.get("at").is_none_or(Value::is_null) {
        map.insert("at".into(), now.into());
    }
    let (kind, mut map) = super::kind_and_fields(Value::Object(map))?;
    match map.shift_remove("dialect") {
        None => Ok((kind, map)),
        Some(Value::String(d)) if d == "node" => Ok((kind, map)),
        Some(_) => err(ErrorKind::InvalidSpec(
            "\"dialect\" is \"node\" here".into(),
        )),
    }
}

/// The spec as an [`AccessSpec`] when its first members are `"kind": "access"` and `"dialect":
/// "node"`; `None` or an error otherwise.
fn read_access(spec: &str) -> serde_json::Result<Option<AccessSpec>> {
    struct Leading;
    impl<'de> Visitor<'de> for Leading {
        type Value = Option<AccessSpec>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a spec")
        }

        fn visit_map<A: MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            for (name, wanted) in [("kind", "access"), ("dialect", "node")] {
                if map.next_key::<&str>()? != Some(name) || map.next_value::<&str>()? != wanted {
                    return Ok(None);
                }
            }
            AccessSpec::deserialize(MapAccessDeserializer::new(map)).map(Some)
        }
    }
    let mut reader = serde_json::Deserializer::from_str(spec);
    let read = reader.deserialize_map(Leading)?;
    reader.end()?;
    Ok(read)
}

/// Mints a Node-dialect spec of `kind`.
pub(crate) fn mint(kind: &str, map: Map<String, Value>) -> Result<String> {
    match kind {
        "access" => read_then(map, access),
        "client" => read_then(map, client),
        "taskrouter" => read_then(map, taskrouter),
        "validation" => read_then(map, validation),
        _ => err(ErrorKind::InvalidSpec(
            "in the node dialect, kind is access, client, taskrouter or validation".into(),
        )),
    }
}

/// `mint` of the spec `map` reads. Each kind stays a function of its own: a WebAssembly
/// runtime compiles a function when it is first called, so a process that mints one kind
/// compiles only that kind's code.
#[inline(never)]
fn read_then<T: DeserializeOwned>(
    map: Map<String, Value>,
    mint: fn(T) -> Result<String>,
) -> Result<String> {
    mint(parse(map)?)
}

/// twilio-node's `ttl || 3600`.
fn ttl(ttl: Option<u32>) -> u32 {
    ttl.filter(|t| *t != 0).unwrap_or(3600)
}

/// A required member of a constructor's `options` object, with twilio-node's message for it.
fn required_option(value: &str, name: &str) -> Result<()> {
    required(
        value,
        &format!("Required parameter \"options.{name}\" missing."),
    )
}

fn required(value: &str, message: &str) -> Result<()> {
    match value.is_empty() {
        true => err(ErrorKind::InvalidSpec(message.into())),
        false => Ok(()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessSpec {
    account_sid: String,
    signing_key_sid: String,
    secret: String,
    identity: Value,
    ttl: Option<u32>,
    nbf: Option<i64>,
    region: Option<String>,
    algorithm: Option<String>,
    at: Option<i64>,
    #[serde(default)]
    grants: Vec<SpecGrant>,
}

/// A grant of the spec: a built-in one (`{"video": {...}}`, as in every dialect), or one of
/// the caller's own classes, `{"custom": {"key": "...", "payload": ...}}`, written as given
/// (twilio-node's `grants[grant.key] = grant.toPayload()`; an absent payload is left out, as
/// `JSON.stringify` leaves out `undefined`).
enum SpecGrant {
    Builtin(Grant),
    Custom(Custom),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Custom {
    key: String,
    /// `null` is a payload; only an absent one is `None`.
    #[serde(default, deserialize_with = "present")]
    payload: Option<Value>,
}

impl<'de> Deserialize<'de> for SpecGrant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct OneKind;
        impl<'de> Visitor<'de> for OneKind {
            type Value = SpecGrant;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a grant: an object of one member named for its kind")
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<SpecGrant, A::Error> {
                let Some(kind) = map.next_key::<String>()? else {
                    return Err(de::Error::invalid_length(0, &self));
                };
                let grant = match kind.as_str() {
                    "custom" => SpecGrant::Custom(map.next_value()?),
                    _ => {
                        SpecGrant::Builtin(Grant::deserialize(MapAccessDeserializer::new(Named {
                            kind: Some(kind),
                            map: &mut map,
                        }))?)
                    }
                };
                match map.next_key::<de::IgnoredAny>()? {
                    Some(_) => Err(de::Error::invalid_length(2, &self)),
                    None => Ok(grant),
                }
            }
        }
        d.deserialize_map(OneKind)
    }
}

/// A grant's map with its kind already read: the kind, then its value from the map, so that
/// [`Grant`]'s own reading names and reads the kinds.
struct Named<'m, A> {
    kind: Option<String>,
    map: &'m mut A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Named<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> std::result::Result<Option<K::Value>, A::Error> {
        self.kind
            .take()
            .map(|kind| seed.deserialize(kind.into_deserializer()))
            .transpose()
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> std::result::Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

impl SpecGrant {
    /// The grant's key in the token, and what is written under it.
    fn node(&self) -> (&str, NodeGrant<'_>) {
        match self {
            SpecGrant::Builtin(grant) => (grant.key(), NodeGrant::Builtin(grant)),
            SpecGrant::Custom(custom) => (&custom.key, NodeGrant::Given(custom.payload.as_ref())),
        }
    }
}

fn access(spec: AccessSpec) -> Result<String> {
    required(&spec.account_sid, "accountSid is required")?;
    required(&spec.signing_key_sid, "keySid is required")?;
    required(&spec.secret, "secret is required")?;
    if !js_truthy(&spec.identity) {
        return err(ErrorKind::InvalidSpec(
            "identity is required to be specified in options".into(),
        ));
    }
    let algorithm = match spec.algorithm.as_deref().unwrap_or("HS256") {
        "HS256" => Algorithm::HS256,
        "HS384" => Algorithm::HS384,
        "HS512" => Algorithm::HS512,
        _ => {
            return err(ErrorKind::InvalidSpec(
                "Algorithm not supported. Allowed values are HS256, HS384, HS512".into(),
            ));
        }
    };
    let key = hmac_key(&spec.secret)?;
    let mut token = AccessToken::with_key(spec.account_sid, spec.signing_key_sid, key)
        .ttl(ttl(spec.ttl))
        .nbf(spec.nbf.map_or(Nbf::Omit, Nbf::At))
        .algorithm(algorithm);
    // Only a string or an integer is written, as a string.
    match &spec.identity {
        Value::String(identity) => token = token.identity(identity.as_str()),
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
            token = token.identity(dialect::js_string(&spec.identity));
        }
        _ => {}
    }
    if let Some(region) = spec.region {
        token = token.region(region);
    }
    token.to_node_jwt(at(spec.at), spec.grants.iter().map(SpecGrant::node))
}

/// The HMAC key of `secret`: the one made last on this thread when the secret is the same. A
/// binding mints with one API key secret, and a key kept also keeps the hash state of the
/// beginning its tokens share.
fn hmac_key(secret: &str) -> Result<EncodingKey> {
    thread_local! {
        static LAST: LastKey = const { RefCell::new(None) };
    }
    kept(&LAST, secret, |secret| {
        Ok(EncodingKey::from_secret(secret.as_bytes()))
    })
}

/// The RSA key of a validation token's PEM, the one made last on this thread when the PEM is
/// the same: a binding signs with one credential, and reading its PEM costs more than the
/// signature (and all of a token whose signature the host makes).
fn rsa_key(pem: &str) -> Result<EncodingKey> {
    thread_local! {
        static LAST: LastKey = const { RefCell::new(None) };
    }
    kept(&LAST, pem, |pem| EncodingKey::from_rsa_pem(pem.as_bytes()))
}

/// The text a key was made of, and the key.
type LastKey = RefCell<Option<(Box<str>, EncodingKey)>>;

/// The key `make` makes of `text`, or the one `last` kept if it was made of the same text.
fn kept(
    last: &'static std::thread::LocalKey<LastKey>,
    text: &str,
    make: impl FnOnce(&str) -> Result<EncodingKey>,
) -> Result<EncodingKey> {
    last.with_borrow_mut(|last| match last {
        Some((kept, key)) if **kept == *text => Ok(key.clone()),
        _ => {
            let key = make(text)?;
            *last = Some((text.into(), key.clone()));
            Ok(key)
        }
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientSpec {
    account_sid: String,
    auth_token: String,
    ttl: Option<u32>,
    #[serde(default)]
    scopes: Vec<ScopeSpec>,
    at: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum ScopeSpec {
    Incoming(Value),
    Outgoing(OutgoingSpec),
    Events(Option<Value>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutgoingSpec {
    application_sid: Value,
    client_name: Option<Value>,
    params: Option<Value>,
}

fn client(spec: ClientSpec) -> Result<String> {
    required_option(&spec.account_sid, "accountSid")?;
    required_option(&spec.auth_token, "authToken")?;
    let mut token = ClientCapability::new(spec.account_sid, spec.auth_token).ttl(ttl(spec.ttl));
    for scope in spec.scopes {
        token = token.scope(match scope {
            ScopeSpec::Incoming(client_name) => Scope::Incoming { client_name },
            ScopeSpec::Outgoing(o) => {
                if !js_truthy(&o.application_sid) {
                    return err(ErrorKind::InvalidSpec(
                        "Required parameter \"options.applicationSid\" missing.".into(),
                    ));
                }
                Scope::Outgoing {
                    application_sid: o.application_sid,
                    client_name: o.client_name,
                    params: o.params,
                }
            }
            ScopeSpec::Events(filters) => Scope::EventStream {
                filters: filters.unwrap_or(Value::Null),
            },
        });
    }
    token.to_jwt_at(at(spec.at))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskRouterSpec {
    account_sid: String,
    auth_token: String,
    workspace_sid: String,
    channel_id: String,
    /// Absent: left out; anything else, `null` included, written as given.
    #[serde(default, deserialize_with = "present")]
    friendly_name: Option<Value>,
    ttl: Option<u32>,
    version: Option<String>,
    #[serde(default)]
    policies: Vec<PolicySpec>,
    at: Option<i64>,
}

/// A field that is present, `null` included.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicySpec {
    url: Option<Value>,
    method: Option<Value>,
    query_filter: Option<Value>,
    post_filter: Option<Value>,
    allow: Option<Value>,
}

fn taskrouter(spec: TaskRouterSpec) -> Result<String> {
    required_option(&spec.account_sid, "accountSid")?;
    required_option(&spec.auth_token, "authToken")?;
    required_option(&spec.workspace_sid, "workspaceSid")?;
    required_option(&spec.channel_id, "channelId")?;
    let mut token = TaskRouterCapability::new(
        spec.account_sid,
        spec.auth_token,
        spec.workspace_sid,
        spec.channel_id,
    )
    .ttl(ttl(spec.ttl))
    .version(
        spec.version
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "v1".into()),
    );
    if let Some(name) = spec.friendly_name {
        token = token.friendly_name(name);
    }
    for p in spec.policies {
        token = token.policy(Policy::new(
            p.url,
            p.method,
            p.query_filter,
            p.post_filter,
            p.allow,
        ));
    }
    token.to_jwt_at(at(spec.at))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidationSpec {
    account_sid: String,
    credential_sid: String,
    signing_key: String,
    private_key: String,
    algorithm: Option<String>,
    hrh: String,
    rqh: String,
    ttl: Option<u32>,
    at: Option<i64>,
}

fn validation(spec: ValidationSpec) -> Result<String> {
    validation_token(&spec)?.to_jwt_at(&spec.hrh, &spec.rqh, at(spec.at))
}

fn validation_token(spec: &ValidationSpec) -> Result<ValidationToken> {
    required(&spec.account_sid, "accountSid is required")?;
    required(&spec.credential_sid, "credentialSid is required")?;
    required(&spec.signing_key, "signingKey is required")?;
    required(&spec.private_key, "privateKey is required")?;
    let algorithm = match spec.algorithm.as_deref().unwrap_or("RS256") {
        "RS256" => Algorithm::RS256,
        "PS256" => Algorithm::PS256,
        _ => {
            return err(ErrorKind::InvalidSpec(
                "Algorithm not supported. Allowed values are RS256, PS256".into(),
            ));
        }
    };
    Ok(ValidationToken::with_key(
        spec.account_sid.as_str(),
        spec.credential_sid.as_str(),
        spec.signing_key.as_str(),
        rsa_key(&spec.private_key)?,
        algorithm,
    )
    .ttl(spec.ttl.unwrap_or(300)))
}

#[cfg(test)]
mod tests {
    use super::{mint_str, read_access};
    use crate::{Algorithm, DecodingKey, Validation, jws};

    /// The RSA key kept is the last PEM's, never the one before.
    #[test]
    fn a_validation_token_is_signed_with_its_own_pem() {
        let keys = ["a", "b", "a", "a", "b"].map(|name| {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa_");
            let read = |suffix: &str| std::fs::read_to_string(format!("{dir}{name}{suffix}"));
            (read(".pem").unwrap(), read(".pub.pem").unwrap())
        });
        for (private, public) in &keys {
            let spec = serde_json::json!({"kind": "validation", "dialect": "node",
                "account_sid": "AC1", "credential_sid": "CR1", "signing_key": "SK1",
                "private_key": private, "hrh": "host", "rqh": "00", "at": 1_700_000_000});
            let token = mint_str(&spec.to_string(), 0).unwrap();
            let key = DecodingKey::from_rsa_pem(public.as_bytes()).unwrap();
            let validation = Validation::default()
                .algorithms(&[Algorithm::RS256])
                .at(1_700_000_000);
            assert!(jws::decode_json(&token, &key, &validation).is_ok());
        }
    }

    /// The npm package's access specs take the straight road; others do not (tests/spec.rs
    /// checks that both roads mint the same).
    #[test]
    fn only_a_spec_that_begins_with_kind_and_dialect_is_read_straight() {
        let rest =
            r#""account_sid": "AC1", "signing_key_sid": "SK1", "secret": "s", "identity": "a""#;
        let read = |json: String| read_access(&json).ok().flatten().is_some();
        assert!(read(format!(
            r#"{{"kind": "access", "dialect": "node", {rest}}}"#
        )));
        assert!(!read(format!(
            r#"{{"dialect": "node", "kind": "access", {rest}}}"#
        )));
        assert!(!read(format!(r#"{{"kind": "access", {rest}}}"#)));
        assert!(!read(format!(
            r#"{{"kind": "client", "dialect": "node", {rest}}}"#
        )));
        assert!(!read(format!(
            r#"{{"kind": "access", "dialect": "node", {rest}, "secret": "t"}}"#
        )));
        assert!(!read(format!(
            r#"{{"kind": "access", "dialect": "node", {rest}}} x"#
        )));
    }
}
