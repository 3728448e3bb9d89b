//! Inputs the fuzzers once found (`fuzz/regressions/<target>/`), replayed through the `decode`
//! fuzz target's own checks (`fuzz/decode_check.rs`): every decoding path agrees on whether a
//! token verifies and on the values it carries, as the claims of a correctly signed token and
//! as a token.

#[path = "../../../fuzz/decode_check.rs"]
mod decode_check;

use twilio_token::{Claims, DecodingKey, Validation, decode};

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

/// The first finds: numbers that Python's json reads in its own way. `2.10` is the float 2.1,
/// `-0` the integer 0, and an integer beyond 64 bits a double, whatever the claims type.
#[test]
fn numbers_are_read_as_python_reads_them() {
    let token = decode_check::sign(br#"{"a":2.10,"z":-0,"big":123456789012345678901234567890}"#);
    let key = DecodingKey::from_secret(decode_check::KEY);
    let v = Validation::default().require_exp(false);
    let map = decode::<Claims>(&token, &key, &v).unwrap().claims;
    assert_eq!(map["a"].as_f64(), Some(2.1));
    assert_eq!(map["z"].as_i64(), Some(0));
    assert_eq!(map["big"].as_f64(), Some(1.2345678901234568e29));
    #[derive(serde::Deserialize)]
    struct Typed {
        a: f64,
        z: i64,
    }
    let typed = decode::<Typed>(&token, &key, &v).unwrap().claims;
    assert_eq!((typed.a, typed.z), (2.1, 0));
}
