//! Signing and verification keys.
//!
//! An HMAC key computes its inner and outer hash state once, when it is made, so that minting
//! or verifying a token hashes only the token. Public keys come from PEM, from their raw
//! components, or from a JWK ([`crate::jwk`]); every key knows its family (HMAC, RSA, P-256,
//! P-384, Ed25519), and a key verifies only the algorithms of its own family.

use std::fmt;
use std::sync::Arc;

use ring::hmac;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};

use crate::algorithm::{Algorithm, Family};
use crate::error::{ErrorKind, Result, err};

/// A key that signs tokens: an HMAC secret, or an RSA, ECDSA (P-256, P-384) or Ed25519
/// private key.
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
    Ec(Arc<EcdsaKeyPair>, Family),
    Ed(Arc<Ed25519KeyPair>),
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

    /// An ECDSA private key (P-256 for ES256, P-384 for ES384) from a PKCS#8 PEM
    /// (`BEGIN PRIVATE KEY`).
    ///
    /// ```
    /// use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    /// use twilio_token::{Algorithm, EncodingKey, Jwt};
    /// let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &ring::rand::SystemRandom::new()).unwrap();
    /// let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.as_ref()));
    /// let key = EncodingKey::from_ec_pem(pem.as_bytes())?;
    /// let token = Jwt::new("https://idp.example").algorithm(Algorithm::ES256).encode(&key)?;
    /// # let _ = token;
    /// # Ok::<(), twilio_token::Error>(())
    /// ```
    pub fn from_ec_pem(pem: &[u8]) -> Result<Self> {
        let block = parse_pem(pem)?;
        if block.tag() != "PRIVATE KEY" {
            return err(ErrorKind::InvalidKey(
                "expected a PKCS#8 EC private key PEM (BEGIN PRIVATE KEY)",
            ));
        }
        let rng = ring::rand::SystemRandom::new();
        for (alg, family) in [
            (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, Family::EcP256),
            (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, Family::EcP384),
        ] {
            if let Ok(pair) = EcdsaKeyPair::from_pkcs8(alg, block.contents(), &rng) {
                return Ok(EncodingKey(EncodingInner::Ec(Arc::new(pair), family)));
            }
        }
        err(ErrorKind::InvalidKey("not a P-256 or P-384 private key"))
    }

    /// An Ed25519 private key (EdDSA) from a PKCS#8 PEM (`BEGIN PRIVATE KEY`).
    pub fn from_ed_pem(pem: &[u8]) -> Result<Self> {
        let block = parse_pem(pem)?;
        if block.tag() != "PRIVATE KEY" {
            return err(ErrorKind::InvalidKey(
                "expected a PKCS#8 Ed25519 private key PEM (BEGIN PRIVATE KEY)",
            ));
        }
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(block.contents())
            .map_err(|_| ErrorKind::InvalidKey("not an Ed25519 private key"))?;
        Ok(EncodingKey(EncodingInner::Ed(Arc::new(pair))))
    }

    /// The key that verifies what this key signs.
    pub fn to_decoding_key(&self) -> DecodingKey {
        DecodingKey(match &self.0 {
            EncodingInner::Hmac(s) => DecodingInner::Hmac(s.clone()),
            EncodingInner::Rsa(pair) => DecodingInner::RsaDer(Arc::from(pair.public().as_ref())),
            EncodingInner::Ec(pair, family) => {
                DecodingInner::Point(*family, Arc::from(pair.public_key().as_ref()))
            }
            EncodingInner::Ed(pair) => {
                DecodingInner::Point(Family::Ed25519, Arc::from(pair.public_key().as_ref()))
            }
        })
    }

    pub(crate) fn family(&self) -> Family {
        match self.0 {
            EncodingInner::Hmac(_) => Family::Hmac,
            EncodingInner::Rsa(_) => Family::Rsa,
            EncodingInner::Ec(_, family) => family,
            EncodingInner::Ed(_) => Family::Ed25519,
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
            EncodingInner::Ec(pair, _) => pair
                .sign(&ring::rand::SystemRandom::new(), message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| ErrorKind::InvalidKey("ECDSA signing failed").into()),
            EncodingInner::Ed(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }

    /// HS256 fast path: the tag of `message` from the precomputed key state, if this is an
    /// HMAC key.
    pub(crate) fn hs256_tag(&self, message: &[u8]) -> Option<hmac::Tag> {
        match &self.0 {
            EncodingInner::Hmac(s) => Some(s.hs256_tag(message)),
            _ => None,
        }
    }
}

impl fmt::Debug for EncodingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        write!(f, "EncodingKey({:?})", self.family())
    }
}

