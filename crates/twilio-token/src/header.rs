//! A token's JOSE header, and reading one strictly.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::error::{ErrorKind, Result, err};
use crate::strict;

/// A token's JOSE header: its algorithm, the usual string fields, and the JSON it came from.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Header {
    /// `alg`.
    pub alg: Algorithm,
    /// `typ`, `JWT` in every Twilio token.
    pub typ: Option<Cow<'static, str>>,
    /// `cty`: `twilio-fpa;v=1` for access tokens, `twilio-pkrv;v=1` for validation tokens.
    pub cty: Option<Cow<'static, str>>,
    /// `kid`: the credential SID of a validation token.
    pub kid: Option<Cow<'static, str>>,
    /// `twr`: the Twilio region of an access token.
    pub twr: Option<Cow<'static, str>>,
    json: Cow<'static, str>,
}

impl Header {
    /// The header's JSON text, as it was signed.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// Every header field, in the token's order.
    pub fn to_map(&self) -> Map<String, Value> {
        // Read as strictly as it was when the token was decoded.
        strict::value_from_slice(self.json.as_bytes()).unwrap_or_default()
    }
}

/// The fields of a header that are read; the rest stay in its JSON.
#[derive(Deserialize)]
struct RawHeader {
    alg: Option<Value>,
    #[serde(default, deserialize_with = "string")]
    typ: Option<String>,
    #[serde(default, deserialize_with = "string")]
    cty: Option<String>,
    #[serde(default, deserialize_with = "string")]
    kid: Option<String>,
    #[serde(default, deserialize_with = "string")]
    twr: Option<String>,
    #[serde(default, deserialize_with = "present")]
    crit: bool,
}

/// A field that, when present, must be a string (`null` is not).
fn string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

pub(crate) fn decode_header(segment: &str) -> Result<Header> {
    // The headers this crate writes for HS256 tokens need no parsing.
    for (encoded, json, cty) in KNOWN_HEADERS {
        if segment == encoded {
            return Ok(Header {
                alg: Algorithm::HS256,
                typ: Some(Cow::Borrowed("JWT")),
                cty: cty.map(Cow::Borrowed),
                kid: None,
                twr: None,
                json: Cow::Borrowed(json),
            });
        }
    }
    let bytes = strict::base64url(segment)?;
    let (raw, _): (RawHeader, _) = strict::from_slice(&bytes).map_err(|e| {
        ErrorKind::BadHeader(match e {
            strict::Error::Shape(_) => "typ, cty, kid and twr must be strings",
            _ => "header is not a JSON object without duplicate names",
        })
    })?;
    if raw.crit {
        // We implement no JWS extension, so any critical one must be refused (RFC 7515 §4.1.11).
        return err(ErrorKind::BadHeader(
            "crit names an extension this verifier does not support",
        ));
    }
    let alg = match raw.alg {
        Some(Value::String(alg)) => alg.parse()?,
        Some(_) => return err(ErrorKind::BadHeader("alg must be a string")),
        None => return err(ErrorKind::BadHeader("alg is missing")),
    };
    Ok(Header {
        alg,
        typ: raw.typ.map(Cow::Owned),
        cty: raw.cty.map(Cow::Owned),
        kid: raw.kid.map(Cow::Owned),
        twr: raw.twr.map(Cow::Owned),
        json: Cow::Owned(String::from_utf8(bytes).expect("the scan checked UTF-8")),
    })
}

/// The header of every access token without a region, encoded.
pub(crate) const ACCESS_HEADER_B64: &str =
    "eyJhbGciOiJIUzI1NiIsImN0eSI6InR3aWxpby1mcGE7dj0xIiwidHlwIjoiSldUIn0";
const ACCESS_HEADER: &str = r#"{"alg":"HS256","cty":"twilio-fpa;v=1","typ":"JWT"}"#;
/// The header of client and TaskRouter capability tokens, encoded.
pub(crate) const PLAIN_HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
const PLAIN_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Base64url and JSON of the HS256 headers this crate writes, with their `cty`.
const KNOWN_HEADERS: [(&str, &str, Option<&str>); 2] = [
    (ACCESS_HEADER_B64, ACCESS_HEADER, Some("twilio-fpa;v=1")),
    (PLAIN_HEADER_B64, PLAIN_HEADER, None),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_headers_are_what_the_token_types_write() {
        for (encoded, json, _) in KNOWN_HEADERS {
            assert_eq!(base64_simd::URL_SAFE_NO_PAD.encode_to_string(json), encoded);
        }
        let written = crate::jwt::header_json(Algorithm::HS256, &[("cty", "twilio-fpa;v=1")]);
        assert_eq!(written, ACCESS_HEADER.as_bytes());
        assert_eq!(
            crate::jwt::header_json(Algorithm::HS256, &[]),
            PLAIN_HEADER.as_bytes()
        );
    }
}
