//! Which grants a user's token carries: configuration, not code.
//!
//! A policy file maps each role to grant templates (the same grant JSON as `mint --spec`) and
//! to the video rooms a client may ask for by name:
//!
//! ```json
//! {"roles": {
//!   "user":    {"grants": [{"video": {"room": "My Room"}}], "rooms": ["lobby", "team-*"]},
//!   "support": {"grants": [{"voice": {"incoming_allow": true}}, {"chat": {"service_sid": "IS..."}}],
//!               "ttl": 900, "region": "ie1", "nbf": 60, "identity_template": "agent_{identity}"}}}
//! ```
//!
//! Per role, besides its grants: `rooms`; `ttl` (seconds, default 3600); `region` (the `twr`
//! of its tokens, overriding `TWILIO_REGION`); `nbf`: `"now"` (the default, the reference's),
//! `"omit"` (no `nbf`, the reference's `nbf=None`) or a number of seconds, at most 300, to
//! backdate it by, for clients whose clock runs behind (Twilio counts the backdate in the
//! token's life: ttl plus backdate at most 86400, error 20157 beyond); `identity_template`, whose
//! `{identity}` is the user's name or the exchanged identity; `room_type`, what the Video
//! app's request is answered (`group`, `group-small`, `peer-to-peer` or `go`; default
//! `group`). At the top level, `"video_app": true` accepts the request of Twilio's React
//! video app (see [`crate::credentials`]).
//!
//! The identity always comes from the authenticated user, never from the request, and must
//! keep the identity rules of every product its grants are for ([`twilio_token::identity`]).

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Deserializer};
use twilio_token::access_token::{MAX_TTL, check_lifetime};
use twilio_token::grants::{Grant, VideoGrant};
use twilio_token::identity::Rule;
use twilio_token::region::Region;
use twilio_token::{AccessToken, Nbf};

/// The grants of every role.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    roles: HashMap<String, Role>,
    /// Whether `POST /token` accepts the request of Twilio's React video app.
    #[serde(default)]
    video_app: bool,
}

/// The most a role may backdate `nbf` by.
pub const MAX_BACKDATE: u32 = 300;

/// What one role's tokens carry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    #[serde(deserialize_with = "grants")]
    grants: Vec<Grant>,
    /// Patterns (`*` matches any run of characters) of the rooms a client may ask for.
    #[serde(default)]
    rooms: Vec<String>,
    /// Seconds a token lives (default 3600, at most 86400).
    #[serde(default = "default_ttl")]
    ttl: u32,
    /// The Region of its tokens, if not the server's.
    #[serde(default, deserialize_with = "region")]
    region: Option<Region>,
    /// When its tokens become valid.
    #[serde(default)]
    nbf: NbfPolicy,
    /// The identity its tokens carry, `{identity}` standing for the user's.
    identity_template: Option<String>,
    /// What the Video app is told the room type is.
    #[serde(default = "default_room_type", deserialize_with = "room_type")]
    room_type: String,
}

fn default_ttl() -> u32 {
    3600
}

fn default_room_type() -> String {
    "group".into()
}

/// The Video room types Twilio documents.
const ROOM_TYPES: [&str; 4] = ["group", "group-small", "peer-to-peer", "go"];

fn room_type<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let name = String::deserialize(d)?;
    match ROOM_TYPES.contains(&name.as_str()) {
        true => Ok(name),
        false => Err(serde::de::Error::custom(
            "room_type must be group, group-small, peer-to-peer or go",
        )),
    }
}

fn region<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Region>, D::Error> {
    let name = String::deserialize(d)?;
    name.parse().map(Some).map_err(serde::de::Error::custom)
}

/// A role's `nbf`: `"now"`, `"omit"`, or seconds to backdate by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NbfPolicy {
    /// The minting time.
    #[default]
    Now,
    /// No `nbf`.
    Omit,
    /// The minting time less this many seconds.
    Backdate(u32),
}