/// A key that verifies tokens: an HMAC secret, or an RSA, ECDSA (P-256, P-384) or Ed25519
/// public key.
///
/// ```
/// use twilio_token::DecodingKey;
/// let key = DecodingKey::from_secret(b"api key secret");
/// let rsa = DecodingKey::from_rsa_components(&[0xc5; 256], &[1, 0, 1]);
/// assert!(DecodingKey::from_ec_components(&[1; 32], &[2; 31]).is_err(), "x and y must be one curve's size");
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
    /// An uncompressed EC point (`04 || x || y`) or an Ed25519 public key, with its curve.
    Point(Family, Arc<[u8]>),
}

impl DecodingKey {
    /// An HMAC key (HS256, HS384, HS512) from the secret's bytes.
    pub fn from_secret(secret: &[u8]) -> Self {
        DecodingKey(DecodingInner::Hmac(Arc::new(HmacSecret::new(secret))))
    }

    /// An RSA public key from PEM: `BEGIN PUBLIC KEY` (SubjectPublicKeyInfo), `BEGIN RSA PUBLIC
    /// KEY` (PKCS#1), or a private key PEM whose public half is taken.
    pub fn from_rsa_pem(pem: &[u8]) -> Result<Self> {
        Self::from_pem_of(pem, &[Family::Rsa], "expected an RSA public key PEM")
    }

    /// An ECDSA public key (P-256 or P-384) from a `BEGIN PUBLIC KEY` PEM, or the public half
    /// of a PKCS#8 private key PEM.
    pub fn from_ec_pem(pem: &[u8]) -> Result<Self> {
        Self::from_pem_of(
            pem,
            &[Family::EcP256, Family::EcP384],
            "expected a P-256 or P-384 public key PEM",
        )
    }

    /// An Ed25519 public key from a `BEGIN PUBLIC KEY` PEM, or the public half of a PKCS#8
    /// private key PEM.
    pub fn from_ed_pem(pem: &[u8]) -> Result<Self> {
        Self::from_pem_of(
            pem,
            &[Family::Ed25519],
            "expected an Ed25519 public key PEM",
        )
    }

    /// Any public key this crate verifies with, from PEM: RSA, P-256, P-384 or Ed25519, as a
    /// SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`).
    ///
    /// ```
    /// use twilio_token::DecodingKey;
    /// // RFC 8037 A.2's Ed25519 public key.
    /// let pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n";
    /// let key = DecodingKey::from_public_pem(pem.as_bytes())?;
    /// # let _ = key;
    /// # Ok::<(), twilio_token::Error>(())
    /// ```
    pub fn from_public_pem(pem: &[u8]) -> Result<Self> {
        let block = parse_pem(pem)?;
        match block.tag() {
            "RSA PUBLIC KEY" => rsa_public_key(block.contents().into()),
            "PUBLIC KEY" => from_spki(block.contents()),
            _ => err(ErrorKind::InvalidKey("expected a public key PEM")),
        }
    }

    fn from_pem_of(pem: &[u8], families: &[Family], wrong: &'static str) -> Result<Self> {
        let block = parse_pem(pem)?;
        let key = match block.tag() {
            "RSA PRIVATE KEY" => EncodingKey::from_rsa_pem(pem)?.to_decoding_key(),
            "PRIVATE KEY" => [
                EncodingKey::from_rsa_pem,
                EncodingKey::from_ec_pem,
                EncodingKey::from_ed_pem,
            ]
            .iter()
            .find_map(|from| from(pem).ok())
            .ok_or(ErrorKind::InvalidKey(wrong))?
            .to_decoding_key(),
            _ => Self::from_public_pem(pem).map_err(|_| ErrorKind::InvalidKey(wrong))?,
        };
        if !families.contains(&key.family()) {
            return err(ErrorKind::InvalidKey(wrong));
        }
        Ok(key)
    }

