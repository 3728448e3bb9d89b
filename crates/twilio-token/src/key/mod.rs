//! Signing and verification keys, one file per family: [`hmac`](self) secrets, RSA, ECDSA
//! (P-256, P-384) and Ed25519, and PEM parsing; [`ApiKeys`] holds several HMAC keys and picks
//! the one a token's `iss` names. Every key knows its family, and a key verifies
//! only the algorithms of its own family. Nothing here knows any token's layout.

mod api_keys;
mod ec;
mod eddsa;
mod hmac;
mod pem;
mod rsa;

use std::fmt;
use std::sync::Arc;

use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};

use self::hmac::HmacKey;
use crate::algorithm::{Algorithm, Family};
use crate::error::{ErrorKind, Result, err};
use crate::header::Header;

pub use api_keys::ApiKeys;
pub(crate) use rsa::check_modulus as check_rsa_modulus;

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
pub struct EncodingKey(PrivateKey);

/// Shared, so that cloning a key (one per token minted, in a server) copies no key state.
#[derive(Clone)]
enum PrivateKey {
    Hmac(Arc<HmacKey>),
    Rsa(Arc<RsaKeyPair>),
    Ec(Arc<EcdsaKeyPair>, Family),
    Ed(Arc<Ed25519KeyPair>),
}

/// A signature: an HMAC tag inline, any other on the heap.
pub(crate) enum Signature {
    Inline([u8; 64], usize),
    Heap(Vec<u8>),
}

impl Signature {
    fn new(bytes: &[u8]) -> Self {
        let mut inline = [0; 64];
        inline[..bytes.len()].copy_from_slice(bytes);
        Signature::Inline(inline, bytes.len())
    }
}

impl AsRef<[u8]> for Signature {
    fn as_ref(&self) -> &[u8] {
        match self {
            Signature::Inline(bytes, len) => &bytes[..*len],
            Signature::Heap(bytes) => bytes,
        }
    }
}

impl EncodingKey {
    /// An HMAC key (HS256, HS384, HS512) from the secret's bytes, e.g. a Twilio API key secret
    /// or auth token.
    pub fn from_secret(secret: &[u8]) -> Self {
        EncodingKey(PrivateKey::Hmac(Arc::new(HmacKey::new(secret))))
    }

    /// An RSA private key from PEM: PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8
    /// (`BEGIN PRIVATE KEY`), at least 2048 bits.
    pub fn from_rsa_pem(pem: &[u8]) -> Result<Self> {
        let pair = rsa::key_pair(&pem::parse(pem)?)?;
        Ok(EncodingKey(PrivateKey::Rsa(Arc::new(pair))))
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
        let block = pem::parse(pem)?;
        if block.tag() != "PRIVATE KEY" {
            return err(ErrorKind::InvalidKey(
                "expected a PKCS#8 EC private key PEM (BEGIN PRIVATE KEY)",
            ));
        }
        let (pair, family) = ec::key_pair(block.contents())?;
        Ok(EncodingKey(PrivateKey::Ec(Arc::new(pair), family)))
    }

    /// An Ed25519 private key (EdDSA) from a PKCS#8 PEM (`BEGIN PRIVATE KEY`).
    pub fn from_ed_pem(pem: &[u8]) -> Result<Self> {
        let block = pem::parse(pem)?;
        if block.tag() != "PRIVATE KEY" {
            return err(ErrorKind::InvalidKey(
                "expected a PKCS#8 Ed25519 private key PEM (BEGIN PRIVATE KEY)",
            ));
        }
        let pair = eddsa::key_pair(block.contents())?;
        Ok(EncodingKey(PrivateKey::Ed(Arc::new(pair))))
    }

    /// The key `alg` signs with, from the bytes a caller hands over with an algorithm name (as
    /// PyJWT's and jsonwebtoken's `sign` take them): the secret itself for HS*, a PEM private
    /// key of the algorithm's family otherwise. A PEM or SSH key is refused as a secret
    /// ([`ErrorKind::AsymmetricSecret`]).
    pub fn for_algorithm(alg: Algorithm, bytes: &[u8]) -> Result<Self> {
        match alg.family() {
            Family::Hmac => {
                refuse_asymmetric_secret(bytes)?;
                Ok(EncodingKey::from_secret(bytes))
            }
            Family::Rsa => EncodingKey::from_rsa_pem(bytes),
            Family::EcP256 | Family::EcP384 => EncodingKey::from_ec_pem(bytes),
            Family::Ed25519 => EncodingKey::from_ed_pem(bytes),
        }
    }

