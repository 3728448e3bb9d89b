//! Compact JWS: the signing and the strict decoding every token type shares.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::error::{ErrorKind, Result, err};
use crate::json;
use crate::key::{DecodingKey, EncodingKey};

/// Joins the already serialised header and payload into a signed compact JWS.
pub(crate) fn sign(
    header_json: &[u8],
    payload_json: &[u8],
    alg: Algorithm,
    key: &EncodingKey,
) -> Result<String> {
    let mut token = String::with_capacity(
        (header_json.len() + payload_json.len()) * 4 / 3 + 8 + signature_b64_len(alg),
    );
    URL_SAFE_NO_PAD.encode_string(header_json, &mut token);
    append_signed(token, payload_json, alg, key)
}

/// Like [`sign`], for a header already in base64url.
pub(crate) fn sign_with_encoded_header(
    header_b64: &str,
    payload_json: &[u8],
    alg: Algorithm,
    key: &EncodingKey,
) -> Result<String> {
    let mut token = String::with_capacity(
        header_b64.len() + payload_json.len() * 4 / 3 + 8 + signature_b64_len(alg),
    );
    token.push_str(header_b64);
    append_signed(token, payload_json, alg, key)
}

fn append_signed(
    mut token: String,
    payload_json: &[u8],
    alg: Algorithm,
    key: &EncodingKey,
) -> Result<String> {
    key.check_usable()?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload_json, &mut token);
    let hs256 = key.hs256().filter(|_| alg == Algorithm::HS256);
    let signature = match hs256 {
        // The common case signs with the precomputed key state and no allocation.
        Some(k) => {
            let tag = ring::hmac::sign(k, token.as_bytes());
            token.push('.');
            URL_SAFE_NO_PAD.encode_string(tag.as_ref(), &mut token);
            return Ok(token);
        }
        None => key.sign(alg, token.as_bytes())?,
    };
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
    Ok(token)
}

fn signature_b64_len(alg: Algorithm) -> usize {
    match alg {
        Algorithm::HS256 => 43,
        Algorithm::HS384 => 64,
        Algorithm::HS512 => 86,
        _ => 684, // RSA up to 4096 bits without a reallocation
    }
}

/// The header and claims of a decoded token, in the order the token has them.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenData {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The claims (payload).
    pub claims: Map<String, Value>,
}

impl TokenData {
    /// A claim by name.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }
}

/// How strictly [`decode`] checks a token. The default is the reference's: HS256 only, `exp` and
/// `nbf` checked with no leeway against the system clock, tokens up to 16 KiB.
///
/// ```
/// use twilio_token::{Algorithm, Validation};
/// let v = Validation::default()
///     .algorithms(&[Algorithm::HS256, Algorithm::HS512])
///     .leeway(30)
///     .at(1_700_000_000);
/// # let _ = v;
/// ```
#[derive(Debug, Clone)]
pub struct Validation {
    algorithms: Vec<Algorithm>,
    leeway: u64,
    validate_exp: bool,
    validate_nbf: bool,
    require_exp: bool,
    max_len: usize,
    now: Option<i64>,
}

/// The default cap on a token's length in bytes.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 16 * 1024;

impl Default for Validation {
    fn default() -> Self {
        Validation {
            algorithms: vec![Algorithm::HS256],
            leeway: 0,
            validate_exp: true,
            validate_nbf: true,
            require_exp: false,
            max_len: DEFAULT_MAX_TOKEN_LEN,
            now: None,
        }
    }
}

impl Validation {
    /// The algorithms a token may use; anything else is refused before its signature is read.
    pub fn algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        self.algorithms = algorithms.to_vec();
        self
    }

    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    pub fn leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds;
        self
    }

    /// Whether to check `exp` (default on).
    pub fn validate_exp(mut self, on: bool) -> Self {
        self.validate_exp = on;
        self
    }

    /// Whether to check `nbf` (default on).
    pub fn validate_nbf(mut self, on: bool) -> Self {
        self.validate_nbf = on;
        self
    }

    /// Refuse tokens without an `exp` claim (default off, like the reference).
    pub fn require_exp(mut self, on: bool) -> Self {
        self.require_exp = on;
        self
    }

    /// The longest token accepted, in bytes; longer ones are refused before they are decoded.
    pub fn max_len(mut self, bytes: usize) -> Self {
        self.max_len = bytes;
        self
    }

    /// Check times against this Unix time instead of the system clock.
    pub fn at(mut self, now: i64) -> Self {
        self.now = Some(now);
        self
    }
}

