//! Reading an access token back: its claims as typed values, grants included.
//!
//! Tokens as twilio-python and this crate write them (compact JSON, no escapes, integer times,
//! the known members once each) are read by a direct scanner; anything else, valid or not,
//! goes through the strict parser, which gives the same claims or the precise error.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::grants::{
    ChatGrant, Grant, PlaybackGrant, SyncGrant, TaskRouterGrant, VideoGrant, VoiceGrant,
};
use crate::error::Result;
use crate::json::plain_prefix;
use crate::jws::{self, TokenData, Validation};
use crate::key::KeySource;
use crate::strict::{self, Claim, Times};

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
}

/// Verifies an access token and reads its claims, checking what [`decode`](crate::decode)
/// checks. A token whose grants are not the six kinds twilio-python writes, or whose claims
/// have the wrong types, is refused with [`ErrorKind::InvalidClaim`](crate::ErrorKind).
///
/// See [`AccessClaims`] for an example.
pub fn decode(
    token: &str,
    key: &impl KeySource,
    validation: &Validation,
) -> Result<TokenData<AccessClaims>> {
    jws::decode_with(token, key, validation, |payload| match scan(payload) {
        Some(claims) => Ok(claims),
        None => slow(payload),
    })
}

/// The strict checks, then serde_json, which keeps every digit of an integer in `params` or a
/// playback grant as the reference does (the strict parser reads those as doubles).
fn slow(payload: &[u8]) -> Result<(AccessClaims, Times), strict::Error> {
    let times = strict::scan_object(payload)?;
    let Wire(claims) =
        serde_json::from_slice(payload).map_err(|e| strict::Error::Shape(e.to_string()))?;
    Ok((claims, times))
}

/// The direct reader: `None` for anything it does not read, which the strict parser then does.
fn scan(payload: &[u8]) -> Option<(AccessClaims, Times)> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut s = Scanner { text, pos: 0 };
    let mut claims = AccessClaims::default();
    let mut seen = Seen::default();
    let mut exp = None;
    s.object(|s, name| {
        match name {
            "jti" => claims.jti = seen.once(0, s.string())?.to_owned(),
            "iss" => claims.iss = seen.once(1, s.string())?.to_owned(),
            "sub" => claims.sub = seen.once(2, s.string())?.to_owned(),
            "exp" => exp = Some(seen.once(3, s.int())?),
            "nbf" => claims.nbf = Some(seen.once(4, s.int())?),
            "grants" => {
                seen.once(5, Some(()))?;
                s.grants(&mut claims)?;
            }
            _ => return None,
        }
        Some(())
    })?;
    (s.pos == payload.len() && seen.has(0) && seen.has(1) && seen.has(5)).then_some(())?;
    claims.exp = exp?;
    let times = Times {
        exp: Claim::Number(claims.exp as f64),
        nbf: claims
            .nbf
            .map_or(Claim::Absent, |nbf| Claim::Number(nbf as f64)),
        iat: Claim::Absent,
    };
    Some((claims, times))
}

/// Which members of one object have been read, so that a second one falls back.
#[derive(Default)]
struct Seen(u32);

impl Seen {
    fn once<T>(&mut self, bit: u32, value: Option<T>) -> Option<T> {
        if self.has(bit) {
            return None;
        }
        self.0 |= 1 << bit;
        value
    }

