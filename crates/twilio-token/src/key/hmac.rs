//! HMAC keys (HS256, HS384, HS512). The secret's inner and outer hash states are computed once,
//! so signing or verifying hashes only the message: HS256's when the key is made, HS384's and
//! HS512's when first used, since most keys only ever see one algorithm and a key made for one
//! token should cost one state. RustCrypto's hmac and sha2, which use the CPU's SHA extensions.
//!
//! A signer's messages often begin alike (a token type's fixed header, then claims that start
//! with the same issuer), so HS256 also keeps the state after the first whole blocks of the
//! first message the key signs, and hashes any later message that begins with those bytes
//! from there. Only signing fills it, never verifying: a token from outside cannot choose it.

use std::sync::OnceLock;

use ::hmac::digest::KeyInit;
use ::hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;

use super::Signature;
use crate::algorithm::Algorithm;

#[derive(Clone)]
pub(crate) struct HmacKey {
    secret: Box<[u8]>,
    hs256: Hmac<Sha256>,
    /// The leading blocks of the first message signed with HS256, and the state after them.
    signed_prefix: OnceLock<(Box<[u8]>, Hmac<Sha256>)>,
    hs384: OnceLock<Hmac<Sha384>>,
    hs512: OnceLock<Hmac<Sha512>>,
}

/// How many SHA-256 blocks of a signed message's beginning are kept.
const PREFIX_BLOCKS: usize = 2;

impl HmacKey {
    pub fn new(secret: &[u8]) -> Self {
        HmacKey {
            secret: secret.into(),
            hs256: state(secret),
            signed_prefix: OnceLock::new(),
            hs384: OnceLock::new(),
            hs512: OnceLock::new(),
        }
    }

    /// An empty secret is a missing key: it signs and verifies nothing.
    pub fn is_empty(&self) -> bool {
        self.secret.is_empty()
    }

    /// Signs `message` with `alg`, which the caller has checked is an HMAC algorithm.
    pub fn sign(&self, alg: Algorithm, message: &[u8]) -> Signature {
        if alg == Algorithm::HS256 && self.signed_prefix.get().is_none() {
            let len = (message.len() / 64).min(PREFIX_BLOCKS) * 64;
            if len > 0 {
                let (prefix, rest) = message.split_at(len);
                let state = self.hs256.clone().chain_update(prefix);
                let tag = finish(&state, rest);
                let _ = self.signed_prefix.set((prefix.into(), state));
                return tag;
            }
        }
        self.tag(alg, message)
    }

    /// The tag of `message` under `alg`: HS256 from the kept prefix's state when the message
    /// begins with it.
    fn tag(&self, alg: Algorithm, message: &[u8]) -> Signature {
        match alg {
            Algorithm::HS384 => finish(self.hs384.get_or_init(|| state(&self.secret)), message),
            Algorithm::HS512 => finish(self.hs512.get_or_init(|| state(&self.secret)), message),
            _ => match self
                .signed_prefix
                .get()
                .and_then(|(prefix, state)| Some((message.strip_prefix(&prefix[..])?, state)))
            {
                Some((rest, state)) => finish(state, rest),
                None => finish(&self.hs256, message),
            },
        }
    }

    /// Whether `signature` is `alg`'s full-length tag of `message`, compared in constant time
    /// (its length is not secret).
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        let tag = self.tag(alg, message);
        let tag = tag.as_ref();
        if tag.len() != signature.len() {
            return false;
        }
        // Word by word (tags are 4, 6 or 8 words): the same constant time as byte by byte,
        // an eighth of the barriers.
        let words = |bytes: &[u8]| {
            let mut words = [0u64; 8];
            for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
                *word = u64::from_ne_bytes(chunk.try_into().expect("8 bytes"));
            }
            words
        };
        let n = tag.len() / 8;
        words(tag)[..n].ct_eq(&words(signature)[..n]).into()
    }
}

/// The tag of `message` hashed on from `state`.
fn finish(state: &(impl Mac + Clone), message: &[u8]) -> Signature {
    Signature::new(&state.clone().chain_update(message).finalize().into_bytes())
}

/// An HMAC key state; HMAC takes a key of any length.
fn state<M: KeyInit>(secret: &[u8]) -> M {
    M::new_from_slice(secret).expect("HMAC accepts keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After the first signature, messages that begin with the kept blocks, with part of them
    /// or with none still get ring's HMAC (an independent implementation), and verifying,
    /// genuine or forged, never sets the kept blocks.
    #[test]
    fn the_kept_prefix_gives_the_plain_hmac() {
        let secret = b"api key secret";
        let plain = |message: &[u8]| {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
            ring::hmac::sign(&key, message).as_ref().to_vec()
        };
        let verifier = HmacKey::new(secret);
        let first: Vec<u8> = (0..300u32).map(|i| b'a' + (i % 26) as u8).collect();
        assert!(verifier.verify(Algorithm::HS256, &first, &plain(&first)));
        assert!(!verifier.verify(Algorithm::HS256, &first, &[0; 32]));
        assert!(verifier.signed_prefix.get().is_none());

        let key = HmacKey::new(secret);
        assert_eq!(key.sign(Algorithm::HS256, &first).as_ref(), plain(&first));
        let (prefix, _) = key.signed_prefix.get().expect("kept");
        assert_eq!(&prefix[..], &first[..128]);
        for len in [0, 1, 63, 64, 127, 128, 129, 200, 300] {
            let mut same_start = first[..len].to_vec();
            same_start.extend_from_slice(b"-and more");
            let mut other = same_start.clone();
            other[0] ^= 1;
            for m in [&first[..len], &same_start[..], &other[..]] {
                assert_eq!(key.sign(Algorithm::HS256, m).as_ref(), plain(m), "{len}");
                assert!(key.verify(Algorithm::HS256, m, &plain(m)));
            }
        }
    }

    /// HS384's and HS512's states, made on first use, give ring's HMAC too.
    #[test]
    fn the_later_states_give_the_plain_hmac() {
        let secret = vec![7u8; 200];
        let key = HmacKey::new(&secret);
        for (alg, ring_alg) in [
            (Algorithm::HS384, ring::hmac::HMAC_SHA384),
            (Algorithm::HS512, ring::hmac::HMAC_SHA512),
        ] {
            let plain = ring::hmac::sign(&ring::hmac::Key::new(ring_alg, &secret), b"message");
            assert_eq!(key.sign(alg, b"message").as_ref(), plain.as_ref());
            assert!(key.verify(alg, b"message", plain.as_ref()));
            assert!(!key.verify(alg, b"massage", plain.as_ref()));
        }
    }
}
