//! RSA keys: RS256/384/512 (PKCS#1 v1.5) and PS256/384/512 (PSS), signed and verified by ring,
//! 2048 to 8192 bits.

use std::sync::Arc;

use ring::signature::{self, RsaKeyPair};

use crate::algorithm::Algorithm;
use crate::error::{ErrorKind, Result, err};

/// A private key from a PEM block: PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`).
pub(crate) fn key_pair(block: &pem::Pem) -> Result<RsaKeyPair> {
    match block.tag() {
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(block.contents()),
        "PRIVATE KEY" => RsaKeyPair::from_pkcs8(block.contents()),
        _ => return err(ErrorKind::InvalidKey("expected an RSA private key PEM")),
    }
    .map_err(|e| ErrorKind::InvalidKey(rejected(e)).into())
}

pub(crate) fn sign(pair: &RsaKeyPair, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>> {
    let padding: &'static dyn signature::RsaEncoding = match alg {
        Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_SHA384,
        _ => &signature::RSA_PSS_SHA512,
    };
    let mut sig = vec![0; pair.public().modulus_len()];
    pair.sign(padding, &ring::rand::SystemRandom::new(), message, &mut sig)
        .map_err(|_| ErrorKind::InvalidKey("RSA signing failed"))?;
    Ok(sig)
}

/// A public key: an `RSAPublicKey` (PKCS#1) DER, or a JWK's modulus and exponent.
#[derive(Clone)]
pub(crate) enum PublicKey {
    Der(Arc<[u8]>),
    Components { n: Arc<[u8]>, e: Arc<[u8]> },
}

impl PublicKey {
    /// A PKCS#1 `RSAPublicKey`, after checking its modulus as a JWK's is checked.
    pub fn from_pkcs1(der: Arc<[u8]>) -> Result<Self> {
        use spki::der::asn1::UintRef;
        use spki::der::{Decode, Reader, SliceReader};
        let invalid = || ErrorKind::InvalidKey("RSA public key DER is not valid");
        let mut reader = SliceReader::new(&der).map_err(|_| invalid())?;
        let n = reader
            .sequence(|r| {
                let n = UintRef::decode(r)?;
                UintRef::decode(r)?;
                Ok(n.as_bytes().to_vec())
            })
            .map_err(|_| invalid())?;
        check_modulus(&n)?;
        Ok(PublicKey::Der(der))
    }

    /// From big-endian modulus and exponent; leading zeros are tolerated.
    pub fn from_components(n: &[u8], e: &[u8]) -> Self {
        let trim = |b: &[u8]| -> Arc<[u8]> {
            let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
            b[start..].into()
        };
        PublicKey::Components {
            n: trim(n),
            e: trim(e),
        }
    }

    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        let params = match alg {
            Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
            Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
            _ => &signature::RSA_PSS_2048_8192_SHA512,
        };
        match self {
            PublicKey::Der(der) => signature::UnparsedPublicKey::new(params, der.as_ref())
                .verify(message, signature)
                .is_ok(),
            PublicKey::Components { n, e } => signature::RsaPublicKeyComponents {
                n: n.as_ref(),
                e: e.as_ref(),
            }
            .verify(params, message, signature)
            .is_ok(),
        }
    }
}

fn rejected(e: ring::error::KeyRejected) -> &'static str {
    match e.to_string().as_str() {
        "TooSmall" => "RSA key is smaller than 2048 bits",
        "TooLarge" => "RSA key is larger than 8192 bits",
        "InvalidEncoding" => "RSA key DER is not valid",
        _ => "RSA key rejected",
    }
}

/// Refuses an RSA modulus outside 2048 to 8192 bits (what ring verifies with) or one with the
/// ROCA fingerprint.
pub(crate) fn check_modulus(n: &[u8]) -> Result<()> {
    let n = &n[n.iter().position(|&b| b != 0).unwrap_or(n.len())..];
    let bits = n.first().map_or(0, |&top| {
        (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize)
    });
    if !(2048..=8192).contains(&bits) {
        return err(ErrorKind::InvalidKey(
            "the RSA modulus is not 2048 to 8192 bits long",
        ));
    }
    if has_roca_fingerprint(n) {
        return err(ErrorKind::InvalidKey(
            "the RSA key has the ROCA fingerprint (CVE-2017-15361): its private key can be computed",
        ));
    }
    Ok(())
}

/// Whether an RSA modulus has the structure of the keys Infineon's RSALib generated (ROCA,
/// CVE-2017-15361), whose factors can be found: for each small prime p of the detector of Nemec
/// et al., `n mod p` lies in the subgroup that 65537 generates modulo p.
fn has_roca_fingerprint(n: &[u8]) -> bool {
    const PRIMES: [u32; 38] = [
        3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
        97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
    ];
    PRIMES.iter().all(|&p| {
        let residue = n.iter().fold(0, |r, &b| (r * 256 + u32::from(b)) % p);
        let generator = 65_537 % p;
        let mut power = 1;
        loop {
            if power == residue {
                return true;
            }
            power = power * generator % p;
            if power == 1 {
                return false;
            }
        }
    })
}
