//! Access tokens: what a browser or mobile app hands to the Twilio SDKs.

mod claims;
pub mod grants;

pub use claims::{AccessClaims, decode};

use crate::algorithm::Algorithm;
use crate::error::{ErrorKind, Result, err};
use crate::json::JsonWriter;
use crate::jws;
use crate::jwt::{self, Body, Lifetime, Payload};
use crate::key::EncodingKey;
use std::borrow::Cow;

use grants::Grant;

/// The longest lifetime Twilio accepts for an access token (error 20157 beyond it).
pub const MAX_TTL: u32 = 86_400;

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
///
/// Its strings may be borrowed (`AccessToken<'a>`), so a server that mints a token per request
/// from its configuration and the user's name copies nothing.
#[derive(Debug, Clone)]
pub struct AccessToken<'a> {
    account_sid: Cow<'a, str>,
    signing_key_sid: Cow<'a, str>,
    key: EncodingKey,
    identity: Option<Cow<'a, str>>,
    region: Option<Cow<'a, str>>,
    life: Lifetime,
    /// One grant of each kind at most, in the order first added. On the heap (inline, they
    /// would make the builder a kilobyte copied at every step), or borrowed from the caller
    /// (see [`add_grants`](Self::add_grants)).
    grants: Cow<'a, [Grant]>,
}

impl<'a> AccessToken<'a> {
    /// A token for `account_sid`, signed with the API key `signing_key_sid` and its secret.
    pub fn new(
        account_sid: impl Into<Cow<'a, str>>,
        signing_key_sid: impl Into<Cow<'a, str>>,
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
        account_sid: impl Into<Cow<'a, str>>,
        signing_key_sid: impl Into<Cow<'a, str>>,
        key: EncodingKey,
    ) -> Self {
        AccessToken {
            account_sid: account_sid.into(),
            signing_key_sid: signing_key_sid.into(),
            key,
            identity: None,
            region: None,
            life: Lifetime::default(),
            grants: Cow::Borrowed(&[]),
        }
    }

    /// The user's identity (left out when empty).
    pub fn identity(mut self, identity: impl Into<Cow<'a, str>>) -> Self {
        self.identity = Some(identity.into());
        self
    }

    // ttl (at most MAX_TTL when minted), valid_until, nbf.
    jwt::lifetime_setters!();

    /// The Twilio region (`twr` header), e.g. `us1`; an empty region is left out.
    pub fn region(mut self, region: impl Into<Cow<'a, str>>) -> Self {
        self.region = Some(region.into());
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
        let grants = self.grants.to_mut();
        match grants.iter_mut().find(|g| g.key() == grant.key()) {
            Some(slot) => *slot = grant,
            None => grants.push(grant),
        }
        self
    }

    /// Adds each of `grants`, as [`add_grant`](Self::add_grant) does. A token without grants
    /// yet borrows them when no two are of one kind, so a server that mints every token from
    /// a configured template copies none.
    ///
    /// ```
    /// use twilio_token::{AccessToken, grants::{Grant, VideoGrant}};
    /// let template: Vec<Grant> = vec![VideoGrant::room("lobby").into()];
    /// let mut token = AccessToken::new("ACxxxxx", "SKxxxxx", "secret");
    /// token.add_grants(&template);
    /// assert_eq!(token.grants(), &template[..]);
    /// ```
    pub fn add_grants(&mut self, grants: &'a [Grant]) -> &mut Self {
        let distinct = |(i, g): (usize, &Grant)| grants[..i].iter().all(|h| h.key() != g.key());
        if self.grants.is_empty() && grants.iter().enumerate().all(distinct) {
            self.grants = Cow::Borrowed(grants);
        } else {
            for grant in grants {
                self.add_grant(grant.clone());
            }
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
        let mut token = String::new();
        self.append_jwt_at(now, &mut token)?;
        Ok(token)
    }

    /// Like [`to_jwt_at`](Self::to_jwt_at), appending the token to `out` (a response being
    /// written, say) instead of allocating it. On error `out` is left as it was.
    ///
    /// ```
    /// use twilio_token::AccessToken;
    /// let token = AccessToken::new("ACxxxxx", "SKxxxxx", "secret").identity("alice");
    /// let mut body = String::from(r#"{"token":""#);
    /// token.append_jwt_at(1_700_000_000, &mut body)?;
    /// body.push_str(r#""}"#);
    /// assert_eq!(body, format!(r#"{{"token":"{}"}}"#, token.to_jwt_at(1_700_000_000)?));
    /// # Ok::<(), twilio_token::Error>(())
    /// ```
    pub fn append_jwt_at(&self, now: i64, out: &mut String) -> Result<()> {
        let exp = self.life.exp(now);
        if exp - now > i64::from(MAX_TTL) {
            return err(ErrorKind::TtlTooLong { ttl: exp - now });
        }
        let body = AccessBody {
            key_sid: &self.signing_key_sid,
            now,
            grants: &self.grants,
            identity: self.identity.as_deref().filter(|i| !i.is_empty()),
        };
        let payload = Payload::new(
            body,
            &self.signing_key_sid,
            Some(&self.account_sid),
            &self.life,
            now,
        );
        let region = self.region.as_deref().filter(|r| !r.is_empty());
        match region {
            None => payload.sign_hs256_into(jws::ACCESS_HEADER_B64, &self.key, out),
            Some(region) => {
                let header =
                    jwt::header_json(Algorithm::HS256, &[("cty", CONTENT_TYPE), ("twr", region)]);
                let token = payload.with_json(|payload| {
                    jws::sign(&header, payload, Algorithm::HS256, &self.key)
                })?;
                out.push_str(&token);
                Ok(())
            }
        }
    }
}

struct AccessBody<'a> {
    key_sid: &'a str,
    now: i64,
    grants: &'a [Grant],
    identity: Option<&'a str>,
}

impl Body for AccessBody<'_> {
    fn write(&self, w: &mut JsonWriter) {
        w.key("jti");
        w.str_dash_int(self.key_sid, self.now);
        w.key("grants");
        w.open();
        for grant in self.grants {
            w.key(grant.key());
            grant.write(w);
        }
        if let Some(identity) = self.identity {
            w.key("identity");
            w.str(identity);
        }
        w.close();
    }
}
