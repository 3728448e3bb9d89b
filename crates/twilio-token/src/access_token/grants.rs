//! The grants an [`AccessToken`](super::AccessToken) carries, one per Twilio product.
//!
//! Each grant is defined once: its struct's fields, with their serde attributes, are what a
//! token carries (written and read back) and what a `mint --spec` grant names. A field is
//! written only when it is set and non-empty, as the reference tests each field's truth. Voice
//! and playback grants are shaped differently in a token than in their constructors; each has
//! its token shape beside it ([`VoiceGrant`]'s `VoicePayload`), used both ways.
//!
//! Two older grant names are read but never written: [`LegacyGrant`] (`ip_messaging`, `rtc`).

use std::borrow::Cow;

use serde::de::{self, MapAccess};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// Access to Programmable Video, optionally to one room.
///
/// ```
/// use twilio_token::grants::VideoGrant;
/// let any_room = VideoGrant::default();
/// let one_room = VideoGrant::room("My Room");
/// # let _ = (any_room, one_room);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoGrant {
    /// A room name or SID.
    #[serde(skip_serializing_if = "blank")]
    pub room: Option<String>,
}

impl VideoGrant {
    /// A grant for one room.
    // The base stays, so that a field added to the grant needs no edit here.
    #[allow(clippy::needless_update)]
    pub fn room(room: impl Into<String>) -> Self {
        VideoGrant {
            room: Some(room.into()),
            ..VideoGrant::default()
        }
    }
}

/// Access to Conversations / Programmable Chat.
///
/// ```
/// use twilio_token::grants::ChatGrant;
/// let grant = ChatGrant {
///     service_sid: Some("ISxxxxx".into()),
///     endpoint_id: Some("alice-mobile".into()),
///     ..Default::default()
/// };
/// # let _ = grant;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatGrant {
    /// The Chat or Conversations service SID (`IS...`).
    #[serde(skip_serializing_if = "blank")]
    pub service_sid: Option<String>,
    /// A unique id of the device or endpoint.
    #[serde(skip_serializing_if = "blank")]
    pub endpoint_id: Option<String>,
    /// The deployment role SID.
    #[serde(skip_serializing_if = "blank")]
    pub deployment_role_sid: Option<String>,
    /// The push credential SID (`CR...`).
    #[serde(skip_serializing_if = "blank")]
    pub push_credential_sid: Option<String>,
}

/// Access to Programmable Voice.
///
/// ```
/// use twilio_token::grants::VoiceGrant;
/// let grant = VoiceGrant {
///     incoming_allow: Some(true),
///     outgoing_application_sid: Some("APxxxxx".into()),
///     outgoing_application_params: Some(serde_json::json!({"mode": "conference"})),
///     ..Default::default()
/// };
/// # let _ = grant;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceGrant {
    /// Allow incoming calls (only `Some(true)` is written, as in the reference).
    pub incoming_allow: Option<bool>,
    /// The TwiML application SID for outgoing calls (`AP...`).
    pub outgoing_application_sid: Option<String>,
    /// Parameters passed to the application, any JSON value, written as given.
    pub outgoing_application_params: Option<Value>,
    /// The push credential SID (`CR...`).
    pub push_credential_sid: Option<String>,
    /// A unique id of the device or endpoint.
    pub endpoint_id: Option<String>,
}

/// Access to Sync.
///
/// ```
/// use twilio_token::grants::SyncGrant;
/// let grant = SyncGrant { service_sid: Some("ISxxxxx".into()), endpoint_id: Some("user456-web".into()) };
/// # let _ = grant;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncGrant {
    /// The Sync service SID (`IS...`).
    #[serde(skip_serializing_if = "blank")]
    pub service_sid: Option<String>,
    /// A unique id of the device or endpoint.
    #[serde(skip_serializing_if = "blank")]
    pub endpoint_id: Option<String>,
}

/// Access to TaskRouter.
///
/// ```
/// use twilio_token::grants::TaskRouterGrant;
/// let grant = TaskRouterGrant { workspace_sid: Some("WSxxxxx".into()), role: Some("worker".into()), ..Default::default() };
/// # let _ = grant;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskRouterGrant {
    /// The workspace SID (`WS...`).
    #[serde(skip_serializing_if = "blank")]
    pub workspace_sid: Option<String>,
    /// The worker SID (`WK...`).
    #[serde(skip_serializing_if = "blank")]
    pub worker_sid: Option<String>,
    /// The worker's role.
    #[serde(skip_serializing_if = "blank")]
    pub role: Option<String>,
}

