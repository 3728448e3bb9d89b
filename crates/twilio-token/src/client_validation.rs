//! Client validation tokens: RS256 (or PS256) JWTs that let Twilio check a REST request came
//! from you.

use std::collections::HashMap;
use std::fmt::Write as _;

use ring::digest::{SHA256, digest};

use crate::algorithm::Algorithm;
use crate::error::{ErrorKind, Result, err};
use crate::jws;
use crate::jwt::{self, Body, Lifetime, Payload};
use crate::key::EncodingKey;
use serde::ser::SerializeMap;

const CONTENT_TYPE: &str = "twilio-pkrv;v=1";

/// A header value: one string, or several that are sorted and joined with `,`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// A single value.
    One(String),
    /// Several values.
    Many(Vec<String>),
}

impl From<&str> for HeaderValue {
    fn from(v: &str) -> Self {
        HeaderValue::One(v.to_owned())
    }
}

/// The parts of an HTTP request a validation token signs (twilio-python's `ValidationPayload`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationPayload {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path, e.g. `/2010-04-01/Accounts/AC.../Messages.json`.
    pub path: String,
    /// The query string without `?`.
    pub query_string: String,
    /// Every header of the request (names in any case).
    pub all_headers: Vec<(String, HeaderValue)>,
    /// The lower-case names of the headers to sign.
    pub signed_headers: Vec<String>,
    /// The request body.
    pub body: Vec<u8>,
}

/// A client validation JWT: RS256, header `cty: twilio-pkrv;v=1` and `kid` = the credential
/// SID, five minutes of life, with the request hash in `hrh`/`rqh`.
///
/// [`algorithm`](Self::algorithm) signs it with PS256 instead, as twilio-node and twilio-java
/// can; twilio-python signs with RS256 only.
///
/// ```
/// use twilio_token::client_validation::{ClientValidationJwt, ValidationPayload};
/// # let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rsa_pkcs8.pem")).unwrap();
/// let request = ValidationPayload {
///     method: "GET".into(),
///     path: "/2010-04-01/Accounts".into(),
///     all_headers: vec![("Host".into(), "api.twilio.com".into())],
///     signed_headers: vec!["host".into()],
///     ..Default::default()
/// };
/// let jwt = ClientValidationJwt::new("ACxxx", "SKxxx", "CRxxx", &pem, request)?.to_jwt()?;
/// # let _ = jwt;
/// # Ok::<(), twilio_token::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientValidationJwt {
    account_sid: String,
    api_key_sid: String,
    credential_sid: String,
    key: EncodingKey,
    algorithm: Algorithm,
    request: ValidationPayload,
}

impl ClientValidationJwt {
    /// A token for `request`, signed with the PEM private key (PKCS#1 or PKCS#8) whose public
    /// half Twilio holds as credential `credential_sid`.
    pub fn new(
        account_sid: impl Into<String>,
        api_key_sid: impl Into<String>,
        credential_sid: impl Into<String>,
        private_key_pem: &[u8],
        request: ValidationPayload,
    ) -> Result<Self> {
        Ok(ClientValidationJwt {
            account_sid: account_sid.into(),
            api_key_sid: api_key_sid.into(),
            credential_sid: credential_sid.into(),
            key: EncodingKey::from_rsa_pem(private_key_pem)?,
            algorithm: Algorithm::RS256,
            request,
        })
    }

    /// The signing algorithm: [`Algorithm::RS256`] (the default) or [`Algorithm::PS256`]. Any
    /// other algorithm fails when the token is signed.
    ///
    /// ```
    /// use twilio_token::{Algorithm, ClientValidationJwt, client_validation::ValidationPayload};
    /// # let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rsa_pkcs8.pem")).unwrap();
    /// let request = ValidationPayload { method: "GET".into(), path: "/".into(), ..Default::default() };
    /// let jwt = ClientValidationJwt::new("ACxxx", "SKxxx", "CRxxx", &pem, request)?
    ///     .algorithm(Algorithm::PS256)
    ///     .to_jwt()?;
    /// # let _ = jwt;
    /// # Ok::<(), twilio_token::Error>(())
    /// ```
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Signs the token now.
    pub fn to_jwt(&self) -> Result<String> {
        self.to_jwt_at(crate::now())
    }

    /// Signs the token as if the clock read `now` (Unix seconds).
    pub fn to_jwt_at(&self, now: i64) -> Result<String> {
        let alg = self.algorithm;
        if !matches!(alg, Algorithm::RS256 | Algorithm::PS256) {
            return err(ErrorKind::Unsupported(format!(
                "a client validation token is signed with RS256 or PS256, not {alg}"
            )));
        }
        let life = Lifetime {
            ttl: 300,
            ..Lifetime::default()
        };
        let body = request_hashes(&self.request);
        let payload = Payload::new(body, &self.api_key_sid, Some(&self.account_sid), &life, now);
        let header = jwt::header_json(alg, &[("cty", CONTENT_TYPE), ("kid", &self.credential_sid)]);
        payload.with_json(|payload| jws::sign(&header, payload, alg, &self.key))
    }
}

struct Hashes {
    hrh: String,
    rqh: String,
}

impl Body for Hashes {
    fn write<M: SerializeMap>(&self, map: &mut M) -> std::result::Result<(), M::Error> {
        map.serialize_entry("hrh", &self.hrh)?;
        map.serialize_entry("rqh", &self.rqh)
    }
}

/// The canonical request and its hash, exactly as the reference computes them.
fn request_hashes(request: &ValidationPayload) -> Hashes {
    // Later headers win when two names differ only in case, as in the reference's dict.
    let all_headers: HashMap<String, String> = request
        .all_headers
        .iter()
        .map(|(name, value)| (name.to_lowercase(), sort_and_join(value)))
        .collect();
    let mut signed = request.signed_headers.clone();
    signed.sort();
    let headers_str: Vec<String> = signed
        .iter()
        .filter_map(|h| all_headers.get(h).map(|v| format!("{h}:{v}")))
        .collect();
    let headers_str = headers_str.join("\n");

    let mut query: Vec<&str> = request.query_string.split('&').collect();
    query.sort_unstable();
    let query = query.join("&");

    let signed_headers_str = signed.join(";");
    let body_hash = if request.body.is_empty() {
        String::new()
    } else {
        sha256_hex(&request.body)
    };

    let mut canonical: Vec<&str> = vec![&request.method, &request.path, &query];
    if !headers_str.is_empty() {
        canonical.push(&headers_str);
    }
    canonical.extend(["", &signed_headers_str, &body_hash]);
    Hashes {
        rqh: sha256_hex(canonical.join("\n").as_bytes()),
        hrh: signed_headers_str,
    }
}

fn sort_and_join(value: &HeaderValue) -> String {
    match value {
        HeaderValue::One(v) => v.clone(),
        HeaderValue::Many(values) => {
            let mut values = values.clone();
            values.sort();
            values.join(",")
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    let mut hex = String::with_capacity(64);
    for b in digest(&SHA256, bytes).as_ref() {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}
