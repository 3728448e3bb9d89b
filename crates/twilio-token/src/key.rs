//! Signing and verification keys.
//!
//! An HMAC key computes its inner and outer hash state once, when it is made, so that minting
//! or verifying a token hashes only the token.

use std::fmt;
use std::sync::Arc;

use ring::hmac;
use ring::signature::{self, RsaKeyPair};

use crate::algorithm::{Algorithm, Family};
use crate::error::{ErrorKind, Result, err};

/// A key that signs tokens: an HMAC secret or an RSA private key.
///
/// ```
/// use twilio_token::EncodingKey;
/// let key = EncodingKey::from_secret(b"api key secret");
/// assert!(EncodingKey::from_rsa_pem(b"not a pem").is_err());
/// # let _ = key;
/// ```
#[derive(Clone)]
pub struct EncodingKey(EncodingInner);

#[derive(Clone)]
enum EncodingInner {
    /// Shared, so that cloning a key (one per token minted, in a server) copies no hash state.
    Hmac(Arc<HmacSecret>),
    Rsa(Arc<RsaKeyPair>),
}

/// An HMAC secret with its HS256 key state computed up front, and the state after the first
/// 64 bytes of every access token (its constant header), so each one hashes only what follows.
#[derive(Clone)]
struct HmacSecret {
    secret: Arc<[u8]>,
    hs256: hmac::Key,
    after_access_header: hmac::Context,
}

/// One SHA-256 block of the access token's encoded header.
const ACCESS_BLOCK: &[u8] = crate::jws::ACCESS_HEADER_B64.as_bytes().split_at(64).0;

impl HmacSecret {
    fn new(secret: &[u8]) -> Self {
        let hs256 = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let mut after_access_header = hmac::Context::with_key(&hs256);
        after_access_header.update(ACCESS_BLOCK);
        HmacSecret {
            secret: secret.into(),
            hs256,
            after_access_header,
        }
    }

    /// The HS256 tag of `message`.
    fn hs256_tag(&self, message: &[u8]) -> hmac::Tag {
        match message.strip_prefix(ACCESS_BLOCK) {
            Some(rest) => {
                let mut context = self.after_access_header.clone();
                context.update(rest);
                context.sign()
            }
            None => hmac::sign(&self.hs256, message),
        }
    }

    fn key(&self, alg: Algorithm) -> Option<hmac::Key> {
        match alg {
            Algorithm::HS256 => Some(self.hs256.clone()),
            _ => alg.hmac().map(|a| hmac::Key::new(a, &self.secret)),
        }
    }
}

impl EncodingKey {
    /// An HMAC key (HS256, HS384, HS512) from the secret's bytes, e.g. a Twilio API key secret
    /// or auth token.
    pub fn from_secret(secret: &[u8]) -> Self {
        EncodingKey(EncodingInner::Hmac(Arc::new(HmacSecret::new(secret))))
    }

    /// An RSA private key from PEM: PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8
    /// (`BEGIN PRIVATE KEY`), at least 2048 bits.
    pub fn from_rsa_pem(pem: &[u8]) -> Result<Self> {
        let block = parse_pem(pem)?;
        let pair = match block.tag() {
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(block.contents()),
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(block.contents()),
            _ => return err(ErrorKind::InvalidKey("expected an RSA private key PEM")),
        }
        .map_err(|e| ErrorKind::InvalidKey(rejected(e)))?;
        Ok(EncodingKey(EncodingInner::Rsa(Arc::new(pair))))
    }

    /// The key that verifies what this key signs.
    pub fn to_decoding_key(&self) -> DecodingKey {
        match &self.0 {
            EncodingInner::Hmac(s) => DecodingKey(DecodingInner::Hmac(s.clone())),
            EncodingInner::Rsa(pair) => {
                DecodingKey(DecodingInner::RsaDer(Arc::from(pair.public().as_ref())))
            }
        }
    }

    pub(crate) fn family(&self) -> Family {
        match self.0 {
            EncodingInner::Hmac(_) => Family::Hmac,
            EncodingInner::Rsa(_) => Family::Rsa,
        }
    }

    /// An empty HMAC secret signs nothing (the reference raises "JWT does not have a signing
    /// key configured").
    pub(crate) fn check_usable(&self) -> Result<()> {
        match &self.0 {
            EncodingInner::Hmac(s) if s.secret.is_empty() => {
                err(ErrorKind::InvalidKey("the signing secret is empty"))
            }
            _ => Ok(()),
        }
    }

    /// Signs `message`.
    pub(crate) fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>> {
        if alg.family() != self.family() {
            return err(ErrorKind::InvalidKey("key does not fit the algorithm"));
        }
        match &self.0 {
            EncodingInner::Hmac(s) => {
                let key = s.key(alg).expect("HMAC family checked above");
                Ok(hmac::sign(&key, message).as_ref().to_vec())
            }
            EncodingInner::Rsa(pair) => {
                let padding: &'static dyn signature::RsaEncoding = match alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
                    _ => &signature::RSA_PKCS1_SHA512,
                };
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &ring::rand::SystemRandom::new(), message, &mut sig)
                    .map_err(|_| ErrorKind::InvalidKey("RSA signing failed"))?;
                Ok(sig)
            }
        }
    }

    /// HS256 fast path: the tag of `message` from the precomputed key state, if this is an
    /// HMAC key.
    pub(crate) fn hs256_tag(&self, message: &[u8]) -> Option<hmac::Tag> {
        match &self.0 {
            EncodingInner::Hmac(s) => Some(s.hs256_tag(message)),
            EncodingInner::Rsa(_) => None,
        }
    }
}