/// Access to a Twilio Live stream: the grant object Twilio's API returned, passed through as is.
///
/// ```
/// use twilio_token::grants::PlaybackGrant;
/// let grant = PlaybackGrant { grant: Some(serde_json::json!({"requestCredentials": null, "playbackUrl": "https://..."})) };
/// # let _ = grant;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybackGrant {
    /// The raw grant; `None` is written as `null`, as the reference does.
    pub grant: Option<Value>,
}

impl Serialize for VoiceGrant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        VoicePayload::from(self).serialize(s)
    }
}

/// A voice grant as a token carries it: `incoming.allow` only when true, `outgoing` only with
/// an application SID, its `params` only when truthy.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VoicePayload<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    incoming: Option<Incoming>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outgoing: Option<Outgoing<'a>>,
    #[serde(skip_serializing_if = "blank")]
    push_credential_sid: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "blank")]
    endpoint_id: Option<Cow<'a, str>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Incoming {
    allow: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Outgoing<'a> {
    application_sid: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<Cow<'a, Value>>,
}

impl<'a> From<&'a VoiceGrant> for VoicePayload<'a> {
    fn from(g: &'a VoiceGrant) -> Self {
        let borrow = |s: &'a Option<String>| s.as_deref().map(Cow::Borrowed);
        VoicePayload {
            incoming: (g.incoming_allow == Some(true)).then_some(Incoming { allow: true }),
            outgoing: g
                .outgoing_application_sid
                .as_deref()
                .filter(|sid| !sid.is_empty())
                .map(|sid| Outgoing {
                    application_sid: Some(Cow::Borrowed(sid)),
                    params: g
                        .outgoing_application_params
                        .as_ref()
                        .filter(|p| python_truthy(p))
                        .map(Cow::Borrowed),
                }),
            push_credential_sid: borrow(&g.push_credential_sid),
            endpoint_id: borrow(&g.endpoint_id),
        }
    }
}

impl From<VoicePayload<'_>> for VoiceGrant {
    fn from(w: VoicePayload<'_>) -> Self {
        let (sid, params) = w
            .outgoing
            .map_or((None, None), |o| (o.application_sid, o.params));
        VoiceGrant {
            incoming_allow: w.incoming.map(|i| i.allow),
            outgoing_application_sid: sid.map(Cow::into_owned),
            outgoing_application_params: params.map(Cow::into_owned),
            push_credential_sid: w.push_credential_sid.map(Cow::into_owned),
            endpoint_id: w.endpoint_id.map(Cow::into_owned),
        }
    }
}

impl Serialize for PlaybackGrant {
    /// The grant as is, `null` included.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.grant.serialize(s)
    }
}

/// Any grant. Every grant type converts into it with `into()`.
///
/// As JSON (a `mint --spec` grant) it is a one-key object naming the kind, its value the
/// grant's fields: `{"video": {"room": "r"}}`, `{"task_router": {"role": "worker"}}`,
/// `{"playback": {"grant": {...}}}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Grant {
    /// See [`VideoGrant`].
    #[serde(deserialize_with = "one_kind")]
    Video(VideoGrant),
    /// See [`ChatGrant`].
    #[serde(deserialize_with = "one_kind")]
    Chat(ChatGrant),
    /// See [`VoiceGrant`].
    #[serde(deserialize_with = "one_kind")]
    Voice(VoiceGrant),
    /// See [`SyncGrant`].
    #[serde(deserialize_with = "one_kind")]
    Sync(SyncGrant),
    /// See [`TaskRouterGrant`].
    #[serde(deserialize_with = "one_kind")]
    TaskRouter(TaskRouterGrant),
    /// See [`PlaybackGrant`].
    #[serde(deserialize_with = "one_kind")]
    Playback(PlaybackGrant),
}

/// Reads one kind's fields, never inlined into [`Grant`]'s reading of all six: a WebAssembly
/// runtime compiles a function when it is first called, so a grant compiles the reader of
/// its own kind alone.
#[inline(never)]
fn one_kind<'de, D: serde::Deserializer<'de>, G: Deserialize<'de>>(d: D) -> Result<G, D::Error> {
    G::deserialize(d)
}