impl<'de> Deserialize<'de> for NbfPolicy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            Seconds(u64),
        }
        let wrong = || {
            serde::de::Error::custom(format!(
                "nbf must be \"now\", \"omit\" or 0 to {MAX_BACKDATE} seconds to backdate by"
            ))
        };
        match Raw::deserialize(d).map_err(|_| wrong())? {
            Raw::Word(w) if w == "now" => Ok(NbfPolicy::Now),
            Raw::Word(w) if w == "omit" => Ok(NbfPolicy::Omit),
            Raw::Seconds(s) if s <= u64::from(MAX_BACKDATE) => Ok(NbfPolicy::Backdate(s as u32)),
            _ => Err(wrong()),
        }
    }
}

impl NbfPolicy {
    /// The `nbf` of a token minted at `now`.
    pub fn at(self, now: i64) -> Nbf {
        match self {
            NbfPolicy::Now => Nbf::Now,
            NbfPolicy::Omit => Nbf::Omit,
            NbfPolicy::Backdate(s) => Nbf::At(now - i64::from(s)),
        }
    }
}

/// Why a policy file was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum PolicyError {
    /// It is not JSON of a policy's shape.
    Json(serde_json::Error),
    /// It has no role.
    NoRoles,
    /// A role's `identity_template` holds `{identity}` other than once.
    IdentityTemplate {
        /// The role.
        role: String,
    },
    /// A role's ttl is 0 or over the limit.
    Ttl {
        /// The role.
        role: String,
        /// Its ttl.
        ttl: u32,
        /// The limit.
        max: u32,
    },
    /// A role's tokens would live longer than Twilio allows, counted from a backdated nbf.
    Lifetime {
        /// The role.
        role: String,
        /// Its ttl.
        ttl: u32,
        /// How many seconds its nbf is backdated.
        backdate: i64,
    },
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid policy: ")?;
        match self {
            PolicyError::Json(e) => write!(f, "{e}"),
            PolicyError::NoRoles => f.write_str("no roles"),
            PolicyError::IdentityTemplate { role } => write!(
                f,
                "role {role:?} has an identity_template without {{identity}} exactly once"
            ),
            PolicyError::Ttl { role, ttl, max } => {
                write!(f, "role {role:?} has ttl {ttl}, outside 1..={max}")
            }
            PolicyError::Lifetime {
                role,
                ttl,
                backdate,
            } => write!(
                f,
                "role {role:?} has ttl {ttl} and nbf {backdate}: its tokens would live {} s from \
                 nbf to exp, more than Twilio's {MAX_TTL} (Twilio error 20157); lower the ttl to \
                 {} or the nbf",
                i64::from(*ttl) + backdate,
                i64::from(MAX_TTL) - backdate
            ),
        }
    }
}

impl std::error::Error for PolicyError {}

impl Policy {
    /// The tutorial's policy: every user gets a video grant for "My Room", and nothing may be
    /// asked for.
    pub fn tutorial() -> Self {
        let role = Role {
            grants: vec![VideoGrant::room("My Room").into()],
            rooms: Vec::new(),
            ttl: default_ttl(),
            region: None,
            nbf: NbfPolicy::Now,
            identity_template: None,
            room_type: default_room_type(),
        };
        Policy {
            roles: HashMap::from([("user".to_owned(), role)]),
            video_app: false,
        }
    }

    /// Reads a policy from JSON, checking every ttl against `max_ttl`.
    pub fn from_json(text: &str, max_ttl: u32) -> Result<Self, PolicyError> {
        let policy: Policy = serde_json::from_str(text).map_err(PolicyError::Json)?;
        if policy.roles.is_empty() {
            return Err(PolicyError::NoRoles);
        }
        for (name, role) in &policy.roles {
            if role
                .identity_template
                .as_ref()
                .is_some_and(|t| t.matches("{identity}").count() != 1)
            {
                return Err(PolicyError::IdentityTemplate { role: name.clone() });
            }
            let max = max_ttl.min(MAX_TTL);
            if role.ttl == 0 || role.ttl > max {
                return Err(PolicyError::Ttl {
                    role: name.clone(),
                    ttl: role.ttl,
                    max,
                });
            }
            // Twilio counts a backdated nbf in the token's life (error 20157).
            let backdate = match role.nbf {
                NbfPolicy::Backdate(s) => i64::from(s),
                NbfPolicy::Now | NbfPolicy::Omit => 0,
            };
            if check_lifetime(-backdate, i64::from(role.ttl)).is_err() {
                return Err(PolicyError::Lifetime {
                    role: name.clone(),
                    ttl: role.ttl,
                    backdate,
                });
            }
        }
        Ok(policy)
    }

