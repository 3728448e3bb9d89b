//! Reading an access token back: its claims as typed values, grants included.

use serde::{Deserialize, Deserializer};

use super::grants::{Grant, GrantsClaim, LegacyGrant};
use crate::error::Result;
use crate::jws::{self, TokenData, Validation};
use crate::key::KeySource;

/// The claims of an access token: who it is for, what it grants and when it is valid.
///
/// ```
/// use twilio_token::{access_token, AccessToken, DecodingKey, Validation, grants::{Grant, VideoGrant}};
/// let token = AccessToken::new("AC123", "SK123", "secret")
///     .identity("alice")
///     .grant(VideoGrant::room("My Room"))
///     .to_jwt_at(1_700_000_000)?;
/// let key = DecodingKey::from_secret(b"secret");
/// let claims = access_token::decode(&token, &key, &Validation::default().at(1_700_000_001))?.claims;
/// assert_eq!(claims.identity.as_deref(), Some("alice"));
/// assert_eq!(claims.grants, [Grant::Video(VideoGrant::room("My Room"))]);
/// assert_eq!((claims.iss.as_str(), claims.sub.as_str(), claims.exp), ("SK123", "AC123", 1_700_003_600));
/// # Ok::<(), twilio_token::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct AccessClaims {
    /// `jti`: `{api key SID}-{minting time}`.
    pub jti: String,
    /// `iss`: the API key SID that signed the token.
    pub iss: String,
    /// `sub`: the account SID (empty when the token has none).
    pub sub: String,
    /// `exp`.
    pub exp: i64,
    /// `nbf`, when the token has one.
    pub nbf: Option<i64>,
    /// `grants.identity`.
    pub identity: Option<String>,
    /// The grants, in the token's order.
    pub grants: Vec<Grant>,
    /// The grants under legacy names (`ip_messaging`, `rtc`), in the token's order. They are
    /// never minted: a token built from these claims leaves them out unless the caller turns
    /// them into current grants (an `ip_messaging` grant is a [`ChatGrant`](crate::grants::ChatGrant)).
    pub legacy: Vec<LegacyGrant>,
}

/// Verifies an access token and reads its claims, checking what [`decode`](crate::decode)
/// checks. A token whose grants are not the six kinds twilio-python writes or the two
/// [legacy](LegacyGrant) ones, or whose claims have the wrong types, is refused with
/// [`ErrorKind::InvalidClaim`](crate::ErrorKind).
///
/// See [`AccessClaims`] for an example.
pub fn decode(
    token: &str,
    key: &impl KeySource,
    validation: &Validation,
) -> Result<TokenData<AccessClaims>> {
    jws::decode(token, key, validation)
}

