//! The one error type of the crate.

use std::fmt;

/// What went wrong, without any secret in it.
///
/// Every failure of the crate, minting or decoding, is an [`Error`] carrying one of these kinds.
/// The enum is non-exhaustive so that new checks can be added without breaking callers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The token is not a compact JWS: wrong number of segments, bad base64url, not JSON, ...
    Malformed(&'static str),
    /// The JOSE header is unusable: no `alg`, a `crit` we do not understand, a bad `kid`, ...
    BadHeader(&'static str),
    /// The token is longer than the decoder accepts.
    TooLarge {
        /// The configured cap in bytes.
        limit: usize,
    },
    /// The header names an algorithm that this decode call does not allow, or one the key
    /// cannot verify (a key of one family never verifies another).
    AlgorithmNotAllowed(String),
    /// The signature does not verify.
    InvalidSignature,
    /// `exp` is in the past.
    Expired,
    /// There is no `exp`: the token would never expire (refused unless
    /// [`Validation::require_exp`](crate::Validation::require_exp) is off).
    MissingExpiry,
    /// `nbf` is in the future.
    NotYetValid,
    /// `iat` is in the future (checked when [`Validation::validate_iat`](crate::Validation::validate_iat) is on).
    IssuedInFuture,
    /// `iss` is missing or not one of the accepted issuers.
    InvalidIssuer,
    /// `aud` is missing or names none of the accepted audiences.
    InvalidAudience,
    /// No key in the key set has the token's `kid` and fits its algorithm.
    UnknownKey,
    /// A claim has the wrong JSON type (`exp` as a string, say) or is missing where required.
    InvalidClaim(&'static str),
    /// A key could not be used: bad PEM, wrong key type, too short for the algorithm.
    InvalidKey(&'static str),
    /// A PEM or SSH key given as an HMAC secret: a public key used as one is the
    /// algorithm-confusion attack.
    AsymmetricSecret,
    /// A Twilio SID has the wrong prefix or length.
    InvalidSid {
        /// Which argument the SID was given for, e.g. `account_sid`.
        field: &'static str,
        /// The two-letter prefix that SID must start with.
        expected_prefix: &'static str,
    },
    /// An access token would live longer than Twilio accepts (24 hours).
    TtlTooLong {
        /// The lifetime asked for, in seconds.
        ttl: i64,
    },
    /// A value cannot be represented the way the reference library would write it.
    Unsupported(String),
    /// A `mint --spec` document is not valid.
    InvalidSpec(String),
}

/// An error from minting or decoding a token.
///
/// The same type serves every token kind, as twilio-python raises `JwtDecodeError` for every
/// decode failure. Messages never contain a secret, a key or the token itself.
///
/// ```
/// use twilio_token::{Claims, decode, DecodingKey, ErrorKind, Validation};
/// let err = decode::<Claims>("not.a.token", &DecodingKey::from_secret(b"s"), &Validation::default()).unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::Malformed(_)));
/// assert_eq!(err.twilio_code(), Some(20101));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The kind of failure.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The Twilio error code that describes this failure, where Twilio defines one
    /// (20101 invalid token, 20102 bad header, 20104 expired, 20105 not yet valid,
    /// 20107 bad signature, 20157 ttl over 24 hours).
    pub fn twilio_code(&self) -> Option<u16> {
        Some(match self.kind {
            ErrorKind::Malformed(_)
            | ErrorKind::TooLarge { .. }
            | ErrorKind::InvalidClaim(_)
            | ErrorKind::InvalidIssuer
            | ErrorKind::InvalidAudience => 20101,
            ErrorKind::IssuedInFuture => 20105,
            ErrorKind::UnknownKey => 20107,
            ErrorKind::BadHeader(_) | ErrorKind::AlgorithmNotAllowed(_) => 20102,
            ErrorKind::Expired | ErrorKind::MissingExpiry => 20104,
            ErrorKind::NotYetValid => 20105,
            ErrorKind::InvalidSignature => 20107,
            ErrorKind::TtlTooLong { .. } => 20157,
            _ => return None,
        })
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error { kind }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Malformed(why) => write!(f, "malformed token: {why}"),
            ErrorKind::BadHeader(why) => write!(f, "invalid token header: {why}"),
            ErrorKind::TooLarge { limit } => write!(f, "token is longer than {limit} bytes"),
            ErrorKind::AlgorithmNotAllowed(alg) => {
                write!(f, "algorithm {alg:?} is not allowed here")
            }
            ErrorKind::InvalidSignature => f.write_str("signature does not verify"),
            ErrorKind::Expired => f.write_str("token has expired"),
            ErrorKind::MissingExpiry => {
                f.write_str("token has no exp claim, so it would never expire")
            }
            ErrorKind::NotYetValid => f.write_str("token is not valid yet (nbf is in the future)"),
            ErrorKind::IssuedInFuture => f.write_str("token was issued in the future (iat)"),
            ErrorKind::InvalidIssuer => f.write_str("token's issuer (iss) is not accepted"),
            ErrorKind::InvalidAudience => f.write_str("token's audience (aud) is not accepted"),
            ErrorKind::UnknownKey => {
                f.write_str("no known key has the token's kid and fits its algorithm")
            }
            ErrorKind::InvalidClaim(why) => write!(f, "invalid claim: {why}"),
            ErrorKind::InvalidKey(why) => write!(f, "invalid key: {why}"),
            ErrorKind::AsymmetricSecret => f.write_str(
                "the key is an asymmetric key or certificate and must not be used as an HMAC secret",
            ),
            ErrorKind::InvalidSid {
                field,
                expected_prefix,
            } => write!(
                f,
                "{field} must be a Twilio SID: {expected_prefix} followed by 32 hex digits"
            ),
            ErrorKind::TtlTooLong { ttl } => write!(
                f,
                "token lifetime {ttl} s exceeds Twilio's maximum of 86400 s"
            ),
            ErrorKind::Unsupported(why) => write!(f, "unsupported: {why}"),
            ErrorKind::InvalidSpec(why) => write!(f, "invalid spec: {why}"),
        }
    }
}

impl std::error::Error for Error {}

pub(crate) fn err<T>(kind: ErrorKind) -> Result<T> {
    Err(kind.into())
}
