//! Access tokens: what a browser or mobile app hands to the Twilio SDKs.

mod claims;
pub mod grants;

pub use claims::{AccessClaims, decode};

use crate::algorithm::Algorithm;
use crate::dialect::{self, Dialect};
use crate::error::{ErrorKind, Result, err};
use crate::jws;
use crate::jwt::{self, Body, Lifetime, Nbf, Payload};
use crate::key::EncodingKey;
use std::borrow::Cow;

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;

use grants::{Grant, GrantsClaim};

/// The longest lifetime Twilio accepts for an access token (error 20157 beyond it).
pub const MAX_TTL: u32 = 86_400;

/// Twilio's rule for error 20157: a token valid from `start` (its `nbf`, or when it was minted
/// if it has none) until `exp` may live at most [`MAX_TTL`] seconds. A backdated `nbf` counts:
/// a ttl of 86400 with `nbf` 300 s early lives 86700 s. The one definition of the rule, for
/// minting, for a server's roles and for reading a token.
///
/// ```
/// use twilio_token::access_token::check_lifetime;
/// assert!(check_lifetime(0, 86_400).is_ok());
/// assert_eq!(check_lifetime(-300, 86_400).unwrap_err().twilio_code(), Some(20157));
/// ```
pub fn check_lifetime(start: i64, exp: i64) -> Result<()> {
    let ttl = exp.saturating_sub(start);
    match ttl > i64::from(MAX_TTL) {
        true => err(ErrorKind::TtlTooLong { ttl }),
        false => Ok(()),
    }
}

const CONTENT_TYPE: &str = "twilio-fpa;v=1";

/// A Twilio access token: HS256, signed with an API key secret, carrying grants.
///
/// The Rust form of twilio-python's `AccessToken`; for the same inputs and clock it mints the
/// same bytes.
///
/// ```
/// use twilio_token::{AccessToken, grants::VideoGrant};
/// let token = AccessToken::new("ACxxxxx", "SKxxxxx", "your_api_secret")
///     .identity("user123")
///     .grant(VideoGrant::room("my-room"))
///     .to_jwt()?;
/// # let _ = token;
/// # Ok::<(), twilio_token::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AccessToken {
    account_sid: String,
    signing_key_sid: String,
    key: EncodingKey,
    identity: Option<String>,
    region: Option<String>,
    life: Lifetime,
    /// One grant of each kind at most, in the order first added.
    grants: Vec<Grant>,
    algorithm: Algorithm,
}

impl AccessToken {
    /// A token for `account_sid`, signed with the API key `signing_key_sid` and its secret.
    pub fn new(
        account_sid: impl Into<String>,
        signing_key_sid: impl Into<String>,
        secret: impl AsRef<[u8]>,
    ) -> Self {
        Self::with_key(
            account_sid,
            signing_key_sid,
            EncodingKey::from_secret(secret.as_ref()),
        )
    }

    /// Like [`new`](Self::new) with a key made once and reused, for a server minting many tokens.
    pub fn with_key(
        account_sid: impl Into<String>,
        signing_key_sid: impl Into<String>,
        key: EncodingKey,
    ) -> Self {
        AccessToken {
            account_sid: account_sid.into(),
            signing_key_sid: signing_key_sid.into(),
            key,
            identity: None,
            region: None,
            life: Lifetime::default(),
            grants: Vec::new(),
            algorithm: Algorithm::HS256,
        }
    }

    /// The user's identity (left out when empty).
    pub fn identity(mut self, identity: impl Into<String>) -> Self {
        self.identity = Some(identity.into());
        self
    }

    // ttl (at most MAX_TTL when minted), valid_until, nbf.
    jwt::lifetime_setters!();

    /// The Twilio region (`twr` header), e.g. `us1`; an empty region is left out.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Signs with HS384 or HS512 instead of HS256 (twilio-node's `toJwt(algorithm)`); any
    /// other algorithm is refused when minting.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Adds a grant, builder style. See [`add_grant`](Self::add_grant).
    pub fn grant(mut self, grant: impl Into<Grant>) -> Self {
        self.add_grant(grant);
        self
    }

    /// Adds a grant. A second grant of the same kind replaces the first but keeps its place,
    /// as the reference's dict comprehension does.
    pub fn add_grant(&mut self, grant: impl Into<Grant>) -> &mut Self {
        let grant = grant.into();
        match self.grants.iter_mut().find(|g| g.key() == grant.key()) {
            Some(slot) => *slot = grant,
            None => self.grants.push(grant),
        }
        self
    }