impl fmt::Debug for EncodingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.write_str(match self.0 {
            EncodingInner::Hmac(_) => "EncodingKey(Hmac)",
            EncodingInner::Rsa(_) => "EncodingKey(Rsa)",
        })
    }
}

/// A key that verifies tokens: an HMAC secret or an RSA public key.
///
/// ```
/// use twilio_token::{Algorithm, DecodingKey, EncodingKey};
/// let key = DecodingKey::from_secret(b"api key secret");
/// let rsa = DecodingKey::from_rsa_components(&[0xc5; 256], &[1, 0, 1]);
/// # let _ = (key, rsa);
/// ```
#[derive(Clone)]
pub struct DecodingKey(DecodingInner);

#[derive(Clone)]
enum DecodingInner {
    Hmac(Arc<HmacSecret>),
    /// An `RSAPublicKey` (PKCS#1) DER.
    RsaDer(Arc<[u8]>),
    RsaComponents {
        n: Arc<[u8]>,
        e: Arc<[u8]>,
    },
}

impl DecodingKey {
    /// An HMAC key (HS256, HS384, HS512) from the secret's bytes.
    pub fn from_secret(secret: &[u8]) -> Self {
        DecodingKey(DecodingInner::Hmac(Arc::new(HmacSecret::new(secret))))
    }

    /// An RSA public key from PEM: `BEGIN PUBLIC KEY` (SubjectPublicKeyInfo), `BEGIN RSA PUBLIC
    /// KEY` (PKCS#1), or a private key PEM whose public half is taken.
    pub fn from_rsa_pem(pem: &[u8]) -> Result<Self> {
        let block = parse_pem(pem)?;
        let der: Arc<[u8]> = match block.tag() {
            "RSA PUBLIC KEY" => block.contents().into(),
            "PUBLIC KEY" => rsa_key_from_spki(block.contents())?.into(),
            "RSA PRIVATE KEY" | "PRIVATE KEY" => {
                return Ok(EncodingKey::from_rsa_pem(pem)?.to_decoding_key());
            }
            _ => return err(ErrorKind::InvalidKey("expected an RSA public key PEM")),
        };
        Ok(DecodingKey(DecodingInner::RsaDer(der)))
    }

    /// An RSA public key from its modulus and exponent, big-endian (a JWK's `n` and `e`).
    pub fn from_rsa_components(n: &[u8], e: &[u8]) -> Self {
        DecodingKey(DecodingInner::RsaComponents {
            n: n.into(),
            e: e.into(),
        })
    }

    pub(crate) fn family(&self) -> Family {
        match self.0 {
            DecodingInner::Hmac(_) => Family::Hmac,
            DecodingInner::RsaDer(_) | DecodingInner::RsaComponents { .. } => Family::Rsa,
        }
    }

    /// An empty HMAC secret verifies nothing: it is a missing key, not a key.
    pub(crate) fn check_usable(&self) -> Result<()> {
        match &self.0 {
            DecodingInner::Hmac(s) if s.secret.is_empty() => {
                err(ErrorKind::InvalidKey("the verification secret is empty"))
            }
            _ => Ok(()),
        }
    }

    /// Whether `signature` is `alg`'s signature of `message` under this key. The caller has
    /// checked that `alg` belongs to this key's family.
    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        match &self.0 {
            DecodingInner::Hmac(s) if alg == Algorithm::HS256 => {
                use subtle::ConstantTimeEq;
                s.hs256_tag(message).as_ref().ct_eq(signature).into()
            }
            DecodingInner::Hmac(s) => s
                .key(alg)
                .is_some_and(|key| hmac::verify(&key, message, signature).is_ok()),
            DecodingInner::RsaDer(der) => {
                signature::UnparsedPublicKey::new(rsa_params(alg), der.as_ref())
                    .verify(message, signature)
                    .is_ok()
            }
            DecodingInner::RsaComponents { n, e } => signature::RsaPublicKeyComponents {
                n: n.as_ref(),
                e: e.as_ref(),
            }
            .verify(rsa_params(alg), message, signature)
            .is_ok(),
        }
    }
}

impl fmt::Debug for DecodingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            DecodingInner::Hmac(_) => "DecodingKey(Hmac)",
            _ => "DecodingKey(Rsa)",
        })
    }
}

fn rsa_params(alg: Algorithm) -> &'static signature::RsaParameters {
    match alg {
        Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        _ => &signature::RSA_PKCS1_2048_8192_SHA512,
    }
}

fn parse_pem(pem: &[u8]) -> Result<pem::Pem> {
    pem::parse(pem).map_err(|_| ErrorKind::InvalidKey("not a PEM document").into())
}

fn rejected(e: ring::error::KeyRejected) -> &'static str {
    match e.to_string().as_str() {
        "TooSmall" => "RSA key is smaller than 2048 bits",
        "TooLarge" => "RSA key is larger than 8192 bits",
        "InvalidEncoding" => "RSA key DER is not valid",
        _ => "RSA key rejected",
    }
}

/// The `RSAPublicKey` inside a SubjectPublicKeyInfo, after checking it is an RSA key.
fn rsa_key_from_spki(der: &[u8]) -> Result<Vec<u8>> {
    use spki::der::Decode;
    const RSA_ENCRYPTION: spki::ObjectIdentifier =
        spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
    let info = spki::SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|_| ErrorKind::InvalidKey("public key DER is not valid"))?;
    if info.algorithm.oid != RSA_ENCRYPTION {
        return err(ErrorKind::InvalidKey("public key is not an RSA key"));
    }
    info.subject_public_key
        .as_bytes()
        .map(<[u8]>::to_vec)
        .ok_or_else(|| ErrorKind::InvalidKey("public key DER is not valid").into())
}
