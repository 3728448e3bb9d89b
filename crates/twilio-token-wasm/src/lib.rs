//! The WebAssembly core of the `twilio-token` npm package (`packages/twilio-token`): the
//! library's Node dialect behind a few functions that take and return text, so that the
//! JavaScript layer stays thin and every token's layout is the library's.
//!
//! Built for `wasm32-unknown-unknown` by `packages/twilio-token/build.mjs`; compiles natively
//! too, where the functions can be tested.

use std::cell::RefCell;

use serde_json::{Value, json};
use twilio_token::algorithm::Family;
use twilio_token::jws::decode_json;
use twilio_token::region::Region;
use twilio_token::{Algorithm, DecodingKey, Validation, dangerous, explain};
use wasm_bindgen::prelude::*;

/// Mints the token a spec describes (`twilio_token::spec`, `"dialect": "node"` for
/// twilio-node's tokens). A spec without `"at"` is minted at the host's clock: on
/// wasm32-unknown-unknown the system clock cannot be read from Rust.
#[wasm_bindgen]
pub fn mint(spec: &str) -> Result<String, JsError> {
    mint_spec(spec).map_err(|e| JsError::new(&e))
}

fn mint_spec(spec: &str) -> Result<String, String> {
    twilio_token::spec::node::mint_str(spec, host_now()).map_err(|e| e.to_string())
}

