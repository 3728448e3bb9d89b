//! The API keys file: several keys of one account and the one that signs, so that a key can be
//! rotated without downtime (add the new key, make it the signing key, later drop the old one,
//! each step a reload).
//!
//! ```json
//! {"signing_key": "SKnew...",
//!  "keys": [{"sid": "SKold...", "secret": "..."}, {"sid": "SKnew...", "secret": "..."}]}
//! ```

use serde::Deserialize;
use twilio_token::key::ApiKeys;
use twilio_token::{EncodingKey, sid};

/// A secret that never shows in `Debug` or logs.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: String) -> Self {
        Secret(s)
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// A checked keys file.
#[derive(Debug, Clone)]
pub struct KeysFile {
    /// The SID of the key that signs.
    pub signing_key: String,
    /// Every key, in the file's order.
    pub keys: Vec<(String, Secret)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    signing_key: String,
    keys: Vec<RawKey>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    sid: String,
    secret: String,
}

/// Why a keys file was refused (never quoting a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeysError {
    /// The text is not JSON: where.
    NotJson {
        /// The line, from 1.
        line: usize,
        /// The column, from 1.
        column: usize,
    },
    /// The JSON is not a keys file's shape: where, and the unknown field, when it looks
    /// like a field's name rather than a secret.
    Shape {
        /// The line, from 1.
        line: usize,
        /// The column, from 1.
        column: usize,
        /// An unknown field's name.
        unknown_field: Option<String>,
    },
    /// An entry that should be an API key SID is not one: which (`keys[2].sid`,
    /// `signing_key`), never its value.
    NotASid(String),
    /// A key's secret is empty.
    EmptySecret(String),
    /// A key is listed twice.
    ListedTwice(String),
    /// The signing key is not among the keys.
    UnknownSigningKey(String),
}

impl std::fmt::Display for KeysError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const EXPECTED: &str =
            "expected {\"signing_key\": SID, \"keys\": [{\"sid\": SID, \"secret\": SECRET}, ...]}";
        match self {
            KeysError::NotJson { line, column } => {
                write!(f, "line {line} column {column}: not JSON")
            }
            KeysError::Shape {
                line,
                column,
                unknown_field: Some(field),
            } => write!(
                f,
                "line {line} column {column}: unknown field {field:?}: {EXPECTED}"
            ),
            KeysError::Shape { line, column, .. } => {
                write!(f, "line {line} column {column}: {EXPECTED}")
            }
            KeysError::NotASid(entry) => {
                write!(
                    f,
                    "{entry} is not an API key SID (SK followed by 32 hex digits)"
                )
            }
            KeysError::EmptySecret(sid) => write!(f, "key {sid} has an empty secret"),
            KeysError::ListedTwice(sid) => write!(f, "key {sid} is listed twice"),
            KeysError::UnknownSigningKey(sid) => {
                write!(f, "signing_key {sid} is not one of the keys")
            }
        }
    }
}

impl std::error::Error for KeysError {}

impl KeysFile {
    /// Reads and checks a keys file: SIDs well formed and distinct, secrets not empty, the
    /// signing key among the keys.
    pub fn parse(text: &str) -> Result<KeysFile, KeysError> {
        // serde_json's messages can quote the input, and the input holds secrets: say only
        // where and what kind of mistake.
        let raw: Raw = serde_json::from_str(text).map_err(|e| {
            let (line, column) = (e.line(), e.column());
            match e.classify() {
                serde_json::error::Category::Data => {
                    // An unknown field is named only when it looks like a field name, not a secret.
                    let message = e.to_string();
                    let field = message
                        .strip_prefix("unknown field `")
                        .and_then(|r| r.split_once('`'))
                        .map(|(field, _)| field)
                        .filter(|f| {
                            f.len() <= 24 && f.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                        });
                    KeysError::Shape {
                        line,
                        column,
                        unknown_field: field.map(str::to_owned),
                    }
                }
                _ => KeysError::NotJson { line, column },
            }
        })?;
        let mut keys: Vec<(String, Secret)> = Vec::with_capacity(raw.keys.len());
        // A value is quoted only once it is known to be a SID: a file with `sid` and `secret`
        // swapped, or a secret in `signing_key`, would otherwise print the secret.
        for (i, key) in raw.keys.into_iter().enumerate() {
            sid::validate("sid", &key.sid, "SK")
                .map_err(|_| KeysError::NotASid(format!("keys[{i}].sid")))?;
            if key.secret.is_empty() {
                return Err(KeysError::EmptySecret(key.sid));
            }
            if keys.iter().any(|(s, _)| *s == key.sid) {
                return Err(KeysError::ListedTwice(key.sid));
            }
            keys.push((key.sid, Secret::new(key.secret)));
        }
        sid::validate("signing_key", &raw.signing_key, "SK")
            .map_err(|_| KeysError::NotASid("signing_key".into()))?;
        if !keys.iter().any(|(s, _)| *s == raw.signing_key) {
            return Err(KeysError::UnknownSigningKey(raw.signing_key));
        }
        Ok(KeysFile {
            signing_key: raw.signing_key,
            keys,
        })
    }

