//! Ed25519 keys (EdDSA, RFC 8037), signed and verified by ring.

use ring::signature::{self, Ed25519KeyPair, KeyPair};

use crate::error::{ErrorKind, Result, err};

/// A private key from a PKCS#8 document (v1 or v2).
pub(crate) fn key_pair(pkcs8: &[u8]) -> Result<Ed25519KeyPair> {
    Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
        .map_err(|_| ErrorKind::InvalidKey("not an Ed25519 private key").into())
}

pub(crate) fn sign(pair: &Ed25519KeyPair, message: &[u8]) -> Vec<u8> {
    pair.sign(message).as_ref().to_vec()
}

pub(crate) fn public_key(pair: &Ed25519KeyPair) -> &[u8] {
    pair.public_key().as_ref()
}

/// Checks a public key's length (a JWK's `x`, an SPKI's key).
pub(crate) fn check_public_key(x: &[u8]) -> Result<()> {
    if x.len() != 32 {
        return err(ErrorKind::InvalidKey("an Ed25519 public key is 32 bytes"));
    }
    Ok(())
}

pub(crate) fn verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    signature::UnparsedPublicKey::new(&signature::ED25519, public_key)
        .verify(message, signature)
        .is_ok()
}