    /// Whether the policy has this role.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains_key(role)
    }

    /// Whether `POST /token` accepts the request of Twilio's React video app.
    pub fn video_app(&self) -> bool {
        self.video_app
    }

    /// The role named `name`: a request resolves it once and asks it everything after.
    pub fn role(&self, name: &str) -> Result<&Role, Refusal> {
        self.roles.get(name).ok_or(Refusal::NoPolicy)
    }

    /// The identity `role`'s tokens carry for a user called `name` ([`Role::identity`]).
    pub fn identity<'a>(&self, role: &str, name: &'a str) -> Result<Cow<'a, str>, Refusal> {
        self.role(role)?.identity(name)
    }

    /// What `role`'s template writes around a user's name ([`Role::affixes`]).
    pub fn affixes(&self, role: &str) -> Option<(&str, &str)> {
        self.roles.get(role).map(Role::affixes)
    }
}

impl Role {
    /// The identity this role's tokens carry for a user called `name` (its template applied),
    /// refused if it breaks a rule of a product the role's grants are for.
    pub fn identity<'a>(&self, name: &'a str) -> Result<Cow<'a, str>, Refusal> {
        let identity = match &self.identity_template {
            Some(template) => Cow::Owned(template.replace("{identity}", name)),
            None => Cow::Borrowed(name),
        };
        twilio_token::identity::check_name(&identity, self.grants.iter().map(Grant::key))
            .map_err(Refusal::Identity)?;
        Ok(identity)
    }

    /// What the template writes before and after the user's name: every identity of this role
    /// starts with the first and ends with the second (both empty without a template).
    pub fn affixes(&self) -> (&str, &str) {
        match &self.identity_template {
            Some(template) => template.split_once("{identity}").unwrap_or((template, "")),
            None => ("", ""),
        }
    }

    /// `token` with this role's grants for `room`, its Region (if it names one), its `nbf` and
    /// its ttl. The template is shared, not copied, unless a room was asked for.
    ///
    /// A role with `rooms` never gets a video grant for every room: without a room asked
    /// for, it gets its template's video grant only if that names a room (its default room),
    /// and is refused ([`Refusal::RoomRequired`]) if that names none. A role without `rooms`
    /// gets its template as written.
    pub fn token(
        &self,
        token: AccessToken,
        room: Option<&str>,
        now: i64,
    ) -> Result<AccessToken, Refusal> {
        let asked = match room.filter(|r| !r.is_empty()) {
            Some(room) if self.rooms.iter().any(|p| glob(p, room)) => Some(VideoGrant::room(room)),
            Some(_) => return Err(Refusal::RoomNotAllowed),
            // Twilio reads a video grant without a room as every room: a role limited to some
            // rooms may have its template's grant only if that names one.
            None if !self.rooms.is_empty() && self.grants.iter().any(every_room) => {
                return Err(Refusal::RoomRequired);
            }
            None => None,
        };
        let mut token = token;
        for grant in self.grants.iter().cloned().chain(asked.map(Grant::from)) {
            // An asked-for room replaces the template's video grant, in its place.
            token.add_grant(grant);
        }
        if let Some(region) = self.region {
            token = token.region(region.as_str());
        }
        Ok(token.nbf(self.nbf.at(now)).ttl(self.ttl))
    }

    /// Seconds this role's tokens live.
    pub fn ttl(&self) -> u32 {
        self.ttl
    }

    /// The room type the Video app is told.
    pub fn room_type(&self) -> &str {
        &self.room_type
    }
}

