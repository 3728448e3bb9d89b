//! Session cookies: a random id, signed, stored only as its SHA-256.
//!
//! The cookie is `base64url(id).base64url(HMAC-SHA256(key, id))`. The signature lets the
//! server refuse forged cookies without a database read; the hash in the database means a copy
//! of it holds no usable session; deleting the row ends the session at once.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, header};
use base64_simd::URL_SAFE_NO_PAD as B64;
use ring::digest::{SHA256, digest};
use ring::hmac;
use subtle::ConstantTimeEq;

use crate::passwords::rand_bytes;

/// The cookie's name. The `__Host-` prefix (only with `Secure`) pins it to this origin and path.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-twilio-token-session"
    } else {
        "twilio-token-session"
    }
}

/// Signs and reads session cookies.
#[derive(Clone)]
pub struct Sessions {
    key: hmac::Key,
    secure: bool,
    /// Seconds a session lives.
    pub ttl: i64,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("secure", &self.secure)
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// A new session: the cookie value for the client and the hash for the store.
pub struct NewSession {
    /// The `Set-Cookie` header.
    pub set_cookie: HeaderValue,
    /// SHA-256 of the id, the store's key.
    pub id_hash: Vec<u8>,
}

impl Sessions {
    /// Cookies signed with `key`; `secure` adds `Secure` (and the `__Host-` prefix).
    pub fn new(key: &[u8], secure: bool, ttl: i64) -> Self {
        Sessions {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
            secure,
            ttl,
        }
    }

    /// A fresh session.
    pub fn create(&self) -> NewSession {
        let id: [u8; 32] = rand_bytes();
        let tag = hmac::sign(&self.key, &id);
        let value = format!(
            "{}.{}",
            B64.encode_to_string(id),
            B64.encode_to_string(tag.as_ref())
        );
        NewSession {
            set_cookie: self.header(&value, self.ttl),
            id_hash: digest(&SHA256, &id).as_ref().to_vec(),
        }
    }

    /// A `Set-Cookie` that deletes the cookie.
    pub fn clear(&self) -> HeaderValue {
        self.header("", 0)
    }

    fn header(&self, value: &str, max_age: i64) -> HeaderValue {
        let name = cookie_name(self.secure);
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Strict{secure}"
        ))
        .expect("cookie is ASCII")
    }

    /// The store key of the request's session cookie, if it carries one with a valid signature.
    pub fn from_request(&self, headers: &HeaderMap) -> Option<Vec<u8>> {
        let name = cookie_name(self.secure);
        let value = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|h| h.to_str().ok())
            .flat_map(|h| h.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)?;
        let (id, tag) = value.split_once('.')?;
        // Both halves are 32 bytes, 43 base64url characters: decode on the stack.
        if id.len() != 43 || tag.len() != 43 {
            return None;
        }
        let (mut id_bytes, mut tag_bytes) = ([0u8; 32], [0u8; 32]);
        B64.decode(id.as_bytes(), base64_simd::Out::from_slice(&mut id_bytes))
            .ok()?;
        B64.decode(tag.as_bytes(), base64_simd::Out::from_slice(&mut tag_bytes))
            .ok()?;
        let expected = hmac::sign(&self.key, &id_bytes);
        if !bool::from(expected.as_ref().ct_eq(&tag_bytes)) {
            return None;
        }
        let id = id_bytes;
        Some(digest(&SHA256, &id).as_ref().to_vec())
    }
}

/// Recently checked sessions, so that a refresh does not read the database every time.
///
/// An entry is trusted for `freshness` after it was read: logout removes it at once, and a
/// password change or a disable made by another process (`twilio-token users ...`) reaches a
/// running server within that time.
#[derive(Debug)]
pub struct SessionCache {
    entries: std::sync::Mutex<std::collections::HashMap<Vec<u8>, Cached>>,
    freshness: std::time::Duration,
}

/// A session's user and when it was read from the store.
type Cached = (Arc<crate::store::User>, std::time::Instant);

/// Entries kept at most; past it the cache starts over.
const MAX_CACHED: usize = 100_000;

impl SessionCache {
    /// A cache that trusts what it read for `freshness`.
    pub fn new(freshness: std::time::Duration) -> Self {
        SessionCache {
            entries: std::sync::Mutex::default(),
            freshness,
        }
    }

    /// The session's user, if it was read from the store within the freshness time.
    pub fn get(&self, id_hash: &[u8]) -> Option<Arc<crate::store::User>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(id_hash)
            .filter(|(_, read)| read.elapsed() < self.freshness)
            .map(|(user, _)| Arc::clone(user))
    }

    /// Remembers a session's user, as just read from the store.
    pub fn put(&self, id_hash: Vec<u8>, user: Arc<crate::store::User>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_CACHED {
            entries.clear();
        }
        entries.insert(id_hash, (user, std::time::Instant::now()));
    }

    /// Forgets a session (logout).
    pub fn remove(&self, id_hash: &[u8]) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id_hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(cookie: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        h
    }

    #[test]
    fn cookies_round_trip_and_forgeries_fail() {
        let sessions = Sessions::new(b"k", true, 60);
        let new = sessions.create();
        let set = new.set_cookie.to_str().unwrap();
        for attribute in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Max-Age=60",
            "Path=/",
            "__Host-",
        ] {
            assert!(set.contains(attribute), "{set}");
        }
        let pair = set.split(';').next().unwrap();
        assert_eq!(
            sessions.from_request(&request_with(&format!("a=b; {pair}"))),
            Some(new.id_hash.clone())
        );
        // Another key's cookie, a tampered id, garbage.
        let other = Sessions::new(b"other", true, 60).create();
        let other_pair = other
            .set_cookie
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(sessions.from_request(&request_with(&other_pair)), None);
        let tampered = pair.replacen('.', "A.", 1);
        assert_eq!(sessions.from_request(&request_with(&tampered)), None);
        assert_eq!(
            sessions.from_request(&request_with("__Host-twilio-token-session=x")),
            None
        );
        assert_eq!(sessions.from_request(&HeaderMap::new()), None);
    }

    #[test]
    fn insecure_cookies_are_only_for_local_http() {
        let set = Sessions::new(b"k", false, 60).create().set_cookie;
        let set = set.to_str().unwrap();
        assert!(!set.contains("Secure") && !set.contains("__Host-"), "{set}");
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
    }
}
