//! Several API keys of one account: during a rotation, tokens signed with the old key and the
//! new one are both valid, and the key that verifies a token is the one its `iss` names.

use serde::Deserialize;

use super::{DecodingKey, KeySource, sealed};
use crate::error::{ErrorKind, Result, err};
use crate::header::Header;
use crate::strict;

/// HMAC secrets by API key SID, for [`decode`](crate::decode): a token is verified by the key
/// its `iss` names, and only by that one.
///
/// ```
/// use twilio_token::{decode, AccessToken, Claims, Validation, key::ApiKeys};
/// let keys = ApiKeys::new().with("SKold", b"old secret").with("SKnew", b"new secret");
/// let token = AccessToken::new("AC1", "SKnew", "new secret").identity("alice").to_jwt()?;
/// assert!(decode::<Claims>(&token, &keys, &Validation::default()).is_ok());
/// let forged = AccessToken::new("AC1", "SKnew", "old secret").identity("alice").to_jwt()?;
/// assert!(decode::<Claims>(&forged, &keys, &Validation::default()).is_err());
/// # Ok::<(), twilio_token::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct ApiKeys {
    keys: Vec<(String, DecodingKey)>,
}

impl ApiKeys {
    /// No keys (every token is refused until one is added).
    pub fn new() -> Self {
        ApiKeys::default()
    }

    /// Adds the key `sid` with its secret; a second secret for one SID replaces the first.
    pub fn with(mut self, sid: impl Into<String>, secret: &[u8]) -> Self {
        let sid = sid.into();
        self.keys.retain(|(s, _)| *s != sid);
        self.keys.push((sid, DecodingKey::from_secret(secret)));
        self
    }

    /// The SIDs of the keys, in the order they were added.
    pub fn sids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(sid, _)| sid.as_str())
    }

    fn get(&self, sid: &str) -> Option<&DecodingKey> {
        self.keys.iter().find(|(s, _)| s == sid).map(|(_, k)| k)
    }
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeys")
            .field("sids", &self.sids().collect::<Vec<_>>())
            .finish()
    }
}

impl KeySource for ApiKeys {}

impl sealed::Verify for ApiKeys {
    fn check_usable(&self) -> Result<()> {
        match self.keys.is_empty() {
            true => err(ErrorKind::InvalidKey("the key set is empty")),
            false => self.keys.iter().try_for_each(|(_, k)| k.check_usable()),
        }
    }

    fn verify_signature(&self, header: &Header, message: &[u8], signature: &[u8]) -> Result<()> {
        // The payload is read before it is verified only to find `iss`, with the strict reader
        // that reads it again once it is verified.
        #[derive(Deserialize)]
        struct Issuer {
            iss: Option<String>,
        }
        let payload = message
            .iter()
            .position(|&b| b == b'.')
            .map(|dot| &message[dot + 1..])
            .ok_or(ErrorKind::Malformed("the token has no payload"))?;
        let payload = std::str::from_utf8(payload)
            .map_err(|_| ErrorKind::Malformed("segment is not canonical unpadded base64url"))?;
        let json = strict::base64url(payload)?;
        let issuer: Issuer = strict::value_from_slice(&json)
            .map_err(|_| ErrorKind::Malformed("the claims are not a JSON object"))?;
        match issuer.iss.as_deref().and_then(|iss| self.get(iss)) {
            Some(key) => key.verify_signature(header, message, signature),
            None => err(ErrorKind::UnknownKey),
        }
    }
}
