//! The grants an [`AccessToken`](super::AccessToken) carries, one per Twilio product.
//!
//! Each grant writes only the fields that are set and non-empty, as the reference tests each
//! field's truth.

use serde::Deserialize;
use serde_json::Value;

use crate::json::JsonWriter;

/// Access to Programmable Video, optionally to one room.
///
/// ```
/// use twilio_token::grants::VideoGrant;
/// let any_room = VideoGrant::default();
/// let one_room = VideoGrant::room("My Room");
/// # let _ = (any_room, one_room);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoGrant {
    /// A room name or SID.
    pub room: Option<String>,
}

impl VideoGrant {
    /// A grant for one room.
    pub fn room(room: impl Into<String>) -> Self {
        VideoGrant {
            room: Some(room.into()),
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
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatGrant {
    /// The Chat or Conversations service SID (`IS...`).
    pub service_sid: Option<String>,
    /// A unique id of the device or endpoint.
    pub endpoint_id: Option<String>,
    /// The deployment role SID.
    pub deployment_role_sid: Option<String>,
    /// The push credential SID (`CR...`).
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
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncGrant {
    /// The Sync service SID (`IS...`).
    pub service_sid: Option<String>,
    /// A unique id of the device or endpoint.
    pub endpoint_id: Option<String>,
}

/// Access to TaskRouter.
///
/// ```
/// use twilio_token::grants::TaskRouterGrant;
/// let grant = TaskRouterGrant { workspace_sid: Some("WSxxxxx".into()), role: Some("worker".into()), ..Default::default() };
/// # let _ = grant;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskRouterGrant {
    /// The workspace SID (`WS...`).
    pub workspace_sid: Option<String>,
    /// The worker SID (`WK...`).
    pub worker_sid: Option<String>,
    /// The worker's role.
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
    Video(VideoGrant),
    /// See [`ChatGrant`].
    Chat(ChatGrant),
    /// See [`VoiceGrant`].
    Voice(VoiceGrant),
    /// See [`SyncGrant`].
    Sync(SyncGrant),
    /// See [`TaskRouterGrant`].
    TaskRouter(TaskRouterGrant),
    /// See [`PlaybackGrant`].
    Playback(PlaybackGrant),
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
}

impl Grant {
    /// Writes the grant's value as the reference's `to_payload` builds it.
    pub(crate) fn write(&self, w: &mut JsonWriter) {
        if let Grant::Playback(g) = self {
            // Passed through as is, `null` included.
            return w.value(&g.grant);
        }
        w.open();
        match self {
            Grant::Video(g) => field(w, "room", &g.room),
            Grant::Chat(g) => {
                field(w, "service_sid", &g.service_sid);
                field(w, "endpoint_id", &g.endpoint_id);
                field(w, "deployment_role_sid", &g.deployment_role_sid);
                field(w, "push_credential_sid", &g.push_credential_sid);
            }
            Grant::Voice(g) => {
                if g.incoming_allow == Some(true) {
                    w.key("incoming");
                    w.open();
                    w.key("allow");
                    w.bool(true);
                    w.close();
                }
                if let Some(sid) = present(&g.outgoing_application_sid) {
                    w.key("outgoing");
                    w.open();
                    w.key("application_sid");
                    w.str(sid);
                    if let Some(params) = g
                        .outgoing_application_params
                        .as_ref()
                        .filter(|p| python_truthy(p))
                    {
                        w.key("params");
                        w.value(params);
                    }
                    w.close();
                }
                field(w, "push_credential_sid", &g.push_credential_sid);
                field(w, "endpoint_id", &g.endpoint_id);
            }
            Grant::Sync(g) => {
                field(w, "service_sid", &g.service_sid);
                field(w, "endpoint_id", &g.endpoint_id);
            }
            Grant::TaskRouter(g) => {
                field(w, "workspace_sid", &g.workspace_sid);
                field(w, "worker_sid", &g.worker_sid);
                field(w, "role", &g.role);
            }
            Grant::Playback(_) => unreachable!("written above"),
        }
        w.close();
    }
}

/// A string field, written only when set and non-empty (the reference tests its truth).
#[inline(always)]
fn field(w: &mut JsonWriter, name: &'static str, value: &Option<String>) {
    if let Some(value) = present(value) {
        w.key(name);
        w.str(value);
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

fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
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
}
