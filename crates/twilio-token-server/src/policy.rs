//! Which grants a user's token carries: configuration, not code.
//!
//! A policy file maps each role to grant templates (the same grant JSON as `mint --spec`) and
//! to the video rooms a client may ask for by name:
//!
//! ```json
//! {"roles": {
//!   "user":    {"grants": [{"video": {"room": "My Room"}}], "rooms": ["lobby", "team-*"]},
//!   "support": {"grants": [{"voice": {"incoming_allow": true}}, {"chat": {"service_sid": "IS..."}}],
//!               "ttl": 900}}}
//! ```
//!
//! The identity always comes from the authenticated user, never from the request.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use twilio_token::AccessToken;
use twilio_token::access_token::MAX_TTL;
use twilio_token::grants::{Grant, VideoGrant};

/// The grants of every role.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    roles: HashMap<String, Role>,
}

/// What one role's tokens carry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    grants: Arc<Vec<Grant>>,
    /// Patterns (`*` matches any run of characters) of the rooms a client may ask for.
    #[serde(default)]
    rooms: Vec<String>,
    /// Seconds a token lives (default 3600, at most 86400).
    #[serde(default = "default_ttl")]
    ttl: u32,
}

fn default_ttl() -> u32 {
    3600
}

/// Why a policy file was refused.
#[derive(Debug)]
pub struct PolicyError(pub String);

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Policy {
    /// The tutorial's policy: every user gets a video grant for "My Room", and nothing may be
    /// asked for.
    pub fn tutorial() -> Self {
        let role = Role {
            grants: Arc::new(vec![VideoGrant::room("My Room").into()]),
            rooms: Vec::new(),
            ttl: default_ttl(),
        };
        Policy {
            roles: HashMap::from([("user".to_owned(), role)]),
        }
    }

    /// Reads a policy from JSON, checking every ttl against `max_ttl`.
    pub fn from_json(text: &str, max_ttl: u32) -> Result<Self, PolicyError> {
        let policy: Policy =
            serde_json::from_str(text).map_err(|e| PolicyError(format!("invalid policy: {e}")))?;
        if policy.roles.is_empty() {
            return Err(PolicyError("invalid policy: no roles".into()));
        }
        for (name, role) in &policy.roles {
            if role.ttl == 0 || role.ttl > max_ttl.min(MAX_TTL) {
                return Err(PolicyError(format!(
                    "invalid policy: role {name:?} has ttl {}, outside 1..={}",
                    role.ttl,
                    max_ttl.min(MAX_TTL)
                )));
            }
        }
        Ok(policy)
    }

    /// Whether the policy has this role.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains_key(role)
    }

    /// Whether `role`'s tokens carry a Voice grant (Twilio restricts Voice identities).
    pub fn has_voice(&self, role: &str) -> bool {
        self.roles
            .get(role)
            .is_some_and(|r| r.grants.iter().any(|g| g.key() == "voice"))
    }

    /// Gives `token` the grants for `role` and `room`, with the ttl. The role's template is
    /// shared, not copied, unless a room was asked for.
    pub fn apply(
        &self,
        token: AccessToken,
        role: &str,
        room: Option<&str>,
    ) -> Result<(AccessToken, u32), Refusal> {
        let role = self.roles.get(role).ok_or(Refusal::NoPolicy)?;
        let asked = match room {
            None => None,
            Some(room) if role.rooms.iter().any(|p| glob(p, room)) => Some(VideoGrant::room(room)),
            Some(_) => return Err(Refusal::RoomNotAllowed),
        };
        let mut token = token.grants_from(role.grants.clone());
        // An asked-for room replaces the template's video grant, in its place.
        if let Some(asked) = asked {
            token.add_grant(asked);
        }
        Ok((token, role.ttl))
    }
}

/// Why the policy gives a user no token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The user's role is not in the policy.
    NoPolicy,
    /// The room asked for is not one the role may join.
    RoomNotAllowed,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::NoPolicy => "your role has no token policy",
            Refusal::RoomNotAllowed => "that room is not allowed for you",
        })
    }
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
        let (token, ttl) = policy.apply(token, "user", Some("team-a")).unwrap();
        assert_eq!(ttl, 3600);
        assert_eq!(
            token.grants().len(),
            2,
            "the room replaced the template's video grant"
        );
        assert_eq!(token.grants()[0], VideoGrant::room("team-a").into());
        let token = || AccessToken::new("AC1", "SK1", "s");
        let refusal = |r: Result<_, Refusal>| r.err();
        assert_eq!(
            refusal(policy.apply(token(), "user", Some("other"))),
            Some(Refusal::RoomNotAllowed)
        );
        assert_eq!(
            refusal(policy.apply(token(), "admin", None)),
            Some(Refusal::NoPolicy)
        );
    }

    #[test]
    fn bad_policies_are_refused_with_a_reason() {
        for (text, needle) in [
            (r#"{"roles":{}}"#, "no roles"),
            (r#"{"roles":{"u":{"grants":[],"ttl":90000}}}"#, "ttl 90000"),
            (r#"{"roles":{"u":{"grants":[{"vidoe":{}}]}}}"#, "vidoe"),
            (r#"{"role":{}}"#, "role"),
        ] {
            let e = Policy::from_json(text, 86400).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
    }
}