    /// An RSA public key from its modulus and exponent, big-endian (a JWK's `n` and `e`).
    pub fn from_rsa_components(n: &[u8], e: &[u8]) -> Self {
        // JWK integers have no leading zeros (RFC 7518 §6.3.1); tolerate them anyway.
        let trim = |b: &[u8]| -> Arc<[u8]> {
            let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
            b[start..].into()
        };
        DecodingKey(DecodingInner::RsaComponents {
            n: trim(n),
            e: trim(e),
        })
    }

    /// An ECDSA public key from its affine coordinates, big-endian (a JWK's `x` and `y`): 32
    /// bytes each for P-256, 48 for P-384. Whether the point is on the curve is checked when
    /// it verifies.
    pub fn from_ec_components(x: &[u8], y: &[u8]) -> Result<Self> {
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
        Ok(DecodingKey(DecodingInner::Point(family, point.into())))
    }

    /// An Ed25519 public key from its 32 bytes (a JWK's `x`).
    pub fn from_ed_components(x: &[u8]) -> Result<Self> {
        if x.len() != 32 {
            return err(ErrorKind::InvalidKey("an Ed25519 public key is 32 bytes"));
        }
        Ok(DecodingKey(DecodingInner::Point(Family::Ed25519, x.into())))
    }

    /// Whether this key can verify `alg` (its family is the algorithm's).
    pub fn fits(&self, alg: Algorithm) -> bool {
        self.family() == alg.family()
    }

    pub(crate) fn family(&self) -> Family {
        match self.0 {
            DecodingInner::Hmac(_) => Family::Hmac,
            DecodingInner::RsaDer(_) | DecodingInner::RsaComponents { .. } => Family::Rsa,
            DecodingInner::Point(family, _) => family,
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
                // Compared as four words: the same constant time, an eighth of the barriers.
                let words = |bytes: &[u8]| -> Option<[u64; 4]> {
                    let bytes: &[u8; 32] = bytes.try_into().ok()?;
                    Some(std::array::from_fn(|i| {
                        u64::from_ne_bytes(bytes[i * 8..i * 8 + 8].try_into().expect("8 bytes"))
                    }))
                };
                match (words(s.hs256_tag(message).as_ref()), words(signature)) {
                    (Some(expected), Some(given)) => expected.ct_eq(&given).into(),
                    _ => false, // a signature's length is not secret
                }
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
            DecodingInner::Point(_, point) => {
                let params: &'static dyn signature::VerificationAlgorithm = match alg {
                    Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
                    Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
                    _ => &signature::ED25519,
                };
                signature::UnparsedPublicKey::new(params, point.as_ref())
                    .verify(message, signature)
                    .is_ok()
            }
        }
    }
}

impl fmt::Debug for DecodingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecodingKey({:?})", self.family())
    }
}

