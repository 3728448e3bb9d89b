//! What Twilio would say about an access token: the checks behind `twilio-token decode
//! --explain`, each problem with the error code Twilio answers it with (20103, 20106, 20157).
//!
//! ```
//! use twilio_token::{AccessToken, dangerous, explain};
//! use twilio_token::grants::VideoGrant;
//!
//! let mut token = AccessToken::new("AC1", "SK1", "secret").identity("alice");
//! token.add_grant(VideoGrant::room("My Room"));
//! let data = dangerous::decode_unverified(&token.to_jwt()?)?;
//! let findings = explain::access_token(&data, false);
//! let problems: Vec<_> = findings.iter().filter(|f| f.level == explain::Level::Problem).collect();
//! assert_eq!(problems[0].code, Some(20103));
//! assert!(problems[0].to_string().starts_with("Twilio error 20103: iss \"SK1\""));
//! # Ok::<(), twilio_token::Error>(())
//! ```

use std::fmt;

use serde_json::{Map, Value};

use crate::access_token::check_lifetime;
use crate::grants::LegacyGrant;
use crate::region::{Region, UnknownRegion};
use crate::{TokenData, identity, sid};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Level {
    /// Twilio refuses the token for it, with the finding's code.
    Problem,
    /// A likely cause of a problem.
    Hint,
    /// Twilio takes the token, but a client will not like it.
    Warning,
    /// Worth knowing.
    Note,
}

impl Level {
    /// `problem`, `hint`, `warning` or `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Problem => "problem",
            Level::Hint => "hint",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// One thing Twilio would say about a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// How much it matters.
    pub level: Level,
    /// The Twilio error code a problem is answered with.
    pub code: Option<u32>,
    /// What it is, for people.
    pub message: String,
}

impl Finding {
    fn new(level: Level, code: Option<u32>, message: impl Into<String>) -> Self {
        Finding {
            level,
            code,
            message: message.into(),
        }
    }
}

/// `Twilio error CODE: message`, or the message alone.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) => write!(f, "Twilio error {code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// How far ahead of `exp` the Twilio SDKs raise `tokenWillExpire`, in seconds.
const TOKEN_WILL_EXPIRE: i64 = 180;

/// What Twilio would say about an access token (one whose header says `cty:
/// twilio-fpa;v=1`). `hmac_verified`: the token verified with the HMAC secret its holder gave,
/// which sharpens the hint about an Auth Token used as the secret.
pub fn access_token(data: &TokenData, hmac_verified: bool) -> Vec<Finding> {
    let (h, c) = (&data.header, &data.claims);
    let mut found = Vec::new();
    let is_sid = |v: Option<&str>, prefix| v.is_some_and(|v| sid::validate("", v, prefix).is_ok());
    let problem = |code, message: String| Finding::new(Level::Problem, Some(code), message);

    let iss = c.get("iss").and_then(Value::as_str);
    if !is_sid(iss, "SK") {
        found.push(problem(
            20103,
            format!(
                "iss {} is not an API key SID (SK and 32 hex digits)",
                shown(iss)
            ),
        ));
        if is_sid(iss, "AC") {
            let why = if hmac_verified {
                "it verifies with the secret given, which is then likely the Auth Token"
            } else {
                "a likely Auth Token used as the secret"
            };
            found.push(Finding::new(
                Level::Hint,
                None,
                format!(
                    "iss is an Account SID: {why}; sign access tokens with an API key's secret and name the key (SK...) in iss"
                ),
            ));
        }
    }
    let sub = c.get("sub").and_then(Value::as_str);
    if !is_sid(sub, "AC") {
        found.push(problem(
            20103,
            format!(
                "sub {} is not an Account SID (AC and 32 hex digits)",
                shown(sub)
            ),
        ));
    }

    let empty = Map::new();
    let grants = c.get("grants").and_then(Value::as_object).unwrap_or(&empty);
    let identity = grants.get("identity").and_then(Value::as_str);
    let keys: Vec<&str> = grants
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "identity")
        .collect();
    if keys.is_empty() {
        found.push(problem(
            20106,
            "the token grants nothing (no grant in \"grants\")".into(),
        ));
    }
    for key in keys {
        // A legacy grant is held to the rule of the grant that replaced it.
        let product = LegacyGrant::successor(key).unwrap_or(key);
        if identity::rule(product).is_none() {
            continue; // TaskRouter and Playback take any identity, or none
        }
        match identity {
            None => found.push(problem(
                20106,
                format!("the {key} grant needs an identity and the token has none"),
            )),
            Some(id) => {
                if let Err(broken) = identity::check(id, [product]) {
                    found.push(problem(
                        20106,
                        format!("identity {id:?} breaks the rule: {broken}"),
                    ));
                }
            }
        }
    }

    let time = |k: &str| c.get(k).and_then(Value::as_f64).map(|t| t as i64);
    let start = time("nbf")
        .map(|t| (t, "nbf"))
        .or(time("iat").map(|t| (t, "iat")));
    if let (Some(exp), Some((start, from))) = (time("exp"), start) {
        let ttl = exp.saturating_sub(start);
        if check_lifetime(start, exp).is_err() {
            found.push(problem(
                20157,
                format!(
                    "the token lives {} (exp - {from}), more than Twilio's 24 hours",
                    Duration(ttl)
                ),
            ));
        } else if ttl < TOKEN_WILL_EXPIRE {
            found.push(Finding::new(
                Level::Warning,
                None,
                format!(
                    "the token lives only {} (exp - {from}): the SDKs raise tokenWillExpire about three minutes before exp, so at once",
                    Duration(ttl.max(0))
                ),
            ));
        }
    }

    match &h.twr {
        None => found.push(Finding::new(
            Level::Note,
            None,
            "no twr header: Twilio takes the token as for us1, so its API key must be a us1 key",
        )),
        Some(twr) if twr.parse::<Region>().is_err() => found.push(Finding::new(
            Level::Note,
            None,
            format!("twr {twr:?}: {UnknownRegion}"),
        )),
        Some(_) => {}
    }
    found
}

