//! Reading a token without verifying it. Nothing here checks a signature or a time: use it to
//! look at a token, never to trust one.

use crate::error::Result;
use crate::jws::{self, TokenData};

/// Decodes a token's header and claims without checking its signature, algorithm or times.
///
/// The format is still checked strictly (three segments, canonical base64url, JSON objects
/// without duplicate names, the length cap), so what it returns is what a verifier would see.
///
/// ```
/// use twilio_token::{AccessToken, dangerous};
/// let token = AccessToken::new("AC1", "SK1", "secret").identity("alice").to_jwt()?;
/// let data = dangerous::decode_unverified(&token)?;
/// assert_eq!(data.claims["grants"]["identity"], "alice");
/// # Ok::<(), twilio_token::Error>(())
/// ```
pub fn decode_unverified(token: &str) -> Result<TokenData> {
    let parts = jws::split(token, jws::DEFAULT_MAX_TOKEN_LEN)?;
    let header = jws::decode_header(parts.header)?;
    let claims = jws::decode_claims_unverified(parts.payload)?;
    Ok(TokenData { header, claims })
}