fn rsa_params(alg: Algorithm) -> &'static signature::RsaParameters {
    match alg {
        Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        _ => &signature::RSA_PSS_2048_8192_SHA512,
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

/// A PKCS#1 `RSAPublicKey`, after checking its modulus as a JWK's is checked (size, ROCA).
fn rsa_public_key(der: Arc<[u8]>) -> Result<DecodingKey> {
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
    crate::jwk::check_rsa_modulus(&n)?;
    Ok(DecodingKey(DecodingInner::RsaDer(der)))
}

/// The public key inside a SubjectPublicKeyInfo: RSA, EC on P-256 or P-384, or Ed25519.
fn from_spki(der: &[u8]) -> Result<DecodingKey> {
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
    let inner = match info.algorithm.oid {
        RSA_ENCRYPTION => return rsa_public_key(key),
        EC_PUBLIC_KEY if curve == Some(P256) && key.len() == 65 => {
            DecodingInner::Point(Family::EcP256, key)
        }
        EC_PUBLIC_KEY if curve == Some(P384) && key.len() == 97 => {
            DecodingInner::Point(Family::EcP384, key)
        }
        EC_PUBLIC_KEY => {
            return err(ErrorKind::InvalidKey(
                "EC public key is not an uncompressed P-256 or P-384 point",
            ));
        }
        ED25519 if key.len() == 32 => DecodingInner::Point(Family::Ed25519, key),
        _ => return err(ErrorKind::InvalidKey("unsupported public key type")),
    };
    Ok(DecodingKey(inner))
}

/// What [`decode`](crate::decode) verifies a signature with: one [`DecodingKey`], or a
/// [`JwkSet`](crate::jwk::JwkSet) that picks its key by the header's `kid` and algorithm.
///
/// The trait is sealed: the decoding functions rely on its checks.
pub trait KeySource: sealed::Verify {}

pub(crate) mod sealed {
    use crate::error::Result;
    use crate::jws::Header;

    pub trait Verify {
        /// Refuses a key that is no key (an empty secret), before the token is read.
        fn check_usable(&self) -> Result<()>;
        /// Verifies `signature` over `message` for a token with `header`, whose algorithm the
        /// caller has already found on the allow-list.
        fn verify_signature(&self, header: &Header, message: &[u8], signature: &[u8])
        -> Result<()>;
    }
}

impl KeySource for DecodingKey {}

impl sealed::Verify for DecodingKey {
    fn check_usable(&self) -> Result<()> {
        DecodingKey::check_usable(self)
    }

    fn verify_signature(
        &self,
        header: &crate::jws::Header,
        message: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        if !self.fits(header.alg) {
            return err(ErrorKind::AlgorithmNotAllowed(
                header.alg.as_str().to_owned(),
            ));
        }
        if !self.verify(header.alg, message, signature) {
            return err(ErrorKind::InvalidSignature);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Wycheproof's HMAC vectors (C2SP/wycheproof `testvectors_v1/hmac_sha{256,384,512}_test.json`)
    /// through the verifier, including the precomputed HS256 state after an access token's
    /// header. JWS tags are never truncated (RFC 7518 §3.2), so the vectors' truncated tags,
    /// valid for truncated-MAC schemes, must all be refused here.
    #[test]
    fn wycheproof_hmac() {
        let files = [
            (
                Algorithm::HS256,
                include_str!("../tests/fixtures/wycheproof/hmac_sha256_test.json"),
            ),
            (
                Algorithm::HS384,
                include_str!("../tests/fixtures/wycheproof/hmac_sha384_test.json"),
            ),
            (
                Algorithm::HS512,
                include_str!("../tests/fixtures/wycheproof/hmac_sha512_test.json"),
            ),
        ];
        let mut checked = 0;
        for (alg, text) in files {
            let file: serde_json::Value = serde_json::from_str(text).unwrap();
            let full = alg.hmac().unwrap().digest_algorithm().output_len() * 8;
            for group in file["testGroups"].as_array().unwrap() {
                let truncated = group["tagSize"].as_u64().unwrap() as usize != full;
                for test in group["tests"].as_array().unwrap() {
                    let key = DecodingKey::from_secret(&hex(test["key"].as_str().unwrap()));
                    let msg = hex(test["msg"].as_str().unwrap());
                    let tag = hex(test["tag"].as_str().unwrap());
                    let expected = test["result"] == "valid" && !truncated;
                    assert_eq!(
                        key.verify(alg, &msg, &tag),
                        expected,
                        "{alg} {}",
                        test["tcId"]
                    );
                    if alg == Algorithm::HS256 && !truncated {
                        // The same key on a message behind an access token's header block,
                        // which takes the precomputed path, against a plain HMAC.
                        let mut long = ACCESS_BLOCK.to_vec();
                        long.extend_from_slice(&msg);
                        let plain = hmac::sign(
                            &hmac::Key::new(hmac::HMAC_SHA256, &hex(test["key"].as_str().unwrap())),
                            &long,
                        );
                        assert!(key.verify(alg, &long, plain.as_ref()));
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 3 * 174);
    }
}
