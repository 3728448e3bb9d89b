//! Signing and verification keys.
//!
//! An HMAC key computes its inner and outer hash state once, when it is made, so that minting
//! or verifying a token hashes only the token. Public keys come from PEM, from their raw
//! components, or from a JWK ([`crate::jwk`]); every key knows its family (HMAC, RSA, P-256,
//! P-384, Ed25519), and a key verifies only the algorithms of its own family.

use std::fmt;
use std::sync::{Arc, OnceLock};

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use sha2::{Sha256, Sha384, Sha512};

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

/// An HMAC secret as its key states, computed once when the key is made (the secret itself is
/// not kept). RustCrypto's hmac and sha2: they use the CPU's SHA extensions and their states are
/// small to copy, so a token is signed or checked in about four fifths of ring's time.
///
/// Most of what is hashed for an access token is known in advance, so HS256 also keeps the
/// state after the token's first SHA-256 blocks:
/// - the first 64 bytes of every access token are its constant header;
/// - with a 34-character API key SID, the first 128 depend on the SID alone: the header, `.`,
///   then `{"jti":"SK…` in base64, and the first base64 digit of the `-` after it. A key belongs
///   to one API key, so the state after the first access token signed, or verified as genuine,
///   serves every later one (any other message simply hashes from an earlier state).
#[derive(Clone)]
struct HmacSecret {
    empty: bool,
    hs256: Hmac<Sha256>,
    after_access_header: Hmac<Sha256>,
    after_access_prefix: OnceLock<([u8; 128], Hmac<Sha256>)>,
    hs384: Hmac<Sha384>,
    hs512: Hmac<Sha512>,
}

/// One SHA-256 block of the access token's encoded header.
const ACCESS_BLOCK: &[u8] = crate::jws::ACCESS_HEADER_B64.as_bytes().split_at(64).0;

impl HmacSecret {
    fn new(secret: &[u8]) -> Self {
        let hs256: Hmac<Sha256> = mac(secret);
        let mut after_access_header = hs256.clone();
        after_access_header.update(ACCESS_BLOCK);
        HmacSecret {
            empty: secret.is_empty(),
            hs256,
            after_access_header,
            after_access_prefix: OnceLock::new(),
            hs384: mac(secret),
            hs512: mac(secret),
        }
    }

    /// The HS256 tag of `message`, from the furthest state kept that it begins with.
    fn hs256_tag(&self, message: &[u8]) -> [u8; 32] {
        let prefixed = self
            .after_access_prefix
            .get()
            .and_then(|(prefix, state)| Some((message.strip_prefix(prefix)?, state)));
        let mac = match prefixed {
            Some((rest, state)) => state.clone().chain_update(rest),
            None => match message.strip_prefix(ACCESS_BLOCK) {
                Some(rest) => self.after_access_header.clone().chain_update(rest),
                None => self.hs256.clone().chain_update(message),
            },
        };
        mac.finalize().into_bytes().into()
    }

    /// Keeps the state after `message`'s first 128 bytes if no such state is kept yet and it
    /// is an access token: called only for a token signed, or verified as genuine, so that a
    /// forged token cannot take the place.
    fn remember(&self, message: &[u8]) {
        if self.after_access_prefix.get().is_some() || !message.starts_with(ACCESS_BLOCK) {
            return;
        }
        let Some(prefix) = message.first_chunk::<128>() else {
            return;
        };
        let state = self.after_access_header.clone().chain_update(&prefix[64..]);
        let _ = self.after_access_prefix.set((*prefix, state));
    }

    /// The tag of `message` under `alg`, if it is an HMAC algorithm.
    fn tag(&self, alg: Algorithm, message: &[u8]) -> Option<Vec<u8>> {
        fn finish(state: &(impl Mac + Clone), message: &[u8]) -> Vec<u8> {
            state
                .clone()
                .chain_update(message)
                .finalize()
                .into_bytes()
                .to_vec()
        }
        match alg {
            Algorithm::HS256 => Some(self.hs256_tag(message).to_vec()),
            Algorithm::HS384 => Some(finish(&self.hs384, message)),
            Algorithm::HS512 => Some(finish(&self.hs512, message)),
            _ => None,
        }
    }
}