impl Grant {
    /// The keys of the six kinds in a token's `grants` claim, in the order of this enum.
    pub const KEYS: [&'static str; 6] = [
        "video",
        "chat",
        "voice",
        "data_sync",
        "task_router",
        "player",
    ];

    /// The key of this grant in the token's `grants` claim.
    pub fn key(&self) -> &'static str {
        match self {
            Grant::Video(_) => "video",
            Grant::Chat(_) => "chat",
            Grant::Voice(_) => "voice",
            Grant::Sync(_) => "data_sync",
            Grant::TaskRouter(_) => "task_router",
            Grant::Playback(_) => "player",
        }
    }

    /// Reads the grant a token carries under `key`, the map's next value.
    fn next_from<'de, A: MapAccess<'de>>(key: &str, map: &mut A) -> Result<Grant, A::Error> {
        Ok(match key {
            "video" => Grant::Video(map.next_value()?),
            "chat" => Grant::Chat(map.next_value()?),
            "voice" => Grant::Voice(map.next_value::<VoicePayload>()?.into()),
            "data_sync" => Grant::Sync(map.next_value()?),
            "task_router" => Grant::TaskRouter(map.next_value()?),
            "player" => Grant::Playback(PlaybackGrant {
                grant: Some(map.next_value::<Value>()?).filter(|v| !v.is_null()),
            }),
            other => return Err(de::Error::unknown_field(other, &Grant::KEYS)),
        })
    }
}

/// A grant under a name that only older tokens carry: read when decoding, because twilio-go
/// and twilio-csharp still read these names, and never written, because twilio-python does
/// not write them (no [`Grant`] and no `mint --spec` grant is one). A decoded token keeps them
/// apart from its grants, in [`AccessClaims::legacy`](crate::AccessClaims::legacy).
///
/// ```
/// use twilio_token::grants::{LegacyGrant, RtcGrant};
/// let old = LegacyGrant::Rtc(RtcGrant { configuration_profile_sid: Some("VSxxxxx".into()) });
/// assert_eq!((old.key(), LegacyGrant::successor(old.key())), ("rtc", Some("video")));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LegacyGrant {
    /// `ip_messaging`: the Chat grant under its name from before Programmable Chat.
    IpMessaging(ChatGrant),
    /// `rtc`: the grant of Twilio Conversations, the beta that became Programmable Video.
    Rtc(RtcGrant),
}

/// The `rtc` grant of Twilio Conversations (the `ConversationsGrant` of the older libraries).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RtcGrant {
    /// The configuration profile SID (`VS...`).
    pub configuration_profile_sid: Option<String>,
}

impl LegacyGrant {
    /// Each legacy key, with the key of the grant that replaced it.
    pub const KEYS: [(&'static str, &'static str); 2] =
        [("ip_messaging", "chat"), ("rtc", "video")];

    /// The key of this grant in the token's `grants` claim.
    pub fn key(&self) -> &'static str {
        match self {
            LegacyGrant::IpMessaging(_) => "ip_messaging",
            LegacyGrant::Rtc(_) => "rtc",
        }
    }

    /// The key of the grant that replaced the legacy grant `key` (`chat` for `ip_messaging`),
    /// or `None` when `key` is not a legacy grant's.
    pub fn successor(key: &str) -> Option<&'static str> {
        LegacyGrant::KEYS
            .iter()
            .find(|(old, _)| *old == key)
            .map(|(_, new)| *new)
    }

    /// Reads the legacy grant a token carries under `key`, the map's next value.
    fn next_from<'de, A: MapAccess<'de>>(key: &str, map: &mut A) -> Result<Self, A::Error> {
        Ok(match key {
            "ip_messaging" => LegacyGrant::IpMessaging(map.next_value()?),
            "rtc" => LegacyGrant::Rtc(map.next_value()?),
            other => return Err(de::Error::unknown_field(other, &Grant::KEYS)),
        })
    }
}