    fn has(&self, bit: u32) -> bool {
        self.0 & (1 << bit) != 0
    }
}

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn byte(&mut self, byte: u8) -> Option<()> {
        (self.text.as_bytes().get(self.pos) == Some(&byte)).then(|| self.pos += 1)
    }

    /// A string without escapes or control characters.
    fn string(&mut self) -> Option<&'a str> {
        self.byte(b'"')?;
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let len = plain_prefix(&bytes[start..], false);
        if bytes.get(start + len) != Some(&b'"') {
            return None; // an escape, a control character or the end
        }
        self.pos = start + len + 1;
        // Quotes are ASCII, so these are character boundaries.
        Some(&self.text[start..start + len])
    }

    /// An integer of at most 15 digits (exact as a double too), not followed by a fraction or
    /// an exponent.
    fn int(&mut self) -> Option<i64> {
        let bytes = &self.text.as_bytes()[self.pos..];
        let negative = bytes.first() == Some(&b'-');
        let first = usize::from(negative);
        let mut end = first;
        let mut value = 0i64;
        while let Some(digit) = bytes.get(end).filter(|b| b.is_ascii_digit()) {
            value = value * 10 + i64::from(digit - b'0');
            end += 1;
            if end - first > 15 {
                return None;
            }
        }
        let len = end - first;
        if len == 0 || (len > 1 && bytes[first] == b'0') {
            return None;
        }
        if matches!(bytes.get(end), Some(b'.' | b'e' | b'E')) || (negative && value == 0) {
            return None; // a double, or `-0`, which serde_json reads as one
        }
        self.pos += end;
        Some(if negative { -value } else { value })
    }

    fn boolean(&mut self) -> Option<bool> {
        let rest = &self.text.as_bytes()[self.pos..];
        let (value, len) = if rest.starts_with(b"true") {
            (true, 4)
        } else if rest.starts_with(b"false") {
            (false, 5)
        } else {
            return None;
        };
        self.pos += len;
        Some(value)
    }

    /// `{"name":value,...}`, each value read by `member`.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.byte(b'{')?;
        if self.byte(b'}').is_some() {
            return Some(());
        }
        loop {
            let name = self.string()?;
            self.byte(b':')?;
            member(self, name)?;
            if self.byte(b',').is_none() {
                return self.byte(b'}');
            }
        }
    }

    /// An object of string members named in `names`, each at most once; their values in
    /// the order of `names`.
    fn strings<const N: usize>(&mut self, names: [&str; N]) -> Option<[Option<String>; N]> {
        let mut values = [const { None }; N];
        self.object(|s, name| {
            let slot = &mut values[names.iter().position(|n| *n == name)?];
            if slot.is_some() {
                return None;
            }
            *slot = Some(s.string()?.to_owned());
            Some(())
        })?;
        Some(values)
    }

    fn grants(&mut self, claims: &mut AccessClaims) -> Option<()> {
        let mut seen = Seen::default();
        self.object(|s, name| {
            let grant = match name {
                "identity" => {
                    claims.identity = Some(seen.once(0, s.string())?.to_owned());
                    return Some(());
                }
                "video" => {
                    seen.once(1, Some(()))?;
                    let [room] = s.strings(["room"])?;
                    Grant::Video(VideoGrant { room })
                }
                "chat" => {
                    seen.once(2, Some(()))?;
                    let [
                        service_sid,
                        endpoint_id,
                        deployment_role_sid,
                        push_credential_sid,
                    ] = s.strings([
                        "service_sid",
                        "endpoint_id",
                        "deployment_role_sid",
                        "push_credential_sid",
                    ])?;
                    Grant::Chat(ChatGrant {
                        service_sid,
                        endpoint_id,
                        deployment_role_sid,
                        push_credential_sid,
                    })
                }
                "data_sync" => {
                    seen.once(3, Some(()))?;
                    let [service_sid, endpoint_id] = s.strings(["service_sid", "endpoint_id"])?;
                    Grant::Sync(SyncGrant {
                        service_sid,
                        endpoint_id,
                    })
                }
                "task_router" => {
                    seen.once(4, Some(()))?;
                    let [workspace_sid, worker_sid, role] =
                        s.strings(["workspace_sid", "worker_sid", "role"])?;
                    Grant::TaskRouter(TaskRouterGrant {
                        workspace_sid,
                        worker_sid,
                        role,
                    })
                }
                "voice" => {
                    seen.once(5, Some(()))?;
                    Grant::Voice(s.voice()?)
                }
                // Playback grants are any JSON: the strict parser reads them.
                _ => return None,
            };
            claims.grants.push(grant);
            Some(())
        })
    }

    fn voice(&mut self) -> Option<VoiceGrant> {
        let mut g = VoiceGrant::default();
        let mut seen = Seen::default();
        self.object(|s, name| {
            match name {
                "incoming" => {
                    seen.once(0, Some(()))?;
                    s.object(|s, name| {
                        (name == "allow" && g.incoming_allow.is_none()).then_some(())?;
                        g.incoming_allow = Some(s.boolean()?);
                        Some(())
                    })?;
                    // `allow` is required, as the strict parser has it.
                    g.incoming_allow?;
                }
                "outgoing" => {
                    seen.once(1, Some(()))?;
                    // Parameters are any JSON: the strict parser reads them.
                    [g.outgoing_application_sid] = s.strings(["application_sid"])?;
                }
                "push_credential_sid" => {
                    g.push_credential_sid = Some(seen.once(2, s.string())?.to_owned())
                }
                "endpoint_id" => g.endpoint_id = Some(seen.once(3, s.string())?.to_owned()),
                _ => return None,
            }
            Some(())
        })?;
        Some(g)
    }
}