/// Why the policy gives a user no token.
#[derive(Debug, Clone, Copy)]
pub enum Refusal {
    /// The user's role is not in the policy.
    NoPolicy,
    /// The room asked for is not one the role may join.
    RoomNotAllowed,
    /// The role may join only some rooms and has no default one: the request must name one.
    RoomRequired,
    /// The identity breaks this product's rule.
    Identity(&'static Rule),
    /// The identity is on the deny list.
    Denied,
    /// The Video app's request names another identity than the authenticated one.
    IdentityMismatch,
    /// A password user's identity lies where an identity provider's users' identities do:
    /// it could be one of theirs.
    IdentityInNamespace,
}

impl PartialEq for Refusal {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Refusal::Identity(a), Refusal::Identity(b)) => a.grant == b.grant,
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NoPolicy => f.write_str("your role has no token policy"),
            Refusal::RoomNotAllowed => f.write_str("that room is not allowed for you"),
            Refusal::RoomRequired => f.write_str("your account must name a video room"),
            Refusal::Identity(rule) => write!(f, "your identity cannot be used: {rule}"),
            Refusal::Denied => f.write_str("this identity is denied tokens"),
            Refusal::IdentityMismatch => {
                f.write_str("user_identity is not the identity you signed in as")
            }
            Refusal::IdentityInNamespace => f.write_str(
                "your identity lies in an identity provider's namespace: ask the operator to \
                 rename you",
            ),
        }
    }
}

/// A role's grants, as `mint --spec` writes them. One written in the token's layout (as
/// `decode` prints it) is refused with the spec's name for what was meant.
fn grants<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Grant>, D::Error> {
    let written = Vec::<serde_json::Value>::deserialize(d)?;
    let grants = written.iter().map(|grant| {
        Grant::deserialize(grant).map_err(|e| match token_layout_hint(grant) {
            Some(hint) => serde::de::Error::custom(format!("{e}: {hint}")),
            None => serde::de::Error::custom(e),
        })
    });
    grants.collect()
}

/// What a grant written in the token's layout meant, in the spec's words. Both layouts are
/// read from the library's serde definitions ([`Grant::KEYS`] and the grants' fields), not
/// written again here.
fn token_layout_hint(grant: &serde_json::Value) -> Option<String> {
    let (key, fields) = grant.as_object()?.iter().next()?;
    let kinds = probe::names::<Grant>(None);
    // Grant::KEYS follows the enum's order, as its variants do.
    if let Some(i) = Grant::KEYS.iter().position(|k| k == key) {
        let spec = *kinds.get(i)?;
        if spec != key {
            let named = probe::names::<Grant>(Some(spec)).join(", ");
            return Some(format!(
                "{key:?} is the token's name for this grant; in a policy write {spec:?} (fields: {named})"
            ));
        }
    }
    let spec = kinds.iter().find(|k| *k == key)?;
    let names = probe::names::<Grant>(Some(spec));
    // The token nests what the spec names with a prefix: incoming.allow is incoming_allow.
    for (field, value) in fields.as_object()? {
        let (false, serde_json::Value::Object(members)) = (names.contains(&field.as_str()), value)
        else {
            continue;
        };
        let prefix = format!("{field}_");
        let meant: Vec<String> = members
            .iter()
            .filter_map(|(member, v)| {
                let name = names
                    .iter()
                    .find(|n| n.starts_with(&prefix) && n.ends_with(member.as_str()))?;
                Some(format!("{name:?}: {v}"))
            })
            .collect();
        if !meant.is_empty() {
            return Some(format!(
                "{field:?} is the token's layout; in a policy write {}",
                meant.join(", ")
            ));
        }
    }
    None
}