/// An HMAC key state; HMAC takes a key of any length.
fn mac<M: KeyInit>(secret: &[u8]) -> M {
    M::new_from_slice(secret).expect("HMAC accepts keys of any length")
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
            EncodingInner::Hmac(s) if s.empty => {
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
            EncodingInner::Hmac(s) => Ok(s.tag(alg, message).expect("HMAC family checked above")),
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
    pub(crate) fn hs256_tag(&self, message: &[u8]) -> Option<[u8; 32]> {
        match &self.0 {
            EncodingInner::Hmac(s) => {
                let tag = s.hs256_tag(message);
                s.remember(message);
                Some(tag)
            }
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
            DecodingInner::Hmac(s) if s.empty => {
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
                let genuine = match (words(&s.hs256_tag(message)), words(signature)) {
                    (Some(expected), Some(given)) => expected.ct_eq(&given).into(),
                    _ => false, // a signature's length is not secret
                };
                if genuine {
                    s.remember(message);
                }
                genuine
            }
            DecodingInner::Hmac(s) => {
                use subtle::ConstantTimeEq;
                s.tag(alg, message)
                    .is_some_and(|tag| bool::from(tag.ct_eq(signature)))
            }
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

    /// The HMAC state of `key` (an HMAC key).
    fn hmac_of(key: &EncodingKey) -> &HmacSecret {
        match &key.0 {
            EncodingInner::Hmac(s) => s,
            _ => unreachable!("an HMAC key"),
        }
    }

    /// The state kept after an access token's first 128 bytes gives the plain HMAC (ring's, an
    /// independent implementation) of every later message, whether it begins with those bytes,
    /// with only the header block, or with neither.
    #[test]
    fn the_kept_access_token_state_gives_the_plain_hmac() {
        let secret = b"api key secret";
        let key = EncodingKey::from_secret(secret);
        let plain = |message: &[u8]| {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
            ring::hmac::sign(&key, message).as_ref().to_vec()
        };
        let sid = "SK0123456789abcdef0123456789abcdef";
        let token = |sid: &str, identity: &str, at: i64| {
            crate::AccessToken::with_key("AC0123456789abcdef0123456789abcdef", sid, key.clone())
                .identity(identity)
                .to_jwt_at(at)
                .unwrap()
        };
        let first = token(sid, "alice", 1_700_000_000);
        let (prefix, _) = hmac_of(&key).after_access_prefix.get().expect("kept");
        assert_eq!(&prefix[..], &first.as_bytes()[..128]);
        let others = [
            token(sid, "bob", 1_800_000_000),
            token(sid, &"x".repeat(300), 1),
            token("SKffffffffffffffffffffffffffffffff", "alice", 1_700_000_000),
            token("SK1", "a", 0),
        ];
        for t in [&first].into_iter().chain(&others) {
            let (input, signature) = t.rsplit_once('.').unwrap();
            let signature = base64_simd::URL_SAFE_NO_PAD
                .decode_to_vec(signature)
                .unwrap();
            assert_eq!(signature, plain(input.as_bytes()), "{t}");
        }
        let mut messages = vec![b"".to_vec(), b"short".to_vec(), ACCESS_BLOCK.to_vec()];
        for len in [64, 65, 127, 128, 129, 191, 192, 300] {
            let mut m = first.as_bytes()[..len.min(first.len())].to_vec();
            m.resize(len, b'x');
            messages.push(m);
        }
        for m in messages {
            assert_eq!(hmac_of(&key).hs256_tag(&m).to_vec(), plain(&m), "{m:?}");
        }
    }

    /// Only a token signed, or verified as genuine, sets the state kept: a forged one is
    /// checked and forgotten.
    #[test]
    fn a_forged_token_is_not_kept() {
        let signer = EncodingKey::from_secret(b"k");
        let token =
            crate::AccessToken::with_key("AC1", "SK0123456789abcdef0123456789abcdef", signer)
                .identity("alice")
                .to_jwt_at(1)
                .unwrap();
        let (input, signature) = token.rsplit_once('.').unwrap();
        let signature = base64_simd::URL_SAFE_NO_PAD
            .decode_to_vec(signature)
            .unwrap();
        let key = DecodingKey::from_secret(b"k");
        let DecodingInner::Hmac(state) = &key.0 else {
            unreachable!("an HMAC key")
        };
        assert!(!key.verify(Algorithm::HS256, input.as_bytes(), &[0; 32]));
        assert!(state.after_access_prefix.get().is_none());
        assert!(key.verify(Algorithm::HS256, input.as_bytes(), &signature));
        assert!(state.after_access_prefix.get().is_some());
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
            let full = EncodingKey::from_secret(b"k").sign(alg, b"").unwrap().len() * 8;
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
                        // ring, an independent implementation, as the reference.
                        let plain = ring::hmac::sign(
                            &ring::hmac::Key::new(
                                ring::hmac::HMAC_SHA256,
                                &hex(test["key"].as_str().unwrap()),
                            ),
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
