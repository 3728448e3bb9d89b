//! The `Jwt` base every token type builds on: registered claims, headers and the clock.

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::dialect::{self, Sorted};
use crate::error::{ErrorKind, Result, err};
use crate::jws;
use crate::key::EncodingKey;

/// When a token becomes valid: the `nbf` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Nbf {
    /// The minting time (the reference's default).
    #[default]
    Now,
    /// This Unix time.
    At(i64),
    /// No `nbf` claim at all (the reference's `nbf=None`).
    Omit,
}

/// The lifetime settings shared by every token type, as the reference's `Jwt` holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lifetime {
    pub ttl: u32,
    pub valid_until: Option<i64>,
    pub nbf: Nbf,
}

impl Default for Lifetime {
    fn default() -> Self {
        Lifetime {
            ttl: 3600,
            valid_until: None,
            nbf: Nbf::Now,
        }
    }
}

impl Lifetime {
    /// `exp`: `valid_until` when it is set and non-zero (the reference tests its truth), else
    /// now + ttl.
    pub fn exp(&self, now: i64) -> i64 {
        match self.valid_until {
            Some(t) if t != 0 => t,
            _ => now + i64::from(self.ttl),
        }
    }

    pub fn nbf(&self, now: i64) -> Option<i64> {
        match self.nbf {
            Nbf::Now => Some(now),
            Nbf::At(t) => Some(t),
            Nbf::Omit => None,
        }
    }
}

/// The `ttl`, `valid_until` and `nbf` builder methods, for a token type with a
/// `life: Lifetime` field.
macro_rules! lifetime_setters {
    () => {
        /// Seconds from minting to `exp` (default 3600).
        pub fn ttl(mut self, seconds: u32) -> Self {
            self.life.ttl = seconds;
            self
        }

        /// A fixed `exp` (Unix time); overrides the ttl unless it is 0.
        pub fn valid_until(mut self, unix_time: i64) -> Self {
            self.life.valid_until = Some(unix_time);
            self
        }

        /// The `nbf` claim (default: the minting time).
        pub fn nbf(mut self, nbf: $crate::jwt::Nbf) -> Self {
            self.life.nbf = nbf;
            self
        }
    };
}
pub(crate) use lifetime_setters;

/// The claims a token type writes before the registered ones, in order.
pub(crate) trait Body {
    fn write<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
}

/// A payload in the reference's key order: the token type's own claims (`body`), then `iss`,
/// `exp`, `nbf` (unless omitted) and `sub` (unless empty).
pub(crate) struct Payload<'a, B> {
    pub body: B,
    pub iss: &'a str,
    pub exp: i64,
    pub nbf: Option<i64>,
    pub sub: Option<&'a str>,
}

impl<B: Body> Serialize for Payload<'_, B> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        self.body.write(&mut map)?;
        map.serialize_entry("iss", self.iss)?;
        map.serialize_entry("exp", &self.exp)?;
        if let Some(nbf) = self.nbf {
            map.serialize_entry("nbf", &nbf)?;
        }
        if let Some(sub) = self.sub {
            map.serialize_entry("sub", sub)?;
        }
        map.end()
    }
}

impl<'a, B: Body> Payload<'a, B> {
    pub fn new(body: B, iss: &'a str, sub: Option<&'a str>, life: &Lifetime, now: i64) -> Self {
        Payload {
            body,
            iss,
            exp: life.exp(now),
            nbf: life.nbf(now),
            sub: sub.filter(|s| !s.is_empty()),
        }
    }

    /// Writes the payload's JSON as the reference does and hands it to `f`. The bytes live in
    /// a buffer kept per thread, so minting a token allocates only the token.
    pub fn with_json<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        thread_local! {
            static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
        }
        let mut json = SCRATCH.take();
        json.clear();
        dialect::write_python(&mut json, self);
        let result = f(&json);
        // A rare huge payload is not worth keeping.
        if json.capacity() <= 4096 {
            SCRATCH.set(json);
        }
        result
    }

    /// The token: HS256 under the already encoded `header_b64`.
    pub fn sign_hs256(&self, header_b64: &str, key: &EncodingKey) -> Result<String> {
        self.with_json(|payload| {
            jws::sign_with_encoded_header(header_b64, payload, Algorithm::HS256, key)
        })
    }
}

