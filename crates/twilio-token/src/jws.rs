//! Compact JWS: the signing and the strict decoding every token type shares.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::error::{ErrorKind, Result, err};
use crate::key::{EncodingKey, KeySource};
use crate::strict;

pub use crate::header::Header;
pub(crate) use crate::header::decode_header;

/// Joins the already serialised header and payload into a signed compact JWS: base64url of each,
/// and the signature of both with `key` under `alg`. For callers that write their own JSON (the
/// Python binding writes it as PyJWT does); the token types of this crate write theirs.
///
/// ```
/// use twilio_token::{Algorithm, EncodingKey, jws};
/// let token = jws::sign(br#"{"alg":"HS256"}"#, br#"{"iss":"me"}"#, Algorithm::HS256, &EncodingKey::from_secret(b"s"))?;
/// assert!(token.starts_with("eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJtZSJ9."));
/// # Ok::<(), twilio_token::Error>(())
/// ```
pub fn sign(
    header_json: &[u8],
    payload_json: &[u8],
    alg: Algorithm,
    key: &EncodingKey,
) -> Result<String> {
    let mut token = String::with_capacity(
        (header_json.len() + payload_json.len()) * 4 / 3 + 8 + signature_b64_len(alg),
    );
    encode_into(header_json, &mut token);
    append_signed(&mut token, payload_json, alg, key)?;
    Ok(token)
}

/// The JWS Signing Input (RFC 7515, section 5.1) of the already serialised header and payload:
/// base64url of each, joined by a dot. What [`sign`] signs, for a caller that signs elsewhere.
pub(crate) fn signing_input(header_json: &[u8], payload_json: &[u8]) -> String {
    let mut input = String::with_capacity((header_json.len() + payload_json.len()) * 4 / 3 + 4);
    encode_into(header_json, &mut input);
    input.push('.');
    encode_into(payload_json, &mut input);
    input
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
    append_signed(&mut token, payload_json, alg, key)?;
    Ok(token)
}

/// Appends `.payload.signature` to the encoded header in `token`.
fn append_signed(
    token: &mut String,
    payload_json: &[u8],
    alg: Algorithm,
    key: &EncodingKey,
) -> Result<()> {
    key.check_usable()?;
    token.push('.');
    encode_into(payload_json, token);
    let signature = key.sign(alg, token.as_bytes())?;
    token.push('.');
    encode_into(signature.as_ref(), token);
    Ok(())
}

fn encode_into(bytes: &[u8], out: &mut String) {
    base64_simd::URL_SAFE_NO_PAD.encode_append(bytes, out);
}

fn signature_b64_len(alg: Algorithm) -> usize {
    match alg {
        Algorithm::HS256 => 43,
        Algorithm::HS384 => 64,
        Algorithm::HS512 => 86,
        _ => 684, // RSA up to 4096 bits without a reallocation
    }
}

/// The claims of a token as a JSON map, in the token's order: [`decode`]'s default claims type.
pub type Claims = Map<String, Value>;

/// A verified (or, through [`dangerous`](crate::dangerous), merely decoded) token.
///
/// `C` is the claims type: [`Claims`], a JSON map, or any type of the caller's.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenData<C = Claims> {
    /// The JOSE header.
    pub header: Header,
    /// The claims.
    pub claims: C,
}

