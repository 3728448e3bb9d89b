//! JSON Web Keys (RFC 7517): the public keys an identity provider publishes, and key sets that
//! verify a token with the key its header names.
//!
//! Parsing is as strict as decoding: JSON without duplicate names, canonical unpadded
//! base64url, coordinates of the curve's exact size. A key set keeps only keys that can verify
//! signatures and skips the rest with a reason (RFC 7517 §5 asks a reader to ignore keys it does
//! not understand): encryption keys (`use: enc`), unsupported curves, RSA keys outside 2048 to
//! 8192 bits or with the ROCA fingerprint, symmetric (`oct`) keys, which a published key set
//! must never be able to turn into an HMAC secret, and a second key of the same type under a
//! `kid` already taken, which would make the choice ambiguous.
//!
//! ```
//! use twilio_token::jwk::JwkSet;
//! let jwks = JwkSet::from_json(br#"{"keys":[
//!   {"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
//!   {"kty":"oct","kid":"shared","k":"c2VjcmV0"}]}"#)?;
//! assert_eq!(jwks.keys().len(), 1);
//! assert_eq!(jwks.keys()[0].kid(), Some("ed"));
//! assert_eq!(jwks.skipped().len(), 1, "{:?}", jwks.skipped());
//! # Ok::<(), twilio_token::Error>(())
//! ```

use serde::Deserialize;

use crate::algorithm::{Algorithm, Family};
use crate::error::{Error, ErrorKind, Result, err};
use crate::header::Header;
use crate::key::{DecodingKey, KeySource, sealed};
use crate::strict;

/// One public key with what its JWK says about its use.
#[derive(Debug, Clone)]
pub struct Jwk {
    kid: Option<String>,
    alg: Option<Algorithm>,
    key: DecodingKey,
}

/// The members of a JWK this crate reads; the rest (`x5c`, `d`, ...) are ignored.
#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

#[derive(Deserialize)]
struct RawSet {
    keys: Vec<serde_json::Value>,
}

/// The most keys a key set may hold; providers publish two or three.
const MAX_KEYS: usize = 64;
/// A token is tried against at most this many keys, so that a large key set does not multiply
/// the cost of verifying a forged token.
const MAX_TRIES: usize = 4;

impl Jwk {
    /// A key with no `kid` and no `alg`: it verifies any algorithm of its family.
    pub fn new(key: DecodingKey) -> Self {
        Jwk {
            kid: None,
            alg: None,
            key,
        }
    }

    /// The same key, named `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The same key, for `alg` only. (A key of another family is refused.)
    pub fn with_algorithm(mut self, alg: Algorithm) -> Result<Self> {
        if !self.key.fits(alg) {
            return err(ErrorKind::InvalidKey("the key does not fit that algorithm"));
        }
        self.alg = Some(alg);
        Ok(self)
    }

