//! Verifying identity providers' ID tokens (RS256, ES256, EdDSA) against the crypto crate's raw
//! signature check for the same key and signing input: the difference is what the library adds
//! (splitting, base64url, the header, key selection from a JWK Set, strict claims with `iss`,
//! `aud`, `exp`, `nbf` and `iat`).
//!
//! `cargo bench -p twilio-token --bench id_tokens`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ring::signature;
use serde::Deserialize;
use twilio_token::jwk::JwkSet;
use twilio_token::{Algorithm, EncodingKey, Jwt, Validation, decode};

const NOW: i64 = 1_700_000_000;

#[derive(Deserialize)]
struct IdClaims {
    #[allow(dead_code)]
    sub: String,
    #[allow(dead_code)]
    email: String,
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn b64(s: &str) -> Vec<u8> {
    base64_simd::URL_SAFE_NO_PAD.decode_to_vec(s).unwrap()
}

fn benches(c: &mut Criterion) {
    let jwks = JwkSet::from_json(&fixture("jwks.json")).unwrap();
    let raw_jwks: serde_json::Value = serde_json::from_slice(&fixture("jwks.json")).unwrap();
    let jwk = |kid: &str| {
        raw_jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid)
            .unwrap()
            .clone()
    };
    let validation = Validation::default()
        .algorithms(Algorithm::ASYMMETRIC)
        .issuers(&["https://idp.example.com/"])
        .audiences(&["twilio-app"])
        .validate_iat(true)
        .require_exp(true)
        .at(NOW + 1);

    for (alg, kid, key) in [
        (
            Algorithm::RS256,
            "rsa_a",
            EncodingKey::from_rsa_pem(&fixture("rsa_a.pem")).unwrap(),
        ),
        (
            Algorithm::ES256,
            "ec_p256",
            EncodingKey::from_ec_pem(&fixture("ec_p256.pem")).unwrap(),
        ),
        (
            Algorithm::EdDSA,
            "ed25519",
            EncodingKey::from_ed_pem(&fixture("ed25519.pem")).unwrap(),
        ),
    ] {
        let token = Jwt::new("https://idp.example.com/")
            .algorithm(alg)
            .header("kid", kid)
            .subject("00u1abcdefGHIJKLMN5d7")
            .claim("aud", "twilio-app")
            .claim("iat", NOW)
            .claim("email", "alice@example.com")
            .encode_at(&key, NOW)
            .unwrap();
        let (signing_input, signature_b64) = token.rsplit_once('.').unwrap();
        let signature = b64(signature_b64);
        let j = jwk(kid);

        let mut g = c.benchmark_group(format!("verify_id_token/{alg}"));
        g.bench_function("twilio-token", |b| {
            b.iter(|| decode::<IdClaims>(black_box(&token), &jwks, &validation).unwrap())
        });
        // The crypto crate alone, with the key in the form the JWK gives it.
        match alg {
            Algorithm::RS256 => {
                let (n, e) = (b64(j["n"].as_str().unwrap()), b64(j["e"].as_str().unwrap()));
                g.bench_function("ring-raw-verify", |b| {
                    b.iter(|| {
                        signature::RsaPublicKeyComponents { n: &n, e: &e }
                            .verify(
                                &signature::RSA_PKCS1_2048_8192_SHA256,
                                black_box(signing_input.as_bytes()),
                                &signature,
                            )
                            .unwrap()
                    })
                });
            }
            _ => {
                let (params, point): (&'static dyn signature::VerificationAlgorithm, Vec<u8>) =
                    if alg == Algorithm::ES256 {
                        let mut point = vec![4];
                        point.extend(b64(j["x"].as_str().unwrap()));
                        point.extend(b64(j["y"].as_str().unwrap()));
                        (&signature::ECDSA_P256_SHA256_FIXED, point)
                    } else {
                        (&signature::ED25519, b64(j["x"].as_str().unwrap()))
                    };
                g.bench_function("ring-raw-verify", |b| {
                    b.iter(|| {
                        signature::UnparsedPublicKey::new(params, &point)
                            .verify(black_box(signing_input.as_bytes()), &signature)
                            .unwrap()
                    })
                });
            }
        }
        g.finish();
    }
}

criterion_group! {
    name = id_tokens;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(id_tokens);
