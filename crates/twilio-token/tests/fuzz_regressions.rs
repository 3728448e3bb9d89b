//! Inputs the fuzzers once found (`fuzz/regressions/<target>/`), replayed through the same
//! checks as the `decode` fuzz target: every decoding path agrees on whether a token verifies
//! and on the values it carries, as the claims of a correctly signed token and as a token.

use serde_json::{Map, Value};
use twilio_token::{Algorithm, DecodingKey, Validation, dangerous, decode, decode_as};

const KEY: &[u8] = b"fuzz-secret";

/// A token whose claims are `payload`, HS256-signed with the fuzz key.
fn sign(payload: &[u8]) -> String {
    let mut token = String::from("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.");
    base64_simd::URL_SAFE_NO_PAD.encode_append(payload, &mut token);
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, KEY),
        token.as_bytes(),
    );
    token.push('.');
    base64_simd::URL_SAFE_NO_PAD.encode_append(tag.as_ref(), &mut token);
    token
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

fn check(token: &str) {
    let key = DecodingKey::from_secret(KEY);
    let v = Validation::default()
        .algorithms(&Algorithm::ALL)
        .at(1_700_000_000)
        .leeway(u64::MAX / 4);
    let map = decode(token, &key, &v);
    let typed = decode_as::<Map<String, Value>>(token, &key, &v);
    assert_eq!(map.is_ok(), typed.is_ok(), "{map:?} / {typed:?}");
    if let (Ok(a), Ok(b)) = (&map, &typed) {
        let (a, b) = (
            Value::Object(a.claims.clone()),
            Value::Object(b.claims.clone()),
        );
        assert!(same(&a, &b), "{a} / {b}");
    }
    if map.is_ok() {
        assert!(dangerous::decode_unverified(token).is_ok());
    }
}

#[test]
fn decode_regressions() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/regressions/decode");
    let mut replayed = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        check(&sign(&data));
        if let Ok(token) = std::str::from_utf8(&data) {
            check(token);
        }
        replayed += 1;
    }
    assert!(replayed >= 1);
}

/// The first finds: `decode` keeps the digits of `2.10` and `-0` while a typed target reads the
/// float 2.1 and the integer 0 (as Python's json does); both accept the token and the values
/// are equal.
#[test]
fn decode_keeps_digits_and_decode_as_reads_the_same_number() {
    let token = sign(br#"{"a":2.10,"z":-0,"big":123456789012345678901234567890}"#);
    let key = DecodingKey::from_secret(KEY);
    let v = Validation::default();
    let map = decode(&token, &key, &v).unwrap().claims;
    assert_eq!(map["a"].to_string(), "2.10");
    assert_eq!(map["big"].to_string(), "123456789012345678901234567890");
    let typed = decode_as::<Map<String, Value>>(&token, &key, &v)
        .unwrap()
        .claims;
    assert_eq!(typed["a"].as_f64(), Some(2.1));
    assert_eq!(typed["z"].as_i64(), Some(0));
}