    /// The key that verifies what this key signs.
    pub fn to_decoding_key(&self) -> DecodingKey {
        DecodingKey(match &self.0 {
            PrivateKey::Hmac(s) => PublicKey::Hmac(s.clone()),
            PrivateKey::Rsa(pair) => {
                PublicKey::Rsa(rsa::PublicKey::Der(Arc::from(pair.public().as_ref())))
            }
            PrivateKey::Ec(pair, family) => {
                PublicKey::Ec(*family, Arc::from(ec::public_point(pair)))
            }
            PrivateKey::Ed(pair) => PublicKey::Ed(Arc::from(eddsa::public_key(pair))),
        })
    }

    pub(crate) fn family(&self) -> Family {
        match self.0 {
            PrivateKey::Hmac(_) => Family::Hmac,
            PrivateKey::Rsa(_) => Family::Rsa,
            PrivateKey::Ec(_, family) => family,
            PrivateKey::Ed(_) => Family::Ed25519,
        }
    }

    /// An empty HMAC secret signs nothing (the reference raises "JWT does not have a signing
    /// key configured").
    pub(crate) fn check_usable(&self) -> Result<()> {
        match &self.0 {
            PrivateKey::Hmac(s) if s.is_empty() => {
                err(ErrorKind::InvalidKey("the signing secret is empty"))
            }
            _ => Ok(()),
        }
    }

    /// Signs `message` with `alg`, which must be of this key's family.
    pub(crate) fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Signature> {
        if alg.family() != self.family() {
            return err(ErrorKind::InvalidKey("key does not fit the algorithm"));
        }
        Ok(match &self.0 {
            PrivateKey::Hmac(s) => s.sign(alg, message),
            PrivateKey::Rsa(pair) => Signature::Heap(rsa::sign(pair, alg, message)?),
            PrivateKey::Ec(pair, _) => Signature::Heap(ec::sign(pair, message)?),
            PrivateKey::Ed(pair) => Signature::Heap(eddsa::sign(pair, message)),
        })
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
pub struct DecodingKey(PublicKey);

#[derive(Clone)]
enum PublicKey {
    Hmac(Arc<HmacKey>),
    Rsa(rsa::PublicKey),
    /// An uncompressed point (`04 || x || y`) on the family's curve.
    Ec(Family, Arc<[u8]>),
    Ed(Arc<[u8]>),
}

impl DecodingKey {
    /// An HMAC key (HS256, HS384, HS512) from the secret's bytes.
    pub fn from_secret(secret: &[u8]) -> Self {
        DecodingKey(PublicKey::Hmac(Arc::new(HmacKey::new(secret))))
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

    /// The key that verifies `alg`, from the bytes a caller hands over with an algorithm name:
    /// the secret itself for HS* (a PEM or SSH key refused, [`ErrorKind::AsymmetricSecret`]), a
    /// PEM public key of the algorithm's family otherwise.
    pub fn for_algorithm(alg: Algorithm, bytes: &[u8]) -> Result<Self> {
        match alg.family() {
            Family::Hmac => {
                refuse_asymmetric_secret(bytes)?;
                Ok(DecodingKey::from_secret(bytes))
            }
            Family::Rsa => DecodingKey::from_rsa_pem(bytes),
            Family::EcP256 | Family::EcP384 => DecodingKey::from_ec_pem(bytes),
            Family::Ed25519 => DecodingKey::from_ed_pem(bytes),
        }
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
        pem::public_key(&pem::parse(pem)?).map(DecodingKey)
    }

    fn from_pem_of(pem: &[u8], families: &[Family], wrong: &'static str) -> Result<Self> {
        let block = pem::parse(pem)?;
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
            _ => DecodingKey(pem::public_key(&block).map_err(|_| ErrorKind::InvalidKey(wrong))?),
        };
        if !families.contains(&key.family()) {
            return err(ErrorKind::InvalidKey(wrong));
        }
        Ok(key)
    }

    /// An RSA public key from its modulus and exponent, big-endian (a JWK's `n` and `e`).
    pub fn from_rsa_components(n: &[u8], e: &[u8]) -> Self {
        // JWK integers have no leading zeros (RFC 7518 §6.3.1); tolerate them anyway.
        DecodingKey(PublicKey::Rsa(rsa::PublicKey::from_components(n, e)))
    }

    /// An ECDSA public key from its affine coordinates, big-endian (a JWK's `x` and `y`): 32
    /// bytes each for P-256, 48 for P-384. Whether the point is on the curve is checked when
    /// it verifies.
    pub fn from_ec_components(x: &[u8], y: &[u8]) -> Result<Self> {
        let (family, point) = ec::point(x, y)?;
        Ok(DecodingKey(PublicKey::Ec(family, point.into())))
    }

    /// An Ed25519 public key from its 32 bytes (a JWK's `x`).
    pub fn from_ed_components(x: &[u8]) -> Result<Self> {
        eddsa::check_public_key(x)?;
        Ok(DecodingKey(PublicKey::Ed(x.into())))
    }

    /// Whether this key can verify `alg` (its family is the algorithm's).
    pub fn fits(&self, alg: Algorithm) -> bool {
        self.family() == alg.family()
    }

    pub(crate) fn family(&self) -> Family {
        match self.0 {
            PublicKey::Hmac(_) => Family::Hmac,
            PublicKey::Rsa(_) => Family::Rsa,
            PublicKey::Ec(family, _) => family,
            PublicKey::Ed(_) => Family::Ed25519,
        }
    }

    /// An empty HMAC secret verifies nothing: it is a missing key, not a key.
    pub(crate) fn check_usable(&self) -> Result<()> {
        match &self.0 {
            PublicKey::Hmac(s) if s.is_empty() => {
                err(ErrorKind::InvalidKey("the verification secret is empty"))
            }
            _ => Ok(()),
        }
    }

    /// Whether `signature` is `alg`'s signature of `message` under this key. The caller has
    /// checked that `alg` belongs to this key's family.
    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        match &self.0 {
            PublicKey::Hmac(s) => s.verify(alg, message, signature),
            PublicKey::Rsa(key) => key.verify(alg, message, signature),
            PublicKey::Ec(family, point) => ec::verify(*family, point, message, signature),
            PublicKey::Ed(key) => eddsa::verify(key, message, signature),
        }
    }
}

impl fmt::Debug for DecodingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecodingKey({:?})", self.family())
    }
}

