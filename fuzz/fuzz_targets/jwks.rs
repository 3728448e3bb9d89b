//! JWK and JWK Set parsing, and PEM public keys: any bytes. Nothing may panic, and every key a
//! set keeps must be usable to attempt a verification.
#![no_main]

use libfuzzer_sys::fuzz_target;
use twilio_token::jwk::{Jwk, JwkSet};
use twilio_token::{Algorithm, Claims, DecodingKey, Validation, decode};

const TOKEN: &str = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsifQ.eyJzdWIiOiJ4In0.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

fuzz_target!(|data: &[u8]| {
    let _ = Jwk::from_json(data);
    let _ = DecodingKey::from_public_pem(data);
    if let Ok(set) = JwkSet::from_json(data) {
        assert!(set.keys().len() <= 64);
        let v = Validation::default().algorithms(Algorithm::ASYMMETRIC);
        let _ = decode::<Claims>(TOKEN, &set, &v);
    }
});