/// What `mint` mints for a validation token's spec, without its signature: the
/// `header.payload` that a host with a faster RSA than WebAssembly's signs (`node:crypto`).
#[wasm_bindgen(js_name = validationSigningInput)]
pub fn validation_signing_input(spec: &str) -> Result<String, JsError> {
    twilio_token::spec::node::validation_signing_input(spec, host_now())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// The lowercase hex SHA-256 of `text`'s UTF-8 bytes (for the request canonicalizer of
/// validation tokens, on runtimes without `node:crypto`).
#[wasm_bindgen(js_name = sha256Hex)]
pub fn sha256_hex(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Verifies `token` strictly with `key` (an HMAC secret, or a PEM public key) for one of the
/// algorithms named in `algorithms` (a JSON array; all of one key family) and returns
/// `{"header": ..., "payload": ...}` as JSON.
#[wasm_bindgen]
pub fn decode(token: &str, key: &str, algorithms: &str) -> Result<String, JsError> {
    verify(token, key, algorithms).map_err(|e| JsError::new(&e))
}

fn verify(token: &str, key: &str, algorithms: &str) -> Result<String, String> {
    let fail = |e: &dyn std::fmt::Display| e.to_string();
    let names: Vec<String> = serde_json::from_str(algorithms).map_err(|e| fail(&e))?;
    let algorithms = names
        .iter()
        .map(|name| name.parse::<Algorithm>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(&e))?;
    let Some(first) = algorithms.first() else {
        return Err("no algorithm given".into());
    };
    if algorithms.iter().any(|a| a.family() != first.family()) {
        return Err("the algorithms must all take one kind of key".into());
    }
    let key = decoding_key(*first, key).map_err(|e| fail(&e))?;
    let validation = Validation::default().algorithms(&algorithms).at(host_now());
    let (header, payload) = decode_json(token, &key, &validation).map_err(|e| fail(&e))?;
    let header = header.json();
    let mut out = String::with_capacity(header.len() + payload.len() + 24);
    out.push_str(r#"{"header":"#);
    out.push_str(header);
    out.push_str(r#","payload":"#);
    // Strictly checked UTF-8 JSON, as the token carries it.
    out.push_str(std::str::from_utf8(&payload).map_err(|e| fail(&e))?);
    out.push('}');
    Ok(out)
}

thread_local! {
    /// The key verified with last: a server verifies with one secret or one public key, and
    /// making a key hashes the secret or parses the PEM.
    static LAST_KEY: RefCell<Option<(Family, String, DecodingKey)>> = const { RefCell::new(None) };
}

/// The key for `algorithm` made of `text`, the last one made if it was the same.
fn decoding_key(algorithm: Algorithm, text: &str) -> twilio_token::Result<DecodingKey> {
    LAST_KEY.with_borrow_mut(|last| {
        let family = algorithm.family();
        if let Some((f, t, key)) = last
            && *f == family
            && t == text
        {
            return Ok(key.clone());
        }
        let key = DecodingKey::for_algorithm(algorithm, text.as_bytes())?;
        *last = Some((family, text.to_owned(), key.clone()));
        Ok(key)
    })
}

/// Refuses a name that is not a Twilio Region's (`twilio_token::region::Region`: us1, ie1, au1,
/// in any case).
#[wasm_bindgen(js_name = checkRegion)]
pub fn check_region(name: &str) -> Result<(), JsError> {
    name.parse::<Region>()
        .map(drop)
        .map_err(|e| JsError::new(&format!("region: {e}")))
}

/// What Twilio would say about an access token (`twilio_token::explain`), read without
/// verifying it: a JSON array of `{"level", "code", "message"}`, `code` null where Twilio has
/// none.
#[wasm_bindgen]
pub fn explain(token: &str) -> Result<String, JsError> {
    findings(token).map_err(|e| JsError::new(&e))
}

fn findings(token: &str) -> Result<String, String> {
    let data = dangerous::decode_unverified(token).map_err(|e| e.to_string())?;
    if data.header.cty.as_deref() != Some("twilio-fpa;v=1") {
        return Err("not an access token: its header has no cty \"twilio-fpa;v=1\"".into());
    }
    let findings: Vec<Value> = explain::access_token(&data, false)
        .into_iter()
        .map(|f| json!({"level": f.level.as_str(), "code": f.code, "message": f.message}))
        .collect();
    Ok(Value::Array(findings).to_string())
}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
fn host_now() -> i64 {
    (js_sys::Date::now() / 1000.0).floor() as i64
}

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
fn host_now() -> i64 {
    twilio_token::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mints_and_reads_back_in_the_node_dialect() {
        let token = mint_spec(
            r#"{"kind": "access", "dialect": "node", "account_sid": "AC1", "signing_key_sid": "SK1",
                "secret": "s3cret", "identity": 42, "grants": [{"video": {"room": "r"}}]}"#,
        )
        .unwrap();
        let read: Value =
            serde_json::from_str(&verify(&token, "s3cret", r#"["HS256"]"#).unwrap()).unwrap();
        assert_eq!(read["header"]["cty"], "twilio-fpa;v=1");
        assert_eq!(read["payload"]["grants"]["identity"], "42");
        assert!(verify(&token, "wrong", r#"["HS256"]"#).is_err());
        // The key kept from the last call is the last key's, never the one before.
        assert!(verify(&token, "s3cret", r#"["HS384", "HS256"]"#).is_ok());
        assert!(verify(&token, "s3cret", r#"["RS256"]"#).is_err());
        assert!(verify(&token, "s3cret", r#"["HS256"]"#).is_ok());
        assert!(verify(&token, "s3cret", r#"["HS256", "RS256"]"#).is_err());
    }

    #[test]
    fn explains_an_access_token_with_twilio_codes() {
        let token = mint_spec(
            r#"{"kind": "access", "dialect": "node", "account_sid": "AC1", "signing_key_sid": "SK1",
                "secret": "s", "identity": "alice", "grants": [{"video": {}}]}"#,
        )
        .unwrap();
        let found: Value = serde_json::from_str(&findings(&token).unwrap()).unwrap();
        assert_eq!(found[0]["level"], "problem");
        assert_eq!(found[0]["code"], 20103);
        assert!(
            found[0]["message"]
                .as_str()
                .unwrap()
                .starts_with("iss \"SK1\"")
        );
        assert_eq!(
            found.as_array().unwrap().last().unwrap()["code"],
            Value::Null
        );
        assert!(findings("not.a.token").is_err());
    }

    #[test]
    fn hashes_as_sha256() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
