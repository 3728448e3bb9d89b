//! Public test vectors for public-key signatures: RFC 7515 A.3 (ES256), RFC 8037 A.4
//! (Ed25519), and Google's Wycheproof JSON Web Signature and JSON Web Key vectors
//! (C2SP/wycheproof, `testvectors/json_web_{signature,key}_test.json`, kept in
//! `fixtures/wycheproof/`). (RFC 7515 A.1, A.2 and A.5 are in `rfc7515.rs`.)

use serde_json::Value;
use twilio_token::jwk::{Jwk, JwkSet};
use twilio_token::jws::decode_payload;
use twilio_token::{Algorithm, Claims, DecodingKey, KeySource, Validation, decode};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn b64(s: &str) -> Vec<u8> {
    base64_simd::URL_SAFE_NO_PAD.decode_to_vec(s).unwrap()
}

#[test]
fn rfc7515_a3_es256() {
    let v = fixture("rfc7515_a3.json");
    let jwk = Jwk::from_json(v["jwk"].to_string().as_bytes()).unwrap();
    let token = v["token"].as_str().unwrap();
    let only_es256 = Validation::default()
        .algorithms(&[Algorithm::ES256])
        .at(1_300_819_379);
    let data = decode::<Claims>(token, jwk.key(), &only_es256).unwrap();
    assert_eq!(data.claims["iss"], "joe");
    let (_, payload) = decode_payload(token, jwk.key(), &only_es256).unwrap();
    assert_eq!(payload, v["payload"].as_str().unwrap().as_bytes());
    // Past its exp, and as HS256 with the coordinates for a secret, it fails.
    assert!(decode::<Claims>(token, jwk.key(), &only_es256.clone().at(1_300_819_380)).is_err());
    let x = v["jwk"]["x"].as_str().unwrap();
    assert!(
        decode::<Claims>(
            token,
            &DecodingKey::from_secret(x.as_bytes()),
            &Validation::default()
        )
        .is_err()
    );
}

#[test]
fn rfc8037_a4_ed25519_verifies_and_signs_identically() {
    let v = fixture("rfc8037_a4.json");
    let token = v["token"].as_str().unwrap();
    let jwk = Jwk::from_json(v["jwk"].to_string().as_bytes()).unwrap();
    let eddsa = Validation::default().algorithms(&[Algorithm::EdDSA]);
    let (header, payload) = decode_payload(token, jwk.key(), &eddsa).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(payload, v["payload"].as_str().unwrap().as_bytes());

    // (That its private key reproduces the RFC's signature is checked in `jws.rs`.)
}

/// Tests whose expected result is wrong upstream, so they say nothing about a verifier (the
/// same cases other projects' Wycheproof runners skip as defective).
const DEFECTIVE: [(u64, &str); 6] = [
    (346, "the header says PS384 while the key is a PS256 key"),
    (350, "the header says PS384 while the key is a PS256 key"),
    (
        367,
        "marked invalid, but byte-identical to the valid test 357",
    ),
    (
        370,
        "marked invalid, but byte-identical to the valid test 357",
    ),
    (
        372,
        "marked valid, but the MAC only verifies once a '?' is removed",
    ),
    (
        373,
        "marked valid, but the MAC only verifies once a '?' is removed",
    ),
];

/// Our verdict on one compact JWS: `true` when it verifies.
fn verifies(jws: &Value, key: &impl KeySource, algorithms: &[Algorithm]) -> bool {
    let Some(jws) = jws.as_str() else {
        return false; // JSON serialization: this library reads compact JWS only
    };
    decode_payload(jws, key, &Validation::default().algorithms(algorithms)).is_ok()
}

#[test]
fn wycheproof_json_web_signature() {
    let file = fixture("wycheproof/json_web_signature_test.json");
    let (mut checked, mut not_applicable) = (0, Vec::new());
    for group in file["testGroups"].as_array().unwrap() {
        let jwk = group
            .get("public")
            .or_else(|| group.get("private"))
            .unwrap();
        let alg = jwk["alg"]
            .as_str()
            .and_then(|a| a.parse::<Algorithm>().ok());
        let algorithms = alg.map_or(Algorithm::ALL.to_vec(), |a| vec![a]);
        // Symmetric keys verify as the HMAC secret they are; public keys through a key set.
        let verdict = |jws: &Value| -> bool {
            if jwk["kty"] == "oct" {
                let key = DecodingKey::from_secret(&b64(jwk["k"].as_str().unwrap()));
                verifies(jws, &key, &algorithms)
            } else {
                match Jwk::from_json(jwk.to_string().as_bytes()) {
                    Ok(key) => verifies(jws, &JwkSet::from_keys(vec![key]), &algorithms),
                    Err(_) => false,
                }
            }
        };
        for test in group["tests"].as_array().unwrap() {
            let id = test["tcId"].as_u64().unwrap();
            if DEFECTIVE.iter().any(|(d, _)| *d == id) {
                continue;
            }
            let expected = test["result"] == "valid";
            if expected && jwk["crv"] == "P-521" {
                // ES512 (P-521) is not supported: such tokens are refused, never accepted.
                assert!(!verdict(&test["jws"]), "{id}");
                not_applicable.push(id);
                continue;
            }
            assert_eq!(
                verdict(&test["jws"]),
                expected,
                "test {id} ({}, {}): {}",
                group["comment"],
                test["comment"],
                test["jws"]
            );
            checked += 1;
        }
    }
    assert_eq!(checked + not_applicable.len() + DEFECTIVE.len(), 401);
    assert_eq!(
        (checked, not_applicable.len()),
        (393, 2),
        "n/a {not_applicable:?}"
    );
}

#[test]
fn wycheproof_json_web_key() {
    let file = fixture("wycheproof/json_web_key_test.json");
    let mut checked = 0;
    for group in file["testGroups"].as_array().unwrap() {
        let set = group
            .get("public")
            .or_else(|| group.get("private"))
            .unwrap();
        let keys = set["keys"].as_array().unwrap();
        let symmetric = keys.iter().all(|k| k["kty"] == "oct");
        let jwks = JwkSet::from_json(set.to_string().as_bytes());
        if group["comment"] == "jws_rsa_roca_key" {
            let skipped = jwks.as_ref().unwrap().skipped();
            assert!(skipped[0].contains("ROCA"), "{skipped:?}");
        }
        for test in group["tests"].as_array().unwrap() {
            let id = test["tcId"].as_u64().unwrap();
            let ours = jwks
                .as_ref()
                .is_ok_and(|jwks| verifies(&test["jws"], jwks, &Algorithm::ALL));
            if symmetric {
                // A key set is where a verifier finds an issuer's public keys: this library
                // never takes a shared secret from one, so such sets verify nothing.
                assert!(!ours, "{id}");
                continue;
            }
            let expected = test["result"] == "valid";
            assert_eq!(
                ours, expected,
                "test {id} ({}, {})",
                group["comment"], test["comment"]
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
}