/// A claim's string value for a message, quoted, or "missing".
fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "(missing)".into(), |v| format!("{v:?}"))
}

/// A number of seconds as people read it: `59s`, `59m 59s`, `1h 0m`, `1d 1h`.
#[derive(Debug, Clone, Copy)]
pub struct Duration(pub i64);

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0;
        let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
        match (d, h, m) {
            (0, 0, 0) => write!(f, "{s}s"),
            (0, 0, _) => write!(f, "{m}m {s}s"),
            (0, _, _) => write!(f, "{h}h {m}m"),
            _ => write!(f, "{d}d {h}h"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(Duration(59).to_string(), "59s");
        assert_eq!(Duration(3599).to_string(), "59m 59s");
        assert_eq!(Duration(3600).to_string(), "1h 0m");
        assert_eq!(Duration(90_000).to_string(), "1d 1h");
    }

    fn read(header: &str, payload: &str) -> TokenData {
        let key = crate::EncodingKey::from_secret(b"s");
        let token = crate::jws::sign(
            header.as_bytes(),
            payload.as_bytes(),
            crate::Algorithm::HS256,
            &key,
        );
        crate::dangerous::decode_unverified(&token.unwrap()).unwrap()
    }

    #[test]
    fn a_sound_token_draws_no_problem_and_a_broken_one_draws_its_codes() {
        let (ac, sk) = (
            "AC".to_owned() + &"a".repeat(32),
            "SK".to_owned() + &"b".repeat(32),
        );
        let mut sound = crate::AccessToken::new(ac.as_str(), sk.as_str(), "s")
            .identity("alice")
            .region("ie1");
        sound.add_grant(crate::grants::VideoGrant::room("r"));
        let data = crate::dangerous::decode_unverified(&sound.to_jwt().unwrap()).unwrap();
        assert_eq!(access_token(&data, true), Vec::new());

        let header = r#"{"alg":"HS256","typ":"JWT","cty":"twilio-fpa;v=1","twr":"eu1"}"#;
        let payload = format!(r#"{{"iss":"{ac}","sub":"AC1","iat":0,"exp":90000,"grants":{{}}}}"#);
        let found = access_token(&read(header, &payload), false);
        let codes: Vec<_> = found.iter().filter_map(|f| f.code).collect();
        assert_eq!(codes, [20103, 20103, 20106, 20157], "{found:?}");
        assert_eq!(found[1].level, Level::Hint);
        assert!(
            found[0]
                .to_string()
                .starts_with("Twilio error 20103: iss \"AC")
        );
        let note = found.last().unwrap();
        assert_eq!((note.level, note.code), (Level::Note, None));
        assert!(note.to_string().starts_with("twr \"eu1\""), "{note}");
    }
}
