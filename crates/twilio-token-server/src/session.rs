//! Session cookies: a random id, signed, stored only as its SHA-256.
//!
//! The cookie is `base64url(id).base64url(HMAC-SHA256(key, id))`. The signature lets the
//! server refuse forged cookies without a database read; the hash in the database means a copy
//! of it holds no usable session; deleting the row ends the session at once.

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
        let id = B64.decode_to_vec(id).ok()?;
        let tag = B64.decode_to_vec(tag).ok()?;
        let expected = hmac::sign(&self.key, &id);
        if id.len() != 32 || !bool::from(expected.as_ref().ct_eq(&tag)) {
            return None;
        }
        Some(digest(&SHA256, &id).as_ref().to_vec())
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