/// A member of the `grants` claim: the identity, one of [`Grant::KEYS`] or a legacy key.
enum Member {
    Identity,
    Grant(&'static str),
    Legacy(&'static str),
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Member;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a grant's key or identity")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Member, E> {
                if key == "identity" {
                    return Ok(Member::Identity);
                }
                if let Some(k) = Grant::KEYS.iter().find(|k| **k == key) {
                    return Ok(Member::Grant(k));
                }
                match LegacyGrant::KEYS.iter().find(|(k, _)| *k == key) {
                    Some((k, _)) => Ok(Member::Legacy(k)),
                    None => Err(E::unknown_field(key, &Grant::KEYS)),
                }
            }
        }
        d.deserialize_identifier(Visitor)
    }
}

impl Serialize for Grant {
    /// The grant's value in a token's `grants` claim (its key is [`Grant::key`]).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Grant::Video(g) => g.serialize(s),
            Grant::Chat(g) => g.serialize(s),
            Grant::Voice(g) => g.serialize(s),
            Grant::Sync(g) => g.serialize(s),
            Grant::TaskRouter(g) => g.serialize(s),
            Grant::Playback(g) => g.serialize(s),
        }
    }
}

/// A token's `grants` claim: each grant under its key, in order, then the identity. Written
/// when minting and read when decoding; legacy grants are only read.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct GrantsClaim<'a> {
    pub grants: Cow<'a, [Grant]>,
    pub identity: Option<Cow<'a, str>>,
    pub legacy: Vec<LegacyGrant>,
}

impl Serialize for GrantsClaim<'_> {
    /// The grants and the identity; never `legacy`, which the reference does not write.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        for grant in self.grants.iter() {
            map.serialize_entry(grant.key(), grant)?;
        }
        if let Some(identity) = self.identity.as_deref().filter(|i| !i.is_empty()) {
            map.serialize_entry("identity", identity)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for GrantsClaim<'static> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = GrantsClaim<'static>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of grants")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut grants = Vec::new();
                let mut identity = None;
                let mut legacy = Vec::new();
                // The strict parser has refused names given twice.
                while let Some(key) = map.next_key::<Member>()? {
                    match key {
                        Member::Identity => identity = Some(Cow::Owned(map.next_value()?)),
                        Member::Grant(key) => grants.push(Grant::next_from(key, &mut map)?),
                        Member::Legacy(key) => legacy.push(LegacyGrant::next_from(key, &mut map)?),
                    }
                }
                Ok(GrantsClaim {
                    grants: grants.into(),
                    identity,
                    legacy,
                })
            }
        }
        d.deserialize_map(Visitor)
    }
}

macro_rules! into_grant {
    ($($ty:ident => $variant:ident),*) => {$(
        impl From<$ty> for Grant {
            fn from(g: $ty) -> Self {
                Grant::$variant(g)
            }
        }
    )*};
}
into_grant!(VideoGrant => Video, ChatGrant => Chat, VoiceGrant => Voice, SyncGrant => Sync,
    TaskRouterGrant => TaskRouter, PlaybackGrant => Playback);

/// Whether a string field is left out: unset or empty (the reference tests its truth).
fn blank<S: AsRef<str>>(value: &Option<S>) -> bool {
    value.as_ref().is_none_or(|s| s.as_ref().is_empty())
}

/// Python's truth value of a JSON value: null, false, 0, "", [] and {} are false.
pub(crate) fn python_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_are_each_kinds_key_in_order() {
        let one_of_each: [Grant; 6] = [
            VideoGrant::default().into(),
            ChatGrant::default().into(),
            VoiceGrant::default().into(),
            SyncGrant::default().into(),
            TaskRouterGrant::default().into(),
            PlaybackGrant::default().into(),
        ];
        assert_eq!(one_of_each.map(|g| g.key()), Grant::KEYS);
    }

    #[test]
    fn the_legacy_keys_are_each_kinds_key_and_name_a_current_grant() {
        let one_of_each = [
            LegacyGrant::IpMessaging(ChatGrant::default()),
            LegacyGrant::Rtc(RtcGrant::default()),
        ];
        assert_eq!(
            one_of_each.map(|g| g.key()),
            LegacyGrant::KEYS.map(|(k, _)| k)
        );
        for (old, new) in LegacyGrant::KEYS {
            assert!(!Grant::KEYS.contains(&old), "{old} is not mintable");
            assert!(Grant::KEYS.contains(&new), "{new} is a grant");
            assert_eq!(LegacyGrant::successor(old), Some(new));
        }
        assert_eq!(LegacyGrant::successor("chat"), None);
    }
}