/// The claims as the token's JSON shapes them.
struct Wire(AccessClaims);

impl<'de> Deserialize<'de> for Wire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Claims {
            jti: String,
            grants: Grants,
            iss: String,
            exp: i64,
            nbf: Option<i64>,
            #[serde(default)]
            sub: String,
        }
        let c = Claims::deserialize(d)?;
        Ok(Wire(AccessClaims {
            jti: c.jti,
            iss: c.iss,
            sub: c.sub,
            exp: c.exp,
            nbf: c.nbf,
            identity: c.grants.identity,
            grants: c.grants.grants,
        }))
    }
}

/// The `grants` claim: the identity and the grants in the token's order.
struct Grants {
    identity: Option<String>,
    grants: Vec<Grant>,
}

impl<'de> Deserialize<'de> for Grants {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(GrantsVisitor)
    }
}

struct GrantsVisitor;

impl<'de> Visitor<'de> for GrantsVisitor {
    type Value = Grants;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object of grants")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Grants, A::Error> {
        let mut out = Grants {
            identity: None,
            grants: Vec::new(),
        };
        // The strict parser has refused names given twice.
        while let Some(name) = map.next_key::<String>()? {
            let grant = match name.as_str() {
                "identity" => {
                    out.identity = Some(map.next_value()?);
                    continue;
                }
                "video" => Grant::Video(map.next_value()?),
                "chat" => Grant::Chat(map.next_value()?),
                "data_sync" => Grant::Sync(map.next_value()?),
                "task_router" => Grant::TaskRouter(map.next_value()?),
                "player" => Grant::Playback(PlaybackGrant {
                    grant: Some(map.next_value::<Value>()?).filter(|v| !v.is_null()),
                }),
                "voice" => Grant::Voice(map.next_value::<WireVoice>()?.into()),
                other => return Err(de::Error::unknown_field(other, &Grant::KEYS)),
            };
            out.grants.push(grant);
        }
        Ok(out)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireVoice {
    incoming: Option<WireIncoming>,
    outgoing: Option<WireOutgoing>,
    push_credential_sid: Option<String>,
    endpoint_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireIncoming {
    allow: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireOutgoing {
    application_sid: Option<String>,
    params: Option<Value>,
}

impl From<WireVoice> for VoiceGrant {
    fn from(w: WireVoice) -> Self {
        let (outgoing_application_sid, outgoing_application_params) = w
            .outgoing
            .map_or((None, None), |o| (o.application_sid, o.params));
        VoiceGrant {
            incoming_allow: w.incoming.map(|i| i.allow),
            outgoing_application_sid,
            outgoing_application_params,
            push_credential_sid: w.push_credential_sid,
            endpoint_id: w.endpoint_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access_token::AccessToken;
    use crate::grants::ChatGrant;
    use crate::{DecodingKey, ErrorKind};
    use proptest::prelude::*;

    /// Whatever the scanner reads, the strict parser reads the same way.
    fn agree(payload: &[u8]) -> Option<(AccessClaims, Times)> {
        let fast = scan(payload);
        if let Some(fast) = &fast {
            assert_eq!(
                Ok(fast),
                slow(payload).as_ref(),
                "{}",
                String::from_utf8_lossy(payload)
            );
        }
        fast
    }

    fn payload(token: &str) -> Vec<u8> {
        let segment = token.split('.').nth(1).unwrap();
        base64_simd::URL_SAFE_NO_PAD.decode_to_vec(segment).unwrap()
    }

    #[test]
    fn the_scanner_reads_every_golden_token_the_strict_parser_reads() {
        let fixtures: Vec<Value> =
            serde_json::from_str(include_str!("../../tests/fixtures/golden.json")).unwrap();
        let mut scanned = 0;
        for case in fixtures.iter().filter(|c| c["spec"]["kind"] == "access") {
            let json = payload(case["token"].as_str().unwrap());
            let text = String::from_utf8_lossy(&json);
            assert!(slow(&json).is_ok(), "{text}");
            if agree(&json).is_some() {
                scanned += 1;
            } else {
                // Only what the scanner leaves to the parser by design.
                assert!(
                    ["params", "player", "\\"].iter().any(|s| text.contains(s)),
                    "{text}"
                );
            }
        }
        assert!(scanned >= 40, "the scanner read only {scanned}");
    }

    #[test]
    fn the_scanner_leaves_everything_unusual_to_the_strict_parser() {
        for json in [
            r#"{"jti":"a","grants":{},"iss":"b","exp":1,"exp":2}"#,
            r#"{"jti":"a","grants":{"video":{},"video":{}},"iss":"b","exp":1}"#,
            r#"{"jti":"a","grants":{"video":{"room":"r","room":"s"}},"iss":"b","exp":1}"#,
            r#"{"jti":"a","grants":{"voice":{"incoming":{}}},"iss":"b","exp":1}"#,
            r#"{"jti":"a","grants":{"voice":{"incoming":{"allow":1}}},"iss":"b","exp":1}"#,
            r#"{"jti":"a","grants":{"rtc":{}},"iss":"b","exp":1}"#,
            r#"{"jti":"a","grants":{},"iss":"b","exp":1.5}"#,
            r#"{"jti":"a","grants":{},"iss":"b","exp":1e3}"#,
            r#"{"jti":"a","grants":{},"iss":"b","exp":01}"#,
            r#"{"jti":"a","grants":{},"iss":"b","exp":-0}"#,
            r#"{"jti":"a","grants":{},"iss":"b","exp":"1"}"#,
            r#"{"jti":"a","grants":{},"iss":"b","exp":12345678901234567}"#,
            r#"{"jti":"a","grants":{},"iss":"b","exp":1,"iat":0}"#,
            r#"{"jti":"a","grants":{},"iss":"b","exp":1,"nbf":null}"#,
            r#"{"jti":"a\u0062","grants":{},"iss":"b","exp":1}"#,
            r#"{"jti":"a","grants":{},"iss":"b"}"#,
            r#"{"jti":"a","grants":{},"exp":1}"#,
            r#"{"jti":"a","iss":"b","exp":1}"#,
            r#"{"jti":"a","grants":{},"iss":"b","exp":1} "#,
            r#"{"jti":"a","grants":{},"iss":"b","exp":1,}"#,
            r#"{ "jti":"a","grants":{},"iss":"b","exp":1}"#,
            "{\"jti\":\"a\t\",\"grants\":{},\"iss\":\"b\",\"exp\":1}",
        ] {
            assert_eq!(agree(json.as_bytes()), None, "{json}");
        }
        let minimal = br#"{"jti":"a","grants":{},"iss":"b","exp":-7}"#;
        assert_eq!(agree(minimal).unwrap().0.exp, -7);
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
                r#"{"jti":"a","grants":{"rtc":{}},"iss":"b","exp":1}"#,
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
        /// are escaped, and the scanner and the strict parser agree on it and on any variant
        /// with a space put anywhere.
        #[test]
        fn minted_tokens_read_back(
            identity in "\\PC{0,12}",
            room in proptest::option::of("\\PC{1,12}"),
            chat in proptest::option::of(("[a-zA-Z0-9\"\\\\]{1,12}", "\\PC{1,8}")),
            incoming in any::<bool>(),
            nbf in any::<bool>(),
            space in any::<prop::sample::Index>(),
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

            let mut json = payload(&jwt);
            agree(&json);
            json.insert(space.index(json.len()), b' ');
            agree(&json);
        }
    }
}