    /// The signing key's secret.
    pub fn signing_secret(&self) -> &Secret {
        let (_, secret) = self
            .keys
            .iter()
            .find(|(s, _)| *s == self.signing_key)
            .expect("parse checked the signing key is listed");
        secret
    }

    /// The key that signs, ready to sign.
    pub fn encoding_key(&self) -> EncodingKey {
        EncodingKey::from_secret(self.signing_secret().expose().as_bytes())
    }

    /// Every key, for verifying tokens by their `iss`.
    pub fn to_api_keys(&self) -> ApiKeys {
        self.keys
            .iter()
            .fold(ApiKeys::new(), |keys, (sid, secret)| {
                keys.with(sid.as_str(), secret.expose().as_bytes())
            })
    }
}

/// Warns, naming the file and its mode, when the keys file at `path` is open to other local
/// users: it holds API key secrets. Only a warning, unlike the database: Kubernetes mounts
/// secret volumes 0644 by default, where no other user shares the container.
pub fn warn_if_readable(path: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(metadata) = std::fs::metadata(path) else {
            return; // the read that follows names the problem
        };
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                file = %path.escape_debug(),
                mode = %format_args!("{mode:03o}"),
                "the API keys file is open to other local users; it holds API key secrets: \
                 chmod 600 it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "SKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn a_good_file_names_its_signing_key() {
        let text = format!(
            r#"{{"signing_key":"{B}","keys":[{{"sid":"{A}","secret":"old-secret"}},{{"sid":"{B}","secret":"new-secret"}}]}}"#
        );
        let file = KeysFile::parse(&text).unwrap();
        assert_eq!(file.signing_key, B);
        assert_eq!(file.signing_secret().expose(), "new-secret");
        assert_eq!(file.to_api_keys().sids().collect::<Vec<_>>(), [A, B]);
    }

    #[test]
    fn bad_files_are_refused_without_quoting_a_secret() {
        let key = |sid: &str, secret: &str| format!(r#"{{"sid":"{sid}","secret":"{secret}"}}"#);
        let file = |signing: &str, keys: &[String]| {
            format!(
                r#"{{"signing_key":"{signing}","keys":[{}]}}"#,
                keys.join(",")
            )
        };
        for (text, needle) in [
            ("{".to_owned(), "not JSON"),
            (
                r#"{"signing_key":"x","keys":[{"sid":"hunter2-secret"}]}"#.to_owned(),
                "expected",
            ),
            (
                r#"{"signing_key":1,"keys":"hunter2-secret"}"#.to_owned(),
                "expected",
            ),
            (
                file(A, &[key("SKshort", "hunter2-secret")]),
                "not an API key SID",
            ),
            (file(A, &[key(A, "")]), "empty secret"),
            (
                file(A, &[key(A, "hunter2-secret"), key(A, "hunter2-secret")]),
                "listed twice",
            ),
            (file(B, &[key(A, "hunter2-secret")]), "signing_key"),
            // Swapped fields, or the secret where the signing key's SID belongs: the entry is
            // named, its value never quoted.
            (
                file(A, &[key(A, "x"), key("hunter2-secret", B)]),
                "keys[1].sid is not an API key SID",
            ),
            (
                file("hunter2-secret", &[key(A, "hunter2-secret")]),
                "signing_key is not an API key SID",
            ),
        ] {
            let e = KeysFile::parse(&text).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
            assert!(!e.contains("hunter2"), "{e}");
        }
    }
}