/// A JOSE header as PyJWT writes it: the extra fields plus `alg` and `typ: JWT`, keys sorted.
pub(crate) fn header_json(alg: Algorithm, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut fields: Vec<(&str, &str)> = Vec::with_capacity(extra.len() + 2);
    fields.extend(extra.iter().filter(|(k, _)| *k != "alg" && *k != "typ"));
    fields.push(("alg", alg.as_str()));
    fields.push(("typ", "JWT"));
    fields.sort_unstable_by_key(|(k, _)| *k);
    let mut out = Vec::with_capacity(96);
    dialect::write_python(&mut out, &SortedPairs(&fields));
    out
}

struct SortedPairs<'a>(&'a [(&'a str, &'a str)]);

impl Serialize for SortedPairs<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A general JWT, like twilio-python's `Jwt` base class: an issuer, an optional subject, a
/// lifetime, and any extra claims and headers.
///
/// Extra claims come first in the payload, then `iss`, `exp`, `nbf` and `sub`, each replacing an
/// extra claim of the same name in place, exactly as the reference's dict does.
///
/// ```
/// use twilio_token::{EncodingKey, Jwt, Nbf};
/// let token = Jwt::new("SKxxx")
///     .subject("ACxxx")
///     .claim("scope", "scope:client:incoming?clientName=alice")
///     .ttl(60)
///     .nbf(Nbf::Omit)
///     .encode_at(&EncodingKey::from_secret(b"secret"), 1_700_000_000)?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), twilio_token::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Jwt {
    issuer: String,
    subject: Option<String>,
    algorithm: Algorithm,
    life: Lifetime,
    headers: Map<String, Value>,
    claims: Map<String, Value>,
}

impl Jwt {
    /// A token issued by `issuer`, HS256, valid for an hour from when it is minted.
    pub fn new(issuer: impl Into<String>) -> Self {
        Jwt {
            issuer: issuer.into(),
            subject: None,
            algorithm: Algorithm::HS256,
            life: Lifetime::default(),
            headers: Map::new(),
            claims: Map::new(),
        }
    }

    /// The `sub` claim (left out when empty).
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// The signing algorithm (default HS256).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    lifetime_setters!();

    /// An extra header field; `alg` and `typ` are always the token's own. As PyJWT does, a
    /// `b64` field is dropped (`b64: false`, a detached payload, is refused when signing) and a
    /// `kid` must be a string.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// An extra claim.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Signs the token now.
    pub fn encode(&self, key: &EncodingKey) -> Result<String> {
        self.encode_at(key, crate::now())
    }

    /// Signs the token as if the clock read `now` (Unix seconds).
    pub fn encode_at(&self, key: &EncodingKey, now: i64) -> Result<String> {
        let mut headers = self.headers.clone();
        // PyJWT leaves out any b64 but false (true is the default); false would leave the
        // payload unencoded (RFC 7797), which this crate does not write.
        if headers.remove("b64") == Some(Value::Bool(false)) {
            return err(ErrorKind::Unsupported(
                "a b64: false header (an unencoded payload, RFC 7797)".into(),
            ));
        }
        if headers.get("kid").is_some_and(|kid| !kid.is_string()) {
            return err(ErrorKind::Unsupported(
                "a kid header that is not a string".into(),
            ));
        }
        headers.insert("typ".into(), "JWT".into());
        headers.insert("alg".into(), self.algorithm.as_str().into());
        let mut header = Vec::with_capacity(96);
        dialect::write_python(&mut header, &Sorted(&Value::Object(headers)));

        let mut claims = self.claims.clone();
        claims.insert("iss".into(), self.issuer.as_str().into());
        claims.insert("exp".into(), self.life.exp(now).into());
        if let Some(nbf) = self.life.nbf(now) {
            claims.insert("nbf".into(), nbf.into());
        }
        if let Some(sub) = self.subject.as_deref().filter(|s| !s.is_empty()) {
            claims.insert("sub".into(), sub.into());
        }
        let mut payload = Vec::with_capacity(256);
        dialect::write_python(&mut payload, &claims);
        jws::sign(&header, &payload, self.algorithm, key)
    }
}
