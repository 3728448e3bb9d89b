//! Helpers shared by the integration tests that use the key fixtures (`fixtures/keys/`).

use twilio_token::jwk::JwkSet;

/// The bytes of `fixtures/keys/{name}`.
pub fn key_file(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The fixtures' JWK Set.
pub fn jwks() -> JwkSet {
    JwkSet::from_json(&key_file("jwks.json")).unwrap()
}