    /// The grants, in the order they will be written.
    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    /// Signs the token now.
    pub fn to_jwt(&self) -> Result<String> {
        self.to_jwt_at(crate::now())
    }

    /// Signs the token as if the clock read `now` (Unix seconds), so it can be reproduced.
    ///
    /// Fails with [`ErrorKind::TtlTooLong`] when the token would live more than 24 hours.
    pub fn to_jwt_at(&self, now: i64) -> Result<String> {
        self.to_jwt_as(Dialect::Python, now)
    }

    /// Mints at `now` in `dialect`: twilio-python's layout, or twilio-node's (header `alg`,
    /// `typ`, `cty`, `twr`; `iat` written; `nbf` only when set to a time; `JSON.stringify`'s
    /// escaping and numbers).
    pub fn to_jwt_as(&self, dialect: Dialect, now: i64) -> Result<String> {
        if dialect == Dialect::Node {
            let grants = self.grants.iter().map(|g| (g.key(), NodeGrant::Builtin(g)));
            return self.to_node_jwt(now, grants);
        }
        self.checked_exp(now)?;
        let region = self.twr();
        let body = AccessBody {
            jti: Jti(&self.signing_key_sid, now),
            grants: GrantsClaim {
                grants: Cow::Borrowed(&self.grants),
                identity: self.identity.as_deref().map(Cow::Borrowed),
                legacy: Vec::new(),
            },
        };
        let payload = Payload::new(
            body,
            &self.signing_key_sid,
            Some(&self.account_sid),
            &self.life,
            now,
        );
        match (region, self.algorithm) {
            (None, Algorithm::HS256) => {
                payload.sign_hs256(crate::header::ACCESS_HEADER_B64, &self.key)
            }
            (region, alg) => {
                let mut extra = vec![("cty", CONTENT_TYPE)];
                extra.extend(region.map(|r| ("twr", r)));
                let header = jwt::header_json(alg, &extra);
                payload.with_json(|payload| jws::sign(&header, payload, alg, &self.key))
            }
        }
    }

    /// The expiry of a token minted at `now`, once its lifetime and algorithm are checked.
    fn checked_exp(&self, now: i64) -> Result<i64> {
        let exp = self.life.exp(now);
        // Counted from the minting time, not from an explicit nbf: twilio-python mints those
        // as given (nbf 0 among them), and so does this; callers that set nbf check it.
        check_lifetime(now, exp)?;
        match self.algorithm {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Ok(exp),
            // An access token is signed with HS256, HS384 or HS512.
            other => err(ErrorKind::AlgorithmNotAllowed(other.as_str().into())),
        }
    }

    /// The `twr` header's value, if any.
    fn twr(&self) -> Option<&str> {
        self.region.as_deref().filter(|r| !r.is_empty())
    }

    /// twilio-node's `AccessToken.toJwt` at `now` with these grants, by key in the order
    /// added (the token's own grants are not read): its grants object (identity first, then
    /// each grant's payload; a key given twice keeps its first place and its last payload, as
    /// a JavaScript object does), then what jsonwebtoken adds. The Node spec passes grants of
    /// the caller's own classes this way.
    pub(crate) fn to_node_jwt<'g>(
        &self,
        now: i64,
        given: impl IntoIterator<Item = (&'g str, NodeGrant<'g>)>,
    ) -> Result<String> {
        let exp = self.checked_exp(now)?;
        let mut grants: Vec<(&str, NodeGrant)> = Vec::with_capacity(self.grants.len() + 2);
        if let Some(identity) = &self.identity {
            grants.push(("identity", NodeGrant::Identity(identity)));
        }
        for (key, grant) in given {
            match grants.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = grant,
                None => grants.push((key, grant)),
            }
        }
        let payload = NodePayload {
            jti: Jti(&self.signing_key_sid, now),
            grants: NodeGrants(dialect::js_entries(grants)),
            nbf: match self.life.nbf {
                Nbf::At(nbf) => Some(nbf),
                _ => None,
            },
            iat: now,
            exp,
            iss: &self.signing_key_sid,
            sub: &self.account_sid,
        };
        let header = NodeHeader {
            alg: self.algorithm.as_str(),
            typ: "JWT",
            cty: CONTENT_TYPE,
            twr: self.twr(),
        };
        dialect::sign_node(&header, &payload, self.algorithm, &self.key)
    }
}