/// Verifies and decodes a compact JWS.
///
/// In order: the length cap; exactly three segments of canonical, unpadded base64url; a header
/// that is a JSON object with no duplicate names, a string `alg` that is on the allow-list and
/// fits the key's family, and no `crit`; the signature; claims that are a JSON object with no
/// duplicate names; `exp`, `nbf` and `iat` numbers where present; then `exp` and `nbf` against
/// the clock (a token is expired once `exp <= now - leeway`, as in PyJWT).
///
/// ```
/// use twilio_token::{decode, AccessToken, DecodingKey, ErrorKind, Validation, grants::VideoGrant};
/// let token = AccessToken::new("AC123", "SK123", "secret")
///     .identity("alice")
///     .grant(VideoGrant::room("My Room"))
///     .to_jwt_at(1_700_000_000)?;
/// let data = decode(&token, &DecodingKey::from_secret(b"secret"), &Validation::default().at(1_700_000_100))?;
/// assert_eq!(data.claims["grants"]["identity"], "alice");
///
/// let late = decode(&token, &DecodingKey::from_secret(b"secret"), &Validation::default().at(1_700_003_600));
/// assert_eq!(late.unwrap_err().kind(), &ErrorKind::Expired);
/// # Ok::<(), twilio_token::Error>(())
/// ```
pub fn decode(token: &str, key: &DecodingKey, validation: &Validation) -> Result<TokenData> {
    key.check_usable()?;
    let parts = split(token, validation.max_len)?;
    let header = decode_header(parts.header)?;
    let alg = header_algorithm(&header)?;
    if !validation.algorithms.contains(&alg) || alg.family() != key.family() {
        return err(ErrorKind::AlgorithmNotAllowed(alg.as_str().to_owned()));
    }
    let signature = decode_b64(parts.signature)?;
    if !key.verify(alg, parts.signing_input.as_bytes(), &signature) {
        return err(ErrorKind::InvalidSignature);
    }
    let claims = decode_claims(parts.payload)?;
    check_times(&claims, validation)?;
    Ok(TokenData { header, claims })
}

pub(crate) struct Parts<'a> {
    pub header: &'a str,
    pub payload: &'a str,
    pub signature: &'a str,
    pub signing_input: &'a str,
}

pub(crate) fn split(token: &str, max_len: usize) -> Result<Parts<'_>> {
    if token.len() > max_len {
        return err(ErrorKind::TooLarge { limit: max_len });
    }
    let mut segments = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return err(ErrorKind::Malformed("a token has exactly three segments"));
    };
    Ok(Parts {
        header,
        payload,
        signature,
        signing_input: &token[..header.len() + 1 + payload.len()],
    })
}

fn decode_b64(segment: &str) -> Result<Vec<u8>> {
    // The engine refuses padding and non-zero trailing bits, so each token has one spelling.
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| ErrorKind::Malformed("segment is not canonical unpadded base64url").into())
}

pub(crate) fn decode_header(segment: &str) -> Result<Map<String, Value>> {
    let header = json::parse_object(&decode_b64(segment)?)
        .map_err(|_| ErrorKind::BadHeader("header is not a JSON object without duplicate names"))?;
    if header.contains_key("crit") {
        // We implement no JWS extension, so any critical one must be refused (RFC 7515 §4.1.11).
        return err(ErrorKind::BadHeader("crit names an extension this verifier does not support"));
    }
    for name in ["typ", "cty", "kid"] {
        if header.get(name).is_some_and(|v| !v.is_string()) {
            return err(ErrorKind::BadHeader("typ, cty and kid must be strings"));
        }
    }
    Ok(header)
}

pub(crate) fn header_algorithm(header: &Map<String, Value>) -> Result<Algorithm> {
    match header.get("alg") {
        Some(Value::String(alg)) => alg.parse(),
        Some(_) => err(ErrorKind::BadHeader("alg must be a string")),
        None => err(ErrorKind::BadHeader("alg is missing")),
    }
}

pub(crate) fn decode_claims(segment: &str) -> Result<Map<String, Value>> {
    let claims = json::parse_object(&decode_b64(segment)?).map_err(|_| {
        ErrorKind::Malformed("payload is not a JSON object without duplicate names")
    })?;
    for name in ["exp", "nbf", "iat"] {
        if claims.get(name).is_some_and(|v| !v.is_number()) {
            return err(ErrorKind::InvalidClaim("exp, nbf and iat must be numbers"));
        }
    }
    Ok(claims)
}

fn check_times(claims: &Map<String, Value>, v: &Validation) -> Result<()> {
    let now = v.now.unwrap_or_else(crate::now) as f64;
    let leeway = v.leeway as f64;
    let number = |name| claims.get(name).and_then(Value::as_f64);
    match number("exp") {
        Some(exp) if v.validate_exp && exp <= now - leeway => return err(ErrorKind::Expired),
        None if v.require_exp => return err(ErrorKind::InvalidClaim("exp is required")),
        _ => {}
    }
    match number("nbf") {
        Some(nbf) if v.validate_nbf && nbf > now + leeway => err(ErrorKind::NotYetValid),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7515 A.1 and A.2 produce the RFC's exact signatures (both algorithms are
    /// deterministic), from the RFC's own header and payload bytes.
    #[test]
    fn signing_reproduces_rfc7515_a1_and_a2() {
        let payload = b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
        let k = URL_SAFE_NO_PAD
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap();
        let a1 = sign(
            b"{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}",
            payload,
            Algorithm::HS256,
            &EncodingKey::from_secret(&k),
        )
        .unwrap();
        assert!(a1.ends_with(".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "{a1}");

        let pem = include_bytes!("../tests/fixtures/rfc7515_a2.pem");
        let a2 = sign(
            b"{\"alg\":\"RS256\"}",
            payload,
            Algorithm::RS256,
            &EncodingKey::from_rsa_pem(pem).unwrap(),
        )
        .unwrap();
        assert!(a2.ends_with(".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"));
    }

    #[test]
    fn an_hmac_key_cannot_sign_rs256_nor_an_empty_secret_anything() {
        let e = sign(b"{}", b"{}", Algorithm::RS256, &EncodingKey::from_secret(b"k")).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::InvalidKey(_)));
        let e = sign(b"{}", b"{}", Algorithm::HS256, &EncodingKey::from_secret(b"")).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::InvalidKey(_)));
    }
}