    /// Parses one JWK. The error says which member is wrong.
    ///
    /// ```
    /// use twilio_token::{Algorithm, jwk::Jwk};
    /// let jwk = Jwk::from_json(br#"{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig",
    ///   "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#)?;
    /// assert_eq!(jwk.algorithm(), Some(Algorithm::ES256));
    /// assert!(jwk.fits(Algorithm::ES256) && !jwk.fits(Algorithm::ES384));
    /// # Ok::<(), twilio_token::Error>(())
    /// ```
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let (raw, _) = strict::from_slice::<RawJwk>(json).map_err(|e| match e {
            strict::Error::Shape(_) => {
                jwk_error("kty must be a string and the other members strings or string arrays")
            }
            _ => jwk_error("not a JSON object without duplicate names"),
        })?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: RawJwk) -> Result<Self> {
        if raw.use_.as_deref().is_some_and(|u| u != "sig") {
            return Err(jwk_error("use is not \"sig\""));
        }
        if raw
            .key_ops
            .as_ref()
            .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
        {
            return Err(jwk_error("key_ops does not include \"verify\""));
        }
        let alg =
            match raw.alg.as_deref() {
                None => None,
                Some(alg) => Some(alg.parse::<Algorithm>().map_err(|_| {
                    jwk_error("alg is not a signature algorithm this crate verifies")
                })?),
            };
        let b64 = |member: Option<&String>, name: &'static str| -> Result<Vec<u8>> {
            let value = member.ok_or_else(|| jwk_error(name))?;
            base64_simd::URL_SAFE_NO_PAD
                .decode_to_vec(value)
                .map_err(|_| jwk_error("a member is not canonical unpadded base64url"))
        };
        let crv = raw.crv.as_deref();
        let key = match (raw.kty.as_str(), crv) {
            ("RSA", _) => {
                let n = b64(raw.n.as_ref(), "n (the RSA modulus) is missing")?;
                let e = b64(raw.e.as_ref(), "e (the RSA exponent) is missing")?;
                crate::key::check_rsa_modulus(&n)?;
                DecodingKey::from_rsa_components(&n, &e)
            }
            ("EC", Some(curve @ ("P-256" | "P-384"))) => {
                let x = b64(raw.x.as_ref(), "x is missing")?;
                let y = b64(raw.y.as_ref(), "y is missing")?;
                let alg = if curve == "P-256" {
                    Algorithm::ES256
                } else {
                    Algorithm::ES384
                };
                DecodingKey::from_ec_components(&x, &y)
                    .ok()
                    .filter(|key| key.fits(alg))
                    .ok_or_else(|| {
                        jwk_error("x and y are not the size of the curve's coordinates")
                    })?
            }
            ("EC", _) => return Err(jwk_error("crv is not P-256 or P-384")),
            ("OKP", Some("Ed25519")) => {
                DecodingKey::from_ed_components(&b64(raw.x.as_ref(), "x is missing")?)
                    .map_err(|_| jwk_error("x is not 32 bytes"))?
            }
            ("OKP", _) => return Err(jwk_error("crv is not Ed25519")),
            ("oct", _) => {
                return Err(jwk_error(
                    "kty oct is a shared secret; only public keys are accepted",
                ));
            }
            _ => return Err(jwk_error("kty is not RSA, EC or OKP")),
        };
        let jwk = Jwk {
            kid: raw.kid,
            alg: None,
            key,
        };
        match alg {
            Some(alg) => jwk
                .with_algorithm(alg)
                .map_err(|_| jwk_error("alg does not fit kty and crv")),
            None => Ok(jwk),
        }
    }

    /// The key's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The one algorithm the key is for, if its JWK names one.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.alg
    }

    /// The key itself.
    pub fn key(&self) -> &DecodingKey {
        &self.key
    }

    /// Whether the key may verify a token signed with `alg`: the key's family fits, and its
    /// own `alg`, if any, is that one.
    pub fn fits(&self, alg: Algorithm) -> bool {
        self.key.fits(alg) && self.alg.is_none_or(|a| a == alg)
    }
}

fn jwk_error(why: &'static str) -> Error {
    ErrorKind::InvalidKey(why).into()
}

/// A JWK Set (`{"keys": [...]}`): the verification keys of one issuer.
///
/// As a [`KeySource`] it picks the key by the token's `kid` (and, without a `kid`, tries the
/// few keys that fit the algorithm), so [`decode`](crate::decode) works with it as with one key.
///
/// ```
/// use twilio_token::{decode, Algorithm, EncodingKey, Jwt, Validation, jwk::{Jwk, JwkSet}};
/// use ring::signature::{Ed25519KeyPair};
/// let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
/// let signing = EncodingKey::from_ed_pem(pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.as_ref())).as_bytes())?;
/// let jwks = JwkSet::from_keys(vec![Jwk::new(signing.to_decoding_key()).with_kid("k1")]);
/// let token = Jwt::new("https://idp.example").algorithm(Algorithm::EdDSA).header("kid", "k1")
///     .claim("aud", "my-app").encode(&signing)?;
/// let v = Validation::default().algorithms(&[Algorithm::EdDSA])
///     .issuers(&["https://idp.example"]).audiences(&["my-app"]);
/// assert_eq!(decode::<twilio_token::Claims>(&token, &jwks, &v)?.claims["aud"], "my-app");
/// # Ok::<(), twilio_token::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct JwkSet {
    keys: Vec<Jwk>,
    skipped: Vec<String>,
}

