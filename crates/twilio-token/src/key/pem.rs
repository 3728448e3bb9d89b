//! Keys from PEM: private keys by family, public keys as SubjectPublicKeyInfo (`BEGIN PUBLIC
//! KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`).

use std::sync::Arc;

use super::{PublicKey, rsa};
use crate::algorithm::Family;
use crate::error::{ErrorKind, Result, err};

pub(crate) fn parse(pem: &[u8]) -> Result<pem::Pem> {
    pem::parse(pem).map_err(|_| ErrorKind::InvalidKey("not a PEM document").into())
}

/// A public key PEM of any family.
pub(super) fn public_key(block: &pem::Pem) -> Result<PublicKey> {
    match block.tag() {
        "RSA PUBLIC KEY" => Ok(PublicKey::Rsa(rsa::PublicKey::from_pkcs1(
            block.contents().into(),
        )?)),
        "PUBLIC KEY" => from_spki(block.contents()),
        _ => err(ErrorKind::InvalidKey("expected a public key PEM")),
    }
}

/// The public key inside a SubjectPublicKeyInfo: RSA, EC on P-256 or P-384, or Ed25519.
fn from_spki(der: &[u8]) -> Result<PublicKey> {
    use spki::ObjectIdentifier as Oid;
    use spki::der::Decode;
    const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
    const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
    const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
    const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
    const ED25519: Oid = Oid::new_unwrap("1.3.101.112");
    let invalid = || ErrorKind::InvalidKey("public key DER is not valid");
    let info = spki::SubjectPublicKeyInfoRef::from_der(der).map_err(|_| invalid())?;
    let key: Arc<[u8]> = info
        .subject_public_key
        .as_bytes()
        .ok_or_else(invalid)?
        .into();
    let curve = info
        .algorithm
        .parameters
        .and_then(|p| p.decode_as::<Oid>().ok());
    Ok(match info.algorithm.oid {
        RSA_ENCRYPTION => PublicKey::Rsa(rsa::PublicKey::from_pkcs1(key)?),
        EC_PUBLIC_KEY if curve == Some(P256) && key.len() == 65 => {
            PublicKey::Ec(Family::EcP256, key)
        }
        EC_PUBLIC_KEY if curve == Some(P384) && key.len() == 97 => {
            PublicKey::Ec(Family::EcP384, key)
        }
        EC_PUBLIC_KEY => {
            return err(ErrorKind::InvalidKey(
                "EC public key is not an uncompressed P-256 or P-384 point",
            ));
        }
        ED25519 if key.len() == 32 => PublicKey::Ed(key),
        _ => return err(ErrorKind::InvalidKey("unsupported public key type")),
    })
}
