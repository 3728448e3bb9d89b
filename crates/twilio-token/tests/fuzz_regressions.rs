//! Inputs the fuzzers once found (`fuzz/regressions/<target>/`), replayed through the `decode`
//! fuzz target's own checks (`fuzz/decode_check.rs`): every decoding path agrees on whether a
//! token verifies and on the values it carries, as the claims of a correctly signed token and
//! as a token.

#[path = "../../../fuzz/decode_check.rs"]
mod decode_check;

use serde_json::{Map, Value};
use twilio_token::{DecodingKey, Validation, decode, decode_as};

#[test]
fn decode_regressions() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/regressions/decode");
    let mut replayed = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        decode_check::check_bytes(&std::fs::read(entry.unwrap().path()).unwrap());
        replayed += 1;
    }
    assert!(replayed >= 1);
}

/// The first finds: `decode` keeps the digits of `2.10` and `-0` while a typed target reads the
/// float 2.1 and the integer 0 (as Python's json does); both accept the token and the values
/// are equal.
#[test]
fn decode_keeps_digits_and_decode_as_reads_the_same_number() {
    let token = decode_check::sign(br#"{"a":2.10,"z":-0,"big":123456789012345678901234567890}"#);
    let key = DecodingKey::from_secret(decode_check::KEY);
    let v = Validation::default().require_exp(false);
    let map = decode(&token, &key, &v).unwrap().claims;
    assert_eq!(map["a"].to_string(), "2.10");
    assert_eq!(map["big"].to_string(), "123456789012345678901234567890");
    let typed = decode_as::<Map<String, Value>>(&token, &key, &v)
        .unwrap()
        .claims;
    assert_eq!(typed["a"].as_f64(), Some(2.1));
    assert_eq!(typed["z"].as_i64(), Some(0));
}