/// The names a type's `Deserialize` knows: a struct's fields, an enum's variants, or one
/// variant's fields. Read by deserializing from a probe that answers nothing.
mod probe {
    use serde::Deserialize;
    use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, VariantAccess, Visitor};

    /// The names of `T`'s fields or variants, or with `variant`, of that variant's fields.
    pub fn names<T: for<'de> Deserialize<'de>>(variant: Option<&str>) -> &'static [&'static str] {
        match T::deserialize(Probe(variant)) {
            Err(Names(names)) => names,
            Ok(_) => &[],
        }
    }

    struct Probe<'a>(Option<&'a str>);

    /// The probe's answer, carried as its error.
    #[derive(Debug)]
    struct Names(&'static [&'static str]);

    impl std::fmt::Display for Names {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("names")
        }
    }

    impl std::error::Error for Names {}

    impl de::Error for Names {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Names(&[])
        }
    }

    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = Names;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Names> {
            Err(Names(&[]))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Names> {
            Err(Names(fields))
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _: &'static str,
            variants: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Names> {
            match self.0 {
                None => Err(Names(variants)),
                Some(variant) => visitor.visit_enum(Variant(variant)),
            }
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
            identifier ignored_any
        }
    }

    struct Variant<'a>(&'a str);

    impl<'de> EnumAccess<'de> for Variant<'_> {
        type Error = Names;
        type Variant = Self;

        fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Names> {
            let name = seed.deserialize(de::value::StrDeserializer::<Names>::new(self.0))?;
            Ok((name, self))
        }
    }

    impl<'de> VariantAccess<'de> for Variant<'_> {
        type Error = Names;

        fn unit_variant(self) -> Result<(), Names> {
            Err(Names(&[]))
        }

        fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Names> {
            seed.deserialize(Probe(None))
        }

        fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Names> {
            Err(Names(&[]))
        }

        fn struct_variant<V: Visitor<'de>>(
            self,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Names> {
            Err(Names(fields))
        }
    }
}

/// Whether `grant` is a video grant for every room (it names none, or an empty one).
fn every_room(grant: &Grant) -> bool {
    matches!(grant, Grant::Video(video) if video.room.as_deref().is_none_or(str::is_empty))
}