impl<'de> Deserialize<'de> for AccessClaims {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        /// The claims in the token's layout; the grants claim is the one minting writes.
        #[derive(Deserialize)]
        struct Layout {
            jti: String,
            grants: GrantsClaim<'static>,
            iss: String,
            exp: i64,
            nbf: Option<i64>,
            #[serde(default)]
            sub: String,
        }
        let c = Layout::deserialize(d)?;
        Ok(AccessClaims {
            jti: c.jti,
            iss: c.iss,
            sub: c.sub,
            exp: c.exp,
            nbf: c.nbf,
            identity: c.grants.identity.map(|i| i.into_owned()),
            grants: c.grants.grants.into_owned(),
            legacy: c.grants.legacy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access_token::AccessToken;
    use crate::grants::{ChatGrant, VideoGrant, VoiceGrant};
    use crate::{DecodingKey, ErrorKind};
    use proptest::prelude::*;

    fn payload(token: &str) -> Vec<u8> {
        let segment = token.split('.').nth(1).unwrap();
        base64_simd::URL_SAFE_NO_PAD.decode_to_vec(segment).unwrap()
    }

    #[test]
    fn claims_of_the_wrong_shape_are_refused_with_a_reason() {
        let key = DecodingKey::from_secret(b"secret");
        let validation = Validation::default().validate_exp(false);
        for (json, kind) in [
            (
                r#"{"jti":"a","grants":{},"iss":"b","exp":1,"exp":2}"#,
                ErrorKind::Malformed("payload names a claim twice"),
            ),
            (
                r#"{"jti":"a","grants":{"sip":{}},"iss":"b","exp":1}"#,
                ErrorKind::InvalidClaim("claims do not have the expected shape"),
            ),
            (
                r#"{"jti":"a","grants":{"rtc":{"room":"r"}},"iss":"b","exp":1}"#,
                ErrorKind::InvalidClaim("claims do not have the expected shape"),
            ),
            (
                r#"{"jti":"a","grants":{"voice":{"incoming":{}}},"iss":"b","exp":1}"#,
                ErrorKind::InvalidClaim("claims do not have the expected shape"),
            ),
            (
                r#"{"jti":"a","grants":{},"iss":"b","exp":1.5}"#,
                ErrorKind::InvalidClaim("claims do not have the expected shape"),
            ),
            (
                r#"{"jti":"a","grants":{},"iss":"b","exp":"1"}"#,
                ErrorKind::InvalidClaim("claims do not have the expected shape"),
            ),
            (
                r#"{"grants":{},"iss":"b","exp":1}"#,
                ErrorKind::InvalidClaim("claims do not have the expected shape"),
            ),
        ] {
            let token = crate::Jwt::new("x")
                .encode_at(&crate::EncodingKey::from_secret(b"secret"), 0)
                .unwrap();
            let token = resign(&token, json);
            assert_eq!(
                decode(&token, &key, &validation).unwrap_err().kind(),
                &kind,
                "{json}"
            );
        }
    }

    /// An access token carrying `grants`, signed by hand with the `Jwt` base: the reference
    /// cannot mint legacy grants, so no builder here can either.
    fn hand_signed(grants: serde_json::Value) -> String {
        crate::Jwt::new("SK1")
            .subject("AC1")
            .header("cty", "twilio-fpa;v=1")
            .claim("jti", "SK1-1700000000")
            .claim("grants", grants)
            .encode_at(&crate::EncodingKey::from_secret(b"secret"), 1_700_000_000)
            .unwrap()
    }

    #[test]
    fn legacy_grants_are_read_apart_from_the_grants() {
        use crate::grants::{LegacyGrant, RtcGrant};
        let token = hand_signed(serde_json::json!({
            "ip_messaging": {"service_sid": "IS1", "endpoint_id": "e", "deployment_role_sid": "RL1",
                "push_credential_sid": "CR1"},
            "video": {"room": "r"},
            "rtc": {"configuration_profile_sid": "VS1"},
            "identity": "alice",
        }));
        let key = DecodingKey::from_secret(b"secret");
        let claims = decode(&token, &key, &Validation::default().at(1_700_000_001))
            .unwrap()
            .claims;
        assert_eq!(claims.grants, [Grant::Video(VideoGrant::room("r"))]);
        assert_eq!(
            claims.legacy,
            [
                LegacyGrant::IpMessaging(ChatGrant {
                    service_sid: Some("IS1".into()),
                    endpoint_id: Some("e".into()),
                    deployment_role_sid: Some("RL1".into()),
                    push_credential_sid: Some("CR1".into()),
                }),
                LegacyGrant::Rtc(RtcGrant {
                    configuration_profile_sid: Some("VS1".into())
                }),
            ]
        );
        assert_eq!(claims.identity.as_deref(), Some("alice"));

        // Minting from what was read writes the current grants only.
        let mut again = AccessToken::new(claims.sub.as_str(), claims.iss.as_str(), "secret");
        for grant in claims.grants {
            again.add_grant(grant);
        }
        let json = String::from_utf8(payload(&again.to_jwt_at(1_700_000_000).unwrap())).unwrap();
        assert!(
            json.contains(r#""grants":{"video":{"room":"r"}}"#),
            "{json}"
        );
        assert!(
            !json.contains("ip_messaging") && !json.contains("rtc"),
            "{json}"
        );

        // Empty legacy grants read too; their fields are checked as strictly as any grant's.
        let empty = hand_signed(serde_json::json!({"ip_messaging": {}, "rtc": {}}));
        let claims = decode(&empty, &key, &Validation::default().at(1_700_000_001))
            .unwrap()
            .claims;
        assert_eq!(claims.legacy.len(), 2);
        assert!(claims.grants.is_empty());
        let typo = hand_signed(serde_json::json!({"ip_messaging": {"service": "IS1"}}));
        assert!(decode(&typo, &key, &Validation::default().at(1_700_000_001)).is_err());
    }

    /// `token` with its payload replaced by `json`, signed again with `secret`.
    fn resign(token: &str, json: &str) -> String {
        let header = token.split('.').next().unwrap();
        let input = format!(
            "{header}.{}",
            base64_simd::URL_SAFE_NO_PAD.encode_to_string(json)
        );
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"secret");
        let tag = ring::hmac::sign(&key, input.as_bytes());
        format!(
            "{input}.{}",
            base64_simd::URL_SAFE_NO_PAD.encode_to_string(tag.as_ref())
        )
    }

    proptest! {
        /// Any access token reads back as the grants it was minted with, however its strings
        /// are escaped, and reads the same with whitespace around its members.
        #[test]
        fn minted_tokens_read_back(
            identity in "\\PC{0,12}",
            room in proptest::option::of("\\PC{1,12}"),
            chat in proptest::option::of(("[a-zA-Z0-9\"\\\\]{1,12}", "\\PC{1,8}")),
            incoming in any::<bool>(),
            nbf in any::<bool>(),

        ) {
            let mut token = AccessToken::new("AC1", "SK1", "secret").identity(identity.as_str());
            if !nbf {
                token = token.nbf(crate::Nbf::Omit);
            }
            if let Some(room) = &room {
                token = token.grant(VideoGrant::room(room.as_str()));
            }
            if let Some((service, endpoint)) = &chat {
                token = token.grant(ChatGrant { service_sid: Some(service.clone()), endpoint_id: Some(endpoint.clone()), ..Default::default() });
            }
            token = token.grant(VoiceGrant { incoming_allow: Some(incoming), ..Default::default() });
            let jwt = token.to_jwt_at(1_700_000_000).unwrap();
            let claims = decode(&jwt, &DecodingKey::from_secret(b"secret"), &Validation::default().at(1_700_000_001)).unwrap().claims;
            prop_assert_eq!(claims.identity, Some(identity).filter(|i| !i.is_empty()));
            prop_assert_eq!(claims.nbf, nbf.then_some(1_700_000_000));
            let voice = Grant::Voice(VoiceGrant { incoming_allow: incoming.then_some(true), ..Default::default() });
            prop_assert_eq!(claims.grants.last(), Some(&voice));
            prop_assert_eq!(claims.grants.len(), 1 + usize::from(room.is_some()) + usize::from(chat.is_some()));

            // The same claims, with whitespace where JSON allows it.
            let json = String::from_utf8(payload(&jwt)).unwrap();
            let spaced = resign(&jwt, &format!("{{ {} }}", &json[1..json.len() - 1]));
            let at = Validation::default().at(1_700_000_001);
            let key = DecodingKey::from_secret(b"secret");
            prop_assert_eq!(decode(&spaced, &key, &at).unwrap().claims, decode(&jwt, &key, &at).unwrap().claims);
        }
    }
}