/// What [`decode`](crate::decode) verifies a signature with: one [`DecodingKey`], or a
/// [`JwkSet`](crate::jwk::JwkSet) that picks its key by the header's `kid` and algorithm.
///
/// The trait is sealed: the decoding functions rely on its checks.
pub trait KeySource: sealed::Verify {}

pub(crate) mod sealed {
    use crate::error::Result;
    use crate::header::Header;

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

    fn verify_signature(&self, header: &Header, message: &[u8], signature: &[u8]) -> Result<()> {
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

/// Refuses what looks like a PEM or SSH key as an HMAC secret (as PyJWT and jsonwebtoken do):
/// verifying with a public key as a secret is the algorithm-confusion attack.
fn refuse_asymmetric_secret(secret: &[u8]) -> Result<()> {
    let looks_asymmetric = secret.windows(11).any(|w| w == b"-----BEGIN ")
        || [&b"ssh-"[..], b"ecdsa-sha2-"]
            .iter()
            .any(|prefix| secret.starts_with(prefix));
    match looks_asymmetric {
        true => err(ErrorKind::AsymmetricSecret),
        false => Ok(()),
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
    /// through the verifier, and each valid one through the signer against ring's HMAC. JWS tags are never truncated (RFC 7518 §3.2), so the vectors' truncated tags,
    /// valid for truncated-MAC schemes, must all be refused here.
    #[test]
    fn wycheproof_hmac() {
        let files = [
            (
                Algorithm::HS256,
                include_str!("../../tests/fixtures/wycheproof/hmac_sha256_test.json"),
            ),
            (
                Algorithm::HS384,
                include_str!("../../tests/fixtures/wycheproof/hmac_sha384_test.json"),
            ),
            (
                Algorithm::HS512,
                include_str!("../../tests/fixtures/wycheproof/hmac_sha512_test.json"),
            ),
        ];
        let mut checked = 0;
        for (alg, text) in files {
            let file: serde_json::Value = serde_json::from_str(text).unwrap();
            let full = EncodingKey::from_secret(b"k")
                .sign(alg, b"")
                .unwrap()
                .as_ref()
                .len()
                * 8;
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
                    if !truncated {
                        // The signer gives ring's HMAC (an independent implementation) of
                        // the message, whatever the vector's verdict on its tag.
                        let ring_alg = match alg {
                            Algorithm::HS256 => ring::hmac::HMAC_SHA256,
                            Algorithm::HS384 => ring::hmac::HMAC_SHA384,
                            _ => ring::hmac::HMAC_SHA512,
                        };
                        let secret = hex(test["key"].as_str().unwrap());
                        let plain =
                            ring::hmac::sign(&ring::hmac::Key::new(ring_alg, &secret), &msg);
                        let signed = EncodingKey::from_secret(&secret).sign(alg, &msg).unwrap();
                        assert_eq!(signed.as_ref(), plain.as_ref());
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 3 * 174);
    }
}