/// `*` matches any run of characters (including none); everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty(); // no '*': the whole text was the prefix
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_shell_stars() {
        assert!(glob("lobby", "lobby"));
        assert!(!glob("lobby", "lobby2"));
        assert!(glob("team-*", "team-red"));
        assert!(glob("team-*", "team-"));
        assert!(!glob("team-*", "tea"));
        assert!(glob("*", "anything"));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXcYYb"));
        assert!(!glob("*-x", "x"));
    }

    #[test]
    fn rooms_need_the_policy() {
        let policy = Policy::from_json(
            r#"{"roles":{"user":{"grants":[{"video":{"room":"My Room"}},{"chat":{"service_sid":"IS1"}}],"rooms":["team-*"]}}}"#,
            86400,
        )
        .unwrap();
        let token = AccessToken::new("AC1", "SK1", "s");
        let user = policy.role("user").unwrap();
        assert_eq!(user.ttl(), 3600);
        let token = user.token(token, Some("team-a"), 0).unwrap();
        assert_eq!(
            token.grants().len(),
            2,
            "the room replaced the template's video grant"
        );
        assert_eq!(token.grants()[0], VideoGrant::room("team-a").into());
        let token = || AccessToken::new("AC1", "SK1", "s");
        let refusal = |r: Result<_, Refusal>| r.err();
        assert_eq!(
            refusal(user.token(token(), Some("other"), 0)),
            Some(Refusal::RoomNotAllowed)
        );
        assert_eq!(policy.role("admin").err(), Some(Refusal::NoPolicy));
    }

    #[test]
    fn a_role_with_rooms_never_gets_every_room() {
        let policy = Policy::from_json(
            r#"{"roles":{
                "any":{"grants":[{"video":{}},{"voice":{}}],"rooms":["team-*"]},
                "blank":{"grants":[{"video":{"room":""}}],"rooms":["team-*"]},
                "default":{"grants":[{"video":{"room":"lobby"}}],"rooms":["team-*"]},
                "none":{"grants":[{"voice":{}}],"rooms":["team-*"]},
                "open":{"grants":[{"video":{}}]}}}"#,
            86400,
        )
        .unwrap();
        let grants = |role: &str, room: Option<&str>| {
            let token = AccessToken::new("AC1", "SK1", "s");
            policy
                .role(role)
                .and_then(|role| role.token(token, room, 0))
                .map(|token| token.grants().to_vec())
        };
        let video = |room: &str| Grant::from(VideoGrant::room(room));
        for role in ["any", "blank"] {
            for room in [None, Some("")] {
                assert_eq!(grants(role, room), Err(Refusal::RoomRequired), "{role}");
            }
        }
        assert_eq!(
            grants("any", Some("team-a")).unwrap(),
            [video("team-a"), Grant::Voice(Default::default())]
        );
        assert_eq!(grants("default", None).unwrap(), [video("lobby")]);
        assert_eq!(grants("default", Some("")).unwrap(), [video("lobby")]);
        assert_eq!(
            grants("default", Some("team-b")).unwrap(),
            [video("team-b")]
        );
        assert_eq!(
            grants("none", None).unwrap(),
            [Grant::Voice(Default::default())]
        );
        assert_eq!(
            grants("none", Some("team-c")).unwrap(),
            [Grant::Voice(Default::default()), video("team-c")]
        );
        // Without `rooms`, the template is the operator's choice, every room included.
        assert_eq!(
            grants("open", None).unwrap(),
            [Grant::Video(VideoGrant::default())]
        );
        assert_eq!(grants("open", Some("x")), Err(Refusal::RoomNotAllowed));
    }

    #[test]
    fn roles_set_region_nbf_and_identity() {
        let policy = Policy::from_json(
            r#"{"roles":{
                "agent":{"grants":[{"voice":{}}],"region":"IE1","nbf":60,"identity_template":"agent_{identity}"},
                "viewer":{"grants":[{"video":{}}],"nbf":"omit","room_type":"go"}}}"#,
            86400,
        )
        .unwrap();
        let decode = |token: AccessToken| {
            let jwt = token.to_jwt_at(1_700_000_000).unwrap();
            twilio_token::dangerous::decode_unverified(&jwt).unwrap()
        };
        let role = |name| policy.role(name).unwrap();
        let token = role("agent")
            .token(AccessToken::new("AC1", "SK1", "s"), None, 1_700_000_000)
            .unwrap();
        let data = decode(token);
        assert_eq!(data.header.twr.as_deref(), Some("ie1"));
        assert_eq!(data.claims["nbf"], 1_700_000_000 - 60);
        assert_eq!(
            data.claims["exp"],
            1_700_000_000 + 3600,
            "exp does not move with nbf"
        );
        let token = role("viewer")
            .token(AccessToken::new("AC1", "SK1", "s"), None, 1_700_000_000)
            .unwrap();
        let data = decode(token);
        assert!(data.header.twr.is_none() && !data.claims.contains_key("nbf"));
        assert_eq!(role("viewer").room_type(), "go");
        assert_eq!(role("agent").room_type(), "group");

        assert_eq!(policy.identity("agent", "bob").unwrap(), "agent_bob");
        let refused = policy.identity("agent", "bob@example.com").unwrap_err();
        assert!(
            refused.to_string().contains("Twilio Voice identity"),
            "{refused}"
        );
        assert_eq!(
            policy.identity("viewer", "bob@example.com").unwrap(),
            "bob@example.com"
        );
        assert_eq!(policy.identity("nobody", "bob"), Err(Refusal::NoPolicy));
    }

    #[test]
    fn a_role_lives_at_most_24_hours_counting_its_backdate() {
        for (ttl, nbf) in [
            ("86400", "\"now\""),
            ("86400", "\"omit\""),
            ("86100", "300"),
        ] {
            let text = format!(r#"{{"roles":{{"u":{{"grants":[],"ttl":{ttl},"nbf":{nbf}}}}}}}"#);
            assert!(Policy::from_json(&text, 86400).is_ok(), "{text}");
        }
        let text = r#"{"roles":{"u":{"grants":[],"ttl":86100,"nbf":301}}}"#;
        assert!(Policy::from_json(text, 86400).is_err());
        let text = r#"{"roles":{"u":{"grants":[],"ttl":86101,"nbf":300}}}"#;
        assert!(Policy::from_json(text, 86400).is_err());
    }

    #[test]
    fn a_grant_in_the_tokens_layout_is_refused_with_the_spec_field_meant() {
        let policy = |grant: &str| {
            let text = format!(r#"{{"roles":{{"u":{{"grants":[{grant}]}}}}}}"#);
            Policy::from_json(&text, 86400).unwrap_err().to_string()
        };
        for (grant, hint) in [
            (
                r#"{"voice":{"incoming":{"allow":true}}}"#,
                r#""incoming" is the token's layout; in a policy write "incoming_allow": true"#,
            ),
            (
                r#"{"voice":{"outgoing":{"application_sid":"AP1","params":{"a":1}}}}"#,
                r#"in a policy write "outgoing_application_sid": "AP1", "outgoing_application_params": {"a":1}"#,
            ),
            (
                r#"{"data_sync":{"service_sid":"IS1"}}"#,
                r#""data_sync" is the token's name for this grant; in a policy write "sync" (fields: service_sid, endpoint_id)"#,
            ),
            (
                r#"{"player":{"playbackUrl":"https://x"}}"#,
                r#"in a policy write "playback" (fields: grant)"#,
            ),
        ] {
            let e = policy(grant);
            assert!(e.contains(hint), "{grant}: {e}");
        }
        // Other mistakes get serde's message alone.
        let e = policy(r#"{"voice":{"incoming_alow":true}}"#);
        assert!(e.contains("incoming_alow") && !e.contains("layout"), "{e}");
        // The spec's layout, as the README shows it, is accepted.
        let text = r#"{"roles":{"u":{"grants":[{"voice":{"incoming_allow":true,
            "outgoing_application_sid":"AP1"}},{"sync":{"service_sid":"IS1"}}]}}}"#;
        assert!(Policy::from_json(text, 86400).is_ok());
    }

    #[test]
    fn bad_policies_are_refused_with_a_reason() {
        for (text, needle) in [
            (r#"{"roles":{}}"#, "no roles"),
            (r#"{"roles":{"u":{"grants":[],"ttl":90000}}}"#, "ttl 90000"),
            (r#"{"roles":{"u":{"grants":[{"vidoe":{}}]}}}"#, "vidoe"),
            (r#"{"role":{}}"#, "role"),
            (
                r#"{"roles":{"u":{"grants":[],"region":"eu1"}}}"#,
                "us1, ie1, au1",
            ),
            (r#"{"roles":{"u":{"grants":[],"nbf":301}}}"#, "0 to 300"),
            (
                r#"{"roles":{"u":{"grants":[],"ttl":86400,"nbf":300}}}"#,
                "role \"u\" has ttl 86400 and nbf 300: its tokens would live 86700 s",
            ),
            (
                r#"{"roles":{"u":{"grants":[],"ttl":86101,"nbf":300}}}"#,
                "lower the ttl to 86100",
            ),
            (r#"{"roles":{"u":{"grants":[],"nbf":"later"}}}"#, "0 to 300"),
            (
                r#"{"roles":{"u":{"grants":[],"room_type":"big"}}}"#,
                "room_type",
            ),
            (
                r#"{"roles":{"u":{"grants":[],"identity_template":"user_"}}}"#,
                "{identity}",
            ),
            (
                r#"{"roles":{"u":{"grants":[],"identity_template":"{identity}_{identity}"}}}"#,
                "exactly once",
            ),
        ] {
            let e = Policy::from_json(text, 86400).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
    }
}