impl JwkSet {
    /// A key set of these keys.
    pub fn from_keys(keys: Vec<Jwk>) -> Self {
        JwkSet {
            keys,
            skipped: Vec::new(),
        }
    }

    /// Parses a JWK Set document. Keys that cannot verify signatures are skipped, each with a
    /// reason in [`skipped`](Self::skipped); a document that is not a key set is an error.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let (raw, _) = strict::from_slice::<RawSet>(json).map_err(|_| {
            jwk_error("a JWK Set is a JSON object with a \"keys\" array, without duplicate names")
        })?;
        if raw.keys.len() > MAX_KEYS {
            return Err(jwk_error("the JWK Set has more than 64 keys"));
        }
        let mut set = JwkSet::default();
        for (i, value) in raw.keys.into_iter().enumerate() {
            let kid = value.get("kid").and_then(|k| k.as_str()).map(str::to_owned);
            let parsed = serde_json::from_value::<RawJwk>(value)
                .map_err(|_| jwk_error("members of the wrong JSON type"))
                .and_then(Jwk::from_raw)
                .and_then(|jwk| {
                    // RFC 7517 §4.5 lets keys of different types share a kid; two of one type
                    // would make the choice ambiguous, so the first one stands.
                    let taken = set.keys.iter().any(|k| {
                        k.kid.is_some() && k.kid == jwk.kid && k.key.family() == jwk.key.family()
                    });
                    match taken {
                        true => Err(jwk_error("an earlier key of the same type has this kid")),
                        false => Ok(jwk),
                    }
                });
            match parsed {
                Ok(jwk) => set.keys.push(jwk),
                Err(e) => set.skipped.push(format!(
                    "key {i}{}: {e}",
                    kid.map(|k| format!(" (kid {:?})", k.chars().take(64).collect::<String>()))
                        .unwrap_or_default()
                )),
            }
        }
        Ok(set)
    }

    /// The keys that can verify signatures.
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    /// Why each skipped key was skipped.
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// Whether some key has this `kid`.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid() == Some(kid))
    }

    /// The keys that may verify a token with this header, among those that fit its
    /// algorithm: the ones with its `kid`; if none has it, the ones without a `kid` (a bare PEM
    /// key, say); and for a token without a `kid`, all of them.
    pub fn candidates<'a>(&'a self, header: &'a Header) -> impl Iterator<Item = &'a Jwk> + 'a {
        let wanted = header.kid.as_deref();
        let named = wanted.is_some_and(|kid| {
            self.keys
                .iter()
                .any(|k| k.kid() == Some(kid) && k.fits(header.alg))
        });
        self.keys.iter().filter(move |k| {
            let by_name = match wanted {
                None => true,
                Some(kid) if named => k.kid() == Some(kid),
                Some(_) => k.kid().is_none(),
            };
            by_name && k.fits(header.alg)
        })
    }
}

impl KeySource for JwkSet {}

impl sealed::Verify for JwkSet {
    fn check_usable(&self) -> Result<()> {
        Ok(())
    }

    fn verify_signature(&self, header: &Header, message: &[u8], signature: &[u8]) -> Result<()> {
        // A public key set never verifies an HMAC token, whatever its keys.
        if header.alg.family() == Family::Hmac {
            return err(ErrorKind::AlgorithmNotAllowed(
                header.alg.as_str().to_owned(),
            ));
        }
        let mut tried = false;
        for jwk in self.candidates(header).take(MAX_TRIES) {
            tried = true;
            if jwk.key.verify(header.alg, message, signature) {
                return Ok(());
            }
        }
        match tried {
            true => err(ErrorKind::InvalidSignature),
            false => err(ErrorKind::UnknownKey),
        }
    }
}