/// What twilio-node writes under a key of an access token's grants.
#[derive(Clone, Copy)]
pub(crate) enum NodeGrant<'a> {
    Identity(&'a str),
    /// A built-in grant, each field tested for truth as JavaScript tests it.
    Builtin(&'a Grant),
    /// What a grant of the caller's own returned, as given; `None` (`undefined`) is left out
    /// but keeps the key's place.
    Given(Option<&'a Value>),
}

impl NodeGrant<'_> {
    fn is_undefined(&self) -> bool {
        matches!(self, NodeGrant::Given(None))
    }
}

impl Serialize for NodeGrant<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            NodeGrant::Identity(identity) => identity.serialize(s),
            // The grants with JSON in them: `{}` and `[]` are false to Python and true to
            // JavaScript, and the JSON's objects keep JavaScript's key order.
            NodeGrant::Builtin(Grant::Playback(playback)) => {
                let grant = playback.grant.as_ref().filter(|g| dialect::js_truthy(g));
                match grant {
                    Some(grant) => dialect::JsOrdered(grant).serialize(s),
                    None => s.serialize_map(Some(0))?.end(),
                }
            }
            NodeGrant::Builtin(Grant::Voice(voice)) => {
                dialect::JsOrdered(&node_voice(voice).map_err(serde::ser::Error::custom)?)
                    .serialize(s)
            }
            // The others hold strings alone, which JavaScript writes as they are written here.
            NodeGrant::Builtin(grant) => grant.serialize(s),
            NodeGrant::Given(payload) => payload.map(dialect::JsOrdered).serialize(s),
        }
    }
}

/// A voice grant as twilio-node writes it. Not inlined into the writing of every grant: a
/// WebAssembly runtime compiles a function when it is first called.
#[inline(never)]
fn node_voice(voice: &grants::VoiceGrant) -> serde_json::Result<Value> {
    let mut payload = serde_json::to_value(voice)?;
    if let Some(outgoing) = payload.get_mut("outgoing")
        && let Some(params) = voice
            .outgoing_application_params
            .as_ref()
            .filter(|p| dialect::js_truthy(p))
    {
        outgoing["params"] = params.clone();
    }
    Ok(payload)
}

/// An access token's payload as twilio-node writes it.
#[derive(Serialize)]
struct NodePayload<'a> {
    jti: Jti<'a>,
    grants: NodeGrants<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    iat: i64,
    exp: i64,
    iss: &'a str,
    sub: &'a str,
}

/// The grants object, its keys in JavaScript's order.
struct NodeGrants<'a>(Vec<(&'a str, NodeGrant<'a>)>);

impl Serialize for NodeGrants<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        // `JSON.stringify` leaves out what is `undefined`.
        s.collect_map(
            self.0
                .iter()
                .filter(|(_, g)| !g.is_undefined())
                .map(|(k, g)| (k, g)),
        )
    }
}

/// An access token's header as jsonwebtoken writes it for twilio-node.
#[derive(Serialize)]
struct NodeHeader<'a> {
    alg: &'a str,
    typ: &'a str,
    cty: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    twr: Option<&'a str>,
}

/// The claims of an access token before the registered ones.
struct AccessBody<'a> {
    jti: Jti<'a>,
    grants: GrantsClaim<'a>,
}

impl Body for AccessBody<'_> {
    fn write<M: SerializeMap>(&self, map: &mut M) -> std::result::Result<(), M::Error> {
        map.serialize_entry("jti", &self.jti)?;
        map.serialize_entry("grants", &self.grants)
    }
}

/// `{api key SID}-{minting time}`.
struct Jti<'a>(&'a str, i64);

impl Serialize for Jti<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        // Built on the stack: an API key SID is 34 characters.
        let mut buffer = [0u8; 64];
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(self.1).as_bytes();
        let sid = self.0.as_bytes();
        let len = sid.len() + 1 + digits.len();
        if len > buffer.len() {
            return s.collect_str(&format_args!("{}-{}", self.0, self.1));
        }
        buffer[..sid.len()].copy_from_slice(sid);
        buffer[sid.len()] = b'-';
        buffer[sid.len() + 1..len].copy_from_slice(digits);
        // A str, a dash and digits: still UTF-8.
        s.serialize_str(std::str::from_utf8(&buffer[..len]).expect("UTF-8"))
    }
}