/// How strictly [`decode`] checks a token. The default: HS256 only, `exp` required, `exp` and
/// `nbf` checked with no leeway against the system clock, tokens up to 16 KiB. (The reference
/// accepts a token without `exp`, one that never expires; [`Validation::require_exp`] turns
/// that back on for callers that must.)
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
    validate_iat: bool,
    issuers: Vec<String>,
    audiences: Vec<String>,
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
            require_exp: true,
            validate_iat: false,
            issuers: Vec::new(),
            audiences: Vec::new(),
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

    /// Seconds of clock skew tolerated on `exp`, `nbf` and (when checked) `iat`.
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

    /// Refuse tokens without an `exp` claim (default on; the reference accepts them, and so does
    /// `require_exp(false)`).
    pub fn require_exp(mut self, on: bool) -> Self {
        self.require_exp = on;
        self
    }

    /// Refuse tokens issued in the future: `iat` later than now plus the leeway (default off,
    /// like the reference; identity providers' tokens should have it on).
    pub fn validate_iat(mut self, on: bool) -> Self {
        self.validate_iat = on;
        self
    }

    /// Accept only tokens whose `iss` is exactly one of these (default: any issuer).
    pub fn issuers<S: AsRef<str>>(mut self, issuers: &[S]) -> Self {
        self.issuers = issuers.iter().map(|s| s.as_ref().to_owned()).collect();
        self
    }

    /// Accept only tokens whose `aud` (a string or an array of strings) names one of these
    /// (default: `aud` is not checked).
    pub fn audiences<S: AsRef<str>>(mut self, audiences: &[S]) -> Self {
        self.audiences = audiences.iter().map(|s| s.as_ref().to_owned()).collect();
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

/// Verifies a compact JWS and reads its claims into `C`: [`Claims`] for a JSON map, or any
/// type of the caller's.
///
/// In order: the length cap; exactly three segments of canonical, unpadded base64url; a header
/// that is a JSON object with no duplicate names, a string `alg` that is on the allow-list and
/// fits the key's family, and no `crit`; the signature; claims that are a JSON object with no
/// duplicate names at any depth, read in the same pass into `C`; `exp`, `nbf` and `iat`
/// numbers where present; then `exp` and `nbf` against the clock (a token is expired once
/// `exp <= now - leeway`, as in PyJWT). Numbers are read as Python's `json` reads them (`2.10`
/// is the float 2.1), integers exactly up to 128 bits; beyond that they are read as doubles.
///
/// ```
/// use twilio_token::{decode, AccessToken, Claims, DecodingKey, ErrorKind, Validation, grants::VideoGrant};
/// let token = AccessToken::new("AC123", "SK123", "secret")
///     .identity("alice")
///     .grant(VideoGrant::room("My Room"))
///     .to_jwt_at(1_700_000_000)?;
/// let key = DecodingKey::from_secret(b"secret");
/// let data = decode::<Claims>(&token, &key, &Validation::default().at(1_700_000_100))?;
/// assert_eq!(data.claims["grants"]["identity"], "alice");
///
/// // Or straight into a type of your own.
/// #[derive(serde::Deserialize)]
/// struct Mine { iss: String, exp: i64 }
/// let mine = decode::<Mine>(&token, &key, &Validation::default().at(1_700_000_100))?.claims;
/// assert_eq!((mine.iss.as_str(), mine.exp), ("SK123", 1_700_003_600));
///
/// let late = decode::<Claims>(&token, &key, &Validation::default().at(1_700_003_600));
/// assert_eq!(late.unwrap_err().kind(), &ErrorKind::Expired);
/// # Ok::<(), twilio_token::Error>(())
/// ```
pub fn decode<C: DeserializeOwned>(
    token: &str,
    key: &impl KeySource,
    validation: &Validation,
) -> Result<TokenData<C>> {
    let (header, parts) = verify(token, key, validation)?;
    // Claims own their strings, so the JSON can live on the stack when it is small.
    // Uninitialised: the decoder only writes it.
    let mut stack = [std::mem::MaybeUninit::<u8>::uninit(); 2048];
    let heap;
    // The decoder asserts its output fits, so only a payload that surely fits goes on the stack.
    let payload = if parts.payload.len() / 4 * 3 + 3 <= stack.len() {
        base64_simd::URL_SAFE_NO_PAD
            .decode(
                parts.payload.as_bytes(),
                base64_simd::Out::from_uninit_slice(&mut stack),
            )
            .map_err(|_| ErrorKind::Malformed("segment is not canonical unpadded base64url"))?
    } else {
        heap = strict::base64url(parts.payload)?;
        &heap[..]
    };
    let (claims, times) = strict::from_slice(payload).map_err(claims_error)?;
    check_claims(&times, payload, validation)?;
    Ok(TokenData { header, claims })
}

/// Like [`decode`], with the claims left as the JSON the token carries once every check has
/// passed: for a binding that hands them on as text (a JavaScript host parses JSON itself).
///
/// ```
/// use twilio_token::{jws::decode_json, AccessToken, DecodingKey, Validation};
/// let token = AccessToken::new("AC1", "SK1", "s3cret").identity("alice").to_jwt()?;
/// let (header, json) = decode_json(&token, &DecodingKey::from_secret(b"s3cret"), &Validation::default())?;
/// assert_eq!(header.cty.as_deref(), Some("twilio-fpa;v=1"));
/// assert!(json.starts_with(br#"{"jti":"SK1-"#));
/// # Ok::<(), twilio_token::Error>(())
/// ```
pub fn decode_json(
    token: &str,
    key: &impl KeySource,
    validation: &Validation,
) -> Result<(Header, Vec<u8>)> {
    let (header, parts) = verify(token, key, validation)?;
    let payload = strict::base64url(parts.payload)?;
    let times = strict::scan_object(&payload).map_err(claims_error)?;
    check_claims(&times, &payload, validation)?;
    Ok((header, payload))
}

/// Verifies a compact JWS whose payload need not be a JWT's claims (RFC 7515 rather than RFC
/// 7519): the format, header, algorithm and signature checks of [`decode`], then the payload's
/// bytes. No claim is read, so no time is checked.
///
/// ```
/// use twilio_token::{jws::decode_payload, Algorithm, DecodingKey, Validation};
/// // RFC 8037 A.4: an Ed25519 signature over a plain-text payload.
/// let token = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
/// let x = base64_simd::URL_SAFE_NO_PAD.decode_to_vec("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").unwrap();
/// let key = DecodingKey::from_ed_components(&x)?;
/// let (header, payload) = decode_payload(token, &key, &Validation::default().algorithms(&[Algorithm::EdDSA]))?;
/// assert_eq!((header.alg, payload.as_slice()), (Algorithm::EdDSA, &b"Example of Ed25519 signing"[..]));
/// # Ok::<(), twilio_token::Error>(())
/// ```
pub fn decode_payload(
    token: &str,
    key: &impl KeySource,
    validation: &Validation,
) -> Result<(Header, Vec<u8>)> {
    let (header, parts) = verify(token, key, validation)?;
    Ok((header, strict::base64url(parts.payload)?))
}

/// Everything up to the claims: the format, the header, the algorithm and the signature.
fn verify<'a, K: KeySource>(
    token: &'a str,
    key: &K,
    validation: &Validation,
) -> Result<(Header, Parts<'a>)> {
    key.check_usable()?;
    let parts = split(token, validation.max_len)?;
    let header = decode_header(parts.header)?;
    let alg = header.alg;
    if !validation.algorithms.contains(&alg) {
        return err(ErrorKind::AlgorithmNotAllowed(alg.as_str().to_owned()));
    }
    // Signatures are at most 1024 bytes (RSA-8192); decode on the stack.
    let mut buffer = [std::mem::MaybeUninit::<u8>::uninit(); 1024];
    if parts.signature.len() > 1366 {
        return err(ErrorKind::InvalidSignature);
    }
    let signature = base64_simd::URL_SAFE_NO_PAD
        .decode(
            parts.signature.as_bytes(),
            base64_simd::Out::from_uninit_slice(&mut buffer),
        )
        .map_err(|_| ErrorKind::Malformed("segment is not canonical unpadded base64url"))?;
    key.verify_signature(&header, parts.signing_input.as_bytes(), signature)?;
    Ok((header, parts))
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
    let three = || {
        let bytes = token.as_bytes();
        let first = memchr::memchr(b'.', bytes)?;
        let second = first + 1 + memchr::memchr(b'.', &bytes[first + 1..])?;
        if memchr::memchr(b'.', &bytes[second + 1..]).is_some() {
            return None;
        }
        // The dots are ASCII, so these are character boundaries.
        Some(Parts {
            header: &token[..first],
            payload: &token[first + 1..second],
            signature: &token[second + 1..],
            signing_input: &token[..second],
        })
    };
    three().ok_or_else(|| ErrorKind::Malformed("a token has exactly three segments").into())
}

