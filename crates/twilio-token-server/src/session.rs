//! Session cookies: a random id, signed, stored only as its SHA-256.
//!
//! The cookie is `base64url(id).base64url(HMAC-SHA256(key, id))`. The signature lets the
//! server refuse forged cookies without a database read; the hash in the database means a copy
//! of it holds no usable session; deleting the row ends the session at once.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, header};
use base64_simd::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

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
    key: Hmac<Sha256>,
    secure: bool,
    /// Finds the cookie's name in a `Cookie` header (built once: building is most of a search).
    name: memchr::memmem::Finder<'static>,
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

/// SHA-256 of a session's id: the store's key (the id itself is never stored).
pub type IdHash = [u8; 32];

/// A new session: the cookie value for the client and the hash for the store.
pub struct NewSession {
    /// The `Set-Cookie` header.
    pub set_cookie: HeaderValue,
    /// The store's key.
    pub id_hash: IdHash,
}

impl Sessions {
    /// Cookies signed with `key`; `secure` adds `Secure` (and the `__Host-` prefix).
    pub fn new(key: &[u8], secure: bool, ttl: i64) -> Self {
        Sessions {
            key: Hmac::new_from_slice(key).expect("HMAC accepts keys of any length"),
            secure,
            name: memchr::memmem::Finder::new(cookie_name(secure)),
            ttl,
        }
    }

    /// A fresh session.
    pub fn create(&self) -> NewSession {
        let id: [u8; 32] = rand_bytes();
        let tag = self.key.clone().chain_update(id).finalize().into_bytes();
        let value = format!("{}.{}", B64.encode_to_string(id), B64.encode_to_string(tag));
        NewSession {
            set_cookie: self.header(&value, self.ttl),
            id_hash: id_hash(&id),
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
    pub fn from_request(&self, headers: &HeaderMap) -> Option<IdHash> {
        let value = headers
            .get_all(header::COOKIE)
            .iter()
            .find_map(|h| cookie_value(h.as_bytes(), &self.name))?;
        // Both halves are 32 bytes, 43 base64url characters: decode on the stack.
        let (id, tag) = match value.split_at_checked(43)? {
            (id, [b'.', tag @ ..]) if tag.len() == 43 => (id, tag),
            _ => return None,
        };
        let (mut id_bytes, mut tag_bytes) = ([0u8; 32], [0u8; 32]);
        B64.decode(id, base64_simd::Out::from_slice(&mut id_bytes))
            .ok()?;
        B64.decode(tag, base64_simd::Out::from_slice(&mut tag_bytes))
            .ok()?;
        // `verify_slice` compares the tags in constant time.
        self.key
            .clone()
            .chain_update(id_bytes)
            .verify_slice(&tag_bytes)
            .ok()?;
        Some(id_hash(&id_bytes))
    }
}

/// The value of the cookie `name` (what the finder looks for) in a `Cookie` header
/// (`a=1; name=value; b=2`).
fn cookie_value<'h>(header: &'h [u8], name: &memchr::memmem::Finder<'_>) -> Option<&'h [u8]> {
    let len = name.needle().len();
    let mut rest = header;
    while let Some(at) = name.find(rest) {
        let starts_pair = at == 0 || matches!(rest[at - 1], b' ' | b';');
        let after = &rest[at + len..];
        if starts_pair && after.first() == Some(&b'=') {
            let value = &after[1..];
            let end = memchr::memchr(b';', value).unwrap_or(value.len());
            return Some(value[..end].trim_ascii_end());
        }
        rest = &rest[at + 1..];
    }
    None
}

fn id_hash(id: &[u8; 32]) -> IdHash {
    Sha256::digest(id).into()
}

/// Recently checked sessions, so that a refresh does not read the database every time.
///
/// An entry is trusted for `freshness` after it was read: logout removes it at once, and a
/// password change or a disable made by another process (`twilio-token users ...`) reaches a
/// running server within that time. On PostgreSQL every revocation reaches the cache as it
/// commits, through the store's events ([`crate::events`]); while they may be missed (the
/// notification connection is lost), the cache holds nothing.
#[derive(Debug)]
pub struct SessionCache {
    entries: std::sync::Mutex<std::collections::HashMap<IdHash, Cached, BuildIdHasher>>,
    freshness: std::time::Duration,
    trusted: std::sync::atomic::AtomicBool,
}

/// A session's user and when it was read from the store.
type Cached = (Arc<crate::store::User>, std::time::Instant);

/// Entries kept at most; past it the cache starts over.
const MAX_CACHED: usize = 100_000;

/// Session hashes are SHA-256 outputs of verified ids: already uniform, so their first bytes
/// are their hash, and SipHash's cost buys nothing.
type BuildIdHasher = std::hash::BuildHasherDefault<IdHasher>;

#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        self.0 ^= u64::from_le_bytes(word);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl SessionCache {
    /// A cache that trusts what it read for `freshness`.
    pub fn new(freshness: std::time::Duration) -> Self {
        SessionCache {
            entries: std::sync::Mutex::default(),
            freshness,
            trusted: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// The session's user, if it was read from the store within the freshness time.
    pub fn get(&self, id_hash: &IdHash) -> Option<Arc<crate::store::User>> {
        if !self.trusted() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(id_hash)
            .filter(|(_, read)| read.elapsed() < self.freshness)
            .map(|(user, _)| Arc::clone(user))
    }

    /// Remembers a session's user, as just read from the store.
    pub fn put(&self, id_hash: IdHash, user: Arc<crate::store::User>) {
        if !self.trusted() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_CACHED {
            entries.clear();
        }
        entries.insert(id_hash, (user, std::time::Instant::now()));
    }

    /// Forgets a session (logout).
    pub fn remove(&self, id_hash: &IdHash) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id_hash);
    }

    /// Forgets every session of the user named `name` (a password change, a disable).
    pub fn remove_user(&self, name: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (user, _)| user.name != name);
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Whether entries are kept and used: false while revocations may be missed.
    pub fn trusted(&self) -> bool {
        self.trusted.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Starts or stops trusting entries; stopping forgets them all, since what was revoked
    /// meanwhile is not known.
    pub fn set_trusted(&self, trusted: bool) {
        if !trusted {
            self.trusted
                .store(false, std::sync::atomic::Ordering::Release);
        }
        self.clear();
        if trusted {
            self.trusted
                .store(true, std::sync::atomic::Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others_by_its_exact_name() {
        let s = memchr::memmem::Finder::new("s");
        assert_eq!(cookie_value(b"a=1; s=v; b=2", &s), Some(&b"v"[..]));
        assert_eq!(cookie_value(b"s=v", &s), Some(&b"v"[..]));
        assert_eq!(cookie_value(b"xs=1;s=v ", &s), Some(&b"v"[..]));
        assert_eq!(cookie_value(b"s=; s=v", &s), Some(&b""[..]));
        assert_eq!(cookie_value(b"xs=1; s2=3; a=s", &s), None);
        assert_eq!(cookie_value(b"__Host-s=v", &s), None);
        assert_eq!(cookie_value(b"s", &s), None);
    }

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
            Some(new.id_hash)
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
