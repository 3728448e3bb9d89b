//! The `decode` fuzz target's checks, shared with the test that replays the inputs it once
//! failed on (`crates/twilio-token/tests/fuzz_regressions.rs`), so that both hold the same
//! invariants: any bytes, as a token and as the claims of a correctly signed token, go through
//! every decoding entry point with an HMAC key and a key set; nothing panics, and a token that
//! verifies reads the same through every path.

use std::sync::LazyLock;

use serde_json::Value;
use twilio_token::jwk::JwkSet;
use twilio_token::jws::decode_payload;
use twilio_token::{Algorithm, Claims, DecodingKey, Validation, dangerous, decode};

/// The HMAC secret of the signed tokens.
pub const KEY: &[u8] = b"fuzz-secret";

static JWKS: LazyLock<JwkSet> = LazyLock::new(|| {
    JwkSet::from_json(include_bytes!(
        "../crates/twilio-token/tests/fixtures/keys/jwks.json"
    ))
    .unwrap()
});
static HMAC: LazyLock<DecodingKey> = LazyLock::new(|| DecodingKey::from_secret(KEY));

/// Checks `data` as the claims of a signed token and, if it is text, as a token.
pub fn check_bytes(data: &[u8]) {
    check(&sign(data));
    if let Ok(token) = std::str::from_utf8(data) {
        check(token);
    }
}

/// A token whose claims are `payload`, HS256-signed with the fuzz key.
pub fn sign(payload: &[u8]) -> String {
    let mut token = String::from("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.");
    base64_simd::URL_SAFE_NO_PAD.encode_append(payload, &mut token);
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, KEY);
    let tag = ring::hmac::sign(&key, token.as_bytes());
    token.push('.');
    base64_simd::URL_SAFE_NO_PAD.encode_append(tag.as_ref(), &mut token);
    token
}

/// serde_json's private key for an arbitrary-precision number.
const SENTINEL: &[u8] = b"$serde_json::private::Number";

/// Every decoding path on `token`: none panics, and they agree on whether it verifies and on
/// the values it carries.
fn check(token: &str) {
    let every = Validation::default()
        .algorithms(&Algorithm::ALL)
        .at(1_700_000_000)
        .leeway(u64::MAX / 4)
        .require_exp(false);
    let map = decode::<Claims>(token, &*HMAC, &every);
    if let Ok(data) = &map {
        // serde_json, an independent parser, reads the verified payload as the same values.
        let payload = token
            .split('.')
            .nth(1)
            .expect("a verified token has a payload");
        let json = base64_simd::URL_SAFE_NO_PAD.decode_to_vec(payload).unwrap();
        match serde_json::from_slice::<Value>(&json) {
            Ok(theirs) => assert!(same(&Value::Object(data.claims.clone()), &theirs)),
            // serde_json's arbitrary-precision numbers travel as an object under a private
            // key, so it refuses a JSON object that uses that key: the one payload it cannot
            // read back, and no reason to refuse the token.
            Err(e) => assert!(
                json.windows(SENTINEL.len()).any(|w| w == SENTINEL),
                "serde_json cannot read a verified payload: {e}"
            ),
        }
    }
    // Access claims: read only from tokens that verify, and the same values as the map's.
    if let Ok(access) = twilio_token::access_token::decode(token, &*HMAC, &every) {
        let map = &map
            .as_ref()
            .expect("access claims from a token decode refuses")
            .claims;
        let claims = access.claims;
        assert_eq!(map["jti"], claims.jti.as_str());
        assert_eq!(map["iss"], claims.iss.as_str());
        assert_eq!(map["exp"].as_f64(), Some(claims.exp as f64));
        assert_eq!(map.get("nbf").and_then(Value::as_i64), claims.nbf);
        assert_eq!(
            map["grants"].get("identity").and_then(Value::as_str),
            claims.identity.as_deref()
        );
        assert_eq!(
            map["grants"].as_object().map(|g| g.len()),
            Some(
                claims.grants.len() + claims.legacy.len() + usize::from(claims.identity.is_some())
            )
        );
    }
    let _ = decode::<Claims>(
        token,
        &*JWKS,
        &every
            .clone()
            .issuers(&["i"])
            .audiences(&["a"])
            .validate_iat(true),
    );
    let _ = decode_payload(token, &*JWKS, &every);
    let unverified = dangerous::decode_unverified(token);
    if map.is_ok() {
        assert!(
            unverified.is_ok(),
            "a verified token must also decode unverified"
        );
    }
}

/// Whether two JSON values are equal, numbers compared as the floats they denote.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
