//! Mint and verify Twilio-compatible JSON Web Tokens.
//!
//! This crate is twilio-python's `twilio.jwt` module in Rust: [`AccessToken`] with its
//! [`grants`], [`ClientCapabilityToken`], the [`taskrouter`] capability tokens,
//! [`client_validation::ClientValidationJwt`] and the [`Jwt`] base. For the same inputs and the
//! same clock every token is byte-identical to the one twilio-python 9.x mints; every type can be
//! minted "at" a given Unix time (`to_jwt_at`) so a token can be reproduced exactly.
//!
//! Decoding is strict by default, following RFC 8725: [`decode`] takes the caller's algorithm
//! allow-list (HS256 alone by default), never accepts `none`, never lets a key of one family
//! verify another, and rejects non-canonical base64url, duplicate JSON names, unknown `crit`
//! headers, mistyped `exp`/`nbf` and oversized tokens. It reads the claims into any
//! deserialisable type: [`Claims`] (a JSON map), [`AccessClaims`] (through
//! [`access_token::decode`]), or the caller's own. Tokens from identity providers (RS*, PS*,
//! ES256, ES384, EdDSA) verify the same way, with a PEM key or a [`jwk::JwkSet`], and
//! [`Validation`] checks their `iss`, `aud` and `iat`. Reading a token without verifying it is
//! possible only through [`dangerous::decode_unverified`].
//!
//! ```
//! use twilio_token::{decode, AccessToken, Claims, DecodingKey, Validation, grants::VideoGrant};
//! let token = AccessToken::new("ACxxxxx", "SKxxxxx", "your_api_secret")
//!     .identity("user123")
//!     .grant(VideoGrant::room("my-room"))
//!     .to_jwt()?;
//! let data = decode::<Claims>(&token, &DecodingKey::from_secret(b"your_api_secret"), &Validation::default())?;
//! assert_eq!(data.claims["grants"]["video"]["room"], "my-room");
//! # Ok::<(), twilio_token::Error>(())
//! ```
//!
//! # Layout
//!
//! - [`access_token`]: access tokens and their [`grants`], each grant defined once for writing
//!   and reading; [`access_token::decode`] reads one back as [`AccessClaims`], legacy grant
//!   names ([`grants::LegacyGrant`]) included, which are read and never written.
//! - [`client`]: client capability tokens and their scope URIs.
//! - [`taskrouter`]: worker, task queue and workspace capability tokens.
//! - [`client_validation`]: client validation tokens (RS256, or PS256 as twilio-node signs).
//! - [`jwt`]: the base every type builds on: registered claims, lifetimes, [`Nbf`].
//! - [`jws`]: compact serialisation, [`decode`] and [`Validation`]; [`Header`].
//! - [`key`]: [`EncodingKey`] and [`DecodingKey`], one file per key family (HMAC, RSA, EC,
//!   EdDSA) and one for PEM; [`algorithm`]: [`Algorithm`].
//! - [`jwk`]: JSON Web Keys and key sets, for tokens from identity providers.
//! - [`spec`]: minting any type from a JSON spec; [`sid`]: SID checks.
//! - [`region`]: the Twilio Regions; [`identity`]: the identities each product accepts.
//! - [`dangerous`]: reading a token without verifying it; [`explain`]: what Twilio would say
//!   about an access token, with its error codes.
//! - [`dialect`]: how twilio-python and twilio-node write JSON ([`dialect::Dialect`]);
//!   [`node`]: the token types twilio-node shapes its own way.
//! - `strict` (private): strict JSON input, the one reader of every token's header and claims.

pub mod access_token;
pub mod algorithm;
pub mod client;
pub mod client_validation;
pub mod dangerous;
pub mod dialect;
mod error;
pub mod explain;
mod header;
pub mod identity;
pub mod jwk;
pub mod jws;
pub mod jwt;
pub mod key;
pub mod node;
pub mod region;
pub mod sid;
pub mod spec;
mod strict;
pub mod taskrouter;

pub use access_token::{AccessClaims, AccessToken, grants};
pub use algorithm::Algorithm;
pub use client::ClientCapabilityToken;
pub use client_validation::ClientValidationJwt;
pub use error::{Error, ErrorKind, Result};
pub use jws::{Claims, Header, TokenData, Validation, decode};
pub use jwt::{Jwt, Nbf};
pub use key::{DecodingKey, EncodingKey, KeySource};
pub use taskrouter::TaskRouterCapabilityToken;

/// The system clock in whole Unix seconds, as the reference's `int(time.time())`.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