/// The error for claims that fail strict parsing.
fn claims_error(e: strict::Error) -> crate::Error {
    match e {
        strict::Error::DuplicateName => ErrorKind::Malformed("payload names a claim twice"),
        strict::Error::NotAnObject => ErrorKind::Malformed("payload is not a JSON object"),
        strict::Error::Syntax => ErrorKind::Malformed("payload is not JSON"),
        strict::Error::Shape(_) => ErrorKind::InvalidClaim("claims do not have the expected shape"),
    }
    .into()
}

/// The claims of a token that is not verified (see [`dangerous`](crate::dangerous)).
pub(crate) fn decode_claims_unverified(segment: &str) -> Result<Claims> {
    let payload = strict::base64url(segment)?;
    let (claims, times) = strict::from_slice(&payload).map_err(claims_error)?;
    check_time_types(&times)?;
    Ok(claims)
}

fn check_time_types(times: &strict::Times) -> Result<()> {
    for claim in [times.exp, times.nbf, times.iat] {
        if claim == strict::Claim::WrongType {
            return err(ErrorKind::InvalidClaim("exp, nbf and iat must be numbers"));
        }
    }
    Ok(())
}

/// The time claims, then `iss` and `aud` where the validation names them.
fn check_claims(times: &strict::Times, payload: &[u8], v: &Validation) -> Result<()> {
    check_times(times, v)?;
    if v.issuers.is_empty() && v.audiences.is_empty() {
        return Ok(());
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Audience {
        One(String),
        Many(Vec<String>),
    }
    let wrong =
        || ErrorKind::InvalidClaim("iss must be a string, aud a string or an array of strings");
    // The values where the one pass found them; `null` is as good as absent.
    let value = |span: Option<(usize, usize)>| span.map(|(start, end)| &payload[start..end]);
    let iss = value(times.iss)
        .map(strict::value_from_slice::<Option<String>>)
        .transpose()
        .map_err(|_| wrong())?
        .flatten();
    let aud = value(times.aud)
        .map(strict::value_from_slice::<Option<Audience>>)
        .transpose()
        .map_err(|_| wrong())?
        .flatten();
    if !v.issuers.is_empty() && !iss.is_some_and(|iss| v.issuers.contains(&iss)) {
        return err(ErrorKind::InvalidIssuer);
    }
    if !v.audiences.is_empty() {
        let accepted = |aud: &String| v.audiences.contains(aud);
        let ok = match &aud {
            Some(Audience::One(aud)) => accepted(aud),
            Some(Audience::Many(auds)) => auds.iter().any(accepted),
            None => false,
        };
        if !ok {
            return err(ErrorKind::InvalidAudience);
        }
    }
    Ok(())
}

fn check_times(times: &strict::Times, v: &Validation) -> Result<()> {
    check_time_types(times)?;
    let now = v.now.unwrap_or_else(crate::now) as f64;
    let leeway = v.leeway as f64;
    match times.exp {
        strict::Claim::Number(exp) if v.validate_exp && exp <= now - leeway => {
            return err(ErrorKind::Expired);
        }
        strict::Claim::Absent if v.require_exp => {
            return err(ErrorKind::MissingExpiry);
        }
        _ => {}
    }
    match times.nbf {
        strict::Claim::Number(nbf) if v.validate_nbf && nbf > now + leeway => {
            return err(ErrorKind::NotYetValid);
        }
        _ => {}
    }
    match times.iat {
        strict::Claim::Number(iat) if v.validate_iat && iat > now + leeway => {
            err(ErrorKind::IssuedInFuture)
        }
        strict::Claim::Absent if v.validate_iat => err(ErrorKind::InvalidClaim("iat is required")),
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
        let payload =
            b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
        let k = base64_simd::URL_SAFE_NO_PAD
            .decode_to_vec("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap();
        let a1 = sign(
            b"{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}",
            payload,
            Algorithm::HS256,
            &EncodingKey::from_secret(&k),
        )
        .unwrap();
        assert!(
            a1.ends_with(".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "{a1}"
        );

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

    /// Ed25519 is deterministic: RFC 8037 A.4's private key reproduces the RFC's token.
    #[test]
    fn signing_reproduces_rfc8037_a4() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/rfc8037_a4.json")).unwrap();
        // A PKCS#8 v1 Ed25519 document is a fixed prefix and the 32-byte seed.
        let mut pkcs8 = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        pkcs8.extend(
            base64_simd::URL_SAFE_NO_PAD
                .decode_to_vec(v["jwk"]["d"].as_str().unwrap())
                .unwrap(),
        );
        let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8));
        let key = EncodingKey::from_ed_pem(pem.as_bytes()).unwrap();
        let token = sign(
            b"{\"alg\":\"EdDSA\"}",
            v["payload"].as_str().unwrap().as_bytes(),
            Algorithm::EdDSA,
            &key,
        )
        .unwrap();
        assert_eq!(token, v["token"].as_str().unwrap());
    }

    #[test]
    fn an_hmac_key_cannot_sign_rs256_nor_an_empty_secret_anything() {
        let e = sign(
            b"{}",
            b"{}",
            Algorithm::RS256,
            &EncodingKey::from_secret(b"k"),
        )
        .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::InvalidKey(_)));
        let e = sign(
            b"{}",
            b"{}",
            Algorithm::HS256,
            &EncodingKey::from_secret(b""),
        )
        .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::InvalidKey(_)));
    }
}
