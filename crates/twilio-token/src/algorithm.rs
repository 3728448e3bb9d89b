//! The JWS algorithms this crate signs and verifies.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind};

/// A JWS `alg` value.
///
/// Parsing is exact and case-sensitive (`"hs256"` and `"none"` are not algorithms), as RFC 8725
/// §3.1 asks of a verifier.
///
/// ```
/// use twilio_token::Algorithm;
/// assert_eq!("RS256".parse::<Algorithm>().unwrap(), Algorithm::RS256);
/// assert!("none".parse::<Algorithm>().is_err());
/// assert!("hs256".parse::<Algorithm>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256, the algorithm of every Twilio access and capability token.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256, used by Twilio's client validation tokens.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
}

/// Which kind of key an algorithm needs; a key of one family never verifies another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Hmac,
    Rsa,
}

impl Algorithm {
    /// Every algorithm, in a fixed order.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
    ];

    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
        }
    }

    pub(crate) fn family(self) -> Family {
        match self {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Family::Hmac,
            Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 => Family::Rsa,
        }
    }

    pub(crate) fn hmac(self) -> Option<ring::hmac::Algorithm> {
        match self {
            Algorithm::HS256 => Some(ring::hmac::HMAC_SHA256),
            Algorithm::HS384 => Some(ring::hmac::HMAC_SHA384),
            Algorithm::HS512 => Some(ring::hmac::HMAC_SHA512),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| ErrorKind::AlgorithmNotAllowed(s.chars().take(32).collect()).into())
    }
}
