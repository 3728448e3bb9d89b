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
/// assert_eq!("EdDSA".parse::<Algorithm>().unwrap(), Algorithm::EdDSA);
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
    /// RSASSA-PKCS1-v1_5 with SHA-256, used by Twilio's client validation tokens and most
    /// identity providers.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256 (MGF1 with SHA-256, salt as long as the hash).
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// EdDSA; this crate supports the Ed25519 curve (RFC 8037).
    EdDSA,
}

/// Which kind of key an algorithm needs; a key of one family never verifies another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// A shared secret (HS256, HS384, HS512).
    Hmac,
    /// An RSA key (RS* and PS*).
    Rsa,
    /// A P-256 key (ES256).
    EcP256,
    /// A P-384 key (ES384).
    EcP384,
    /// An Ed25519 key (EdDSA).
    Ed25519,
}

impl Algorithm {
    /// Every algorithm, in a fixed order.
    pub const ALL: [Algorithm; 12] = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];

    /// The public-key algorithms: what an identity provider may sign with (every algorithm
    /// after the three HMAC ones).
    pub const ASYMMETRIC: &'static [Algorithm] = Algorithm::ALL.split_at(3).1;

    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// Whether the algorithm is verified with a shared secret (HS*) rather than a public key.
    pub fn is_symmetric(self) -> bool {
        self.family() == Family::Hmac
    }

    /// The kind of key the algorithm needs.
    pub fn family(self) -> Family {
        match self {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Family::Hmac,
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => Family::Rsa,
            Algorithm::ES256 => Family::EcP256,
            Algorithm::ES384 => Family::EcP384,
            Algorithm::EdDSA => Family::Ed25519,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_asymmetric_algorithms_are_all_but_hmac() {
        assert_eq!(Algorithm::ASYMMETRIC.len(), 9);
        assert!(Algorithm::ASYMMETRIC.iter().all(|a| !a.is_symmetric()));
        let hmac = Algorithm::ALL.iter().filter(|a| a.is_symmetric()).count();
        assert_eq!(hmac + Algorithm::ASYMMETRIC.len(), Algorithm::ALL.len());
    }
}
