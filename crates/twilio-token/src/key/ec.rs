//! ECDSA keys: ES256 on P-256 and ES384 on P-384, signed and verified by ring (which refuses the
//! zero-valued signatures of CVE-2022-21449).

use ring::signature::{self, EcdsaKeyPair, KeyPair};

use crate::algorithm::Family;
use crate::error::{ErrorKind, Result, err};

/// A private key from a PKCS#8 document, with its curve.
pub(crate) fn key_pair(pkcs8: &[u8]) -> Result<(EcdsaKeyPair, Family)> {
    let rng = ring::rand::SystemRandom::new();
    for (alg, family) in [
        (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, Family::EcP256),
        (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, Family::EcP384),
    ] {
        if let Ok(pair) = EcdsaKeyPair::from_pkcs8(alg, pkcs8, &rng) {
            return Ok((pair, family));
        }
    }
    err(ErrorKind::InvalidKey("not a P-256 or P-384 private key"))
}

pub(crate) fn sign(pair: &EcdsaKeyPair, message: &[u8]) -> Result<Vec<u8>> {
    pair.sign(&ring::rand::SystemRandom::new(), message)
        .map(|sig| sig.as_ref().to_vec())
        .map_err(|_| ErrorKind::InvalidKey("ECDSA signing failed").into())
}

/// The uncompressed point (`04 || x || y`) of a private key.
pub(crate) fn public_point(pair: &EcdsaKeyPair) -> &[u8] {
    pair.public_key().as_ref()
}

/// The uncompressed point of affine coordinates, with its curve (by their size).
pub(crate) fn point(x: &[u8], y: &[u8]) -> Result<(Family, Vec<u8>)> {
    let family = match (x.len(), y.len()) {
        (32, 32) => Family::EcP256,
        (48, 48) => Family::EcP384,
        _ => {
            return err(ErrorKind::InvalidKey(
                "EC coordinates must be 32 (P-256) or 48 (P-384) bytes each",
            ));
        }
    };
    let mut point = Vec::with_capacity(1 + x.len() + y.len());
    point.push(4);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    Ok((family, point))
}

/// Whether `signature` (fixed-size `r || s`) signs `message` under the point on `family`'s curve.
pub(crate) fn verify(family: Family, point: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let params = match family {
        Family::EcP384 => &signature::ECDSA_P384_SHA384_FIXED,
        _ => &signature::ECDSA_P256_SHA256_FIXED,
    };
    signature::UnparsedPublicKey::new(params, point)
        .verify(message, signature)
        .is_ok()
}
