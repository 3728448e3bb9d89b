//! Public-key tokens, as identity providers sign them: every algorithm round trips through PEM
//! keys and a JWK Set, no key verifies another family's algorithm, and `iss`, `aud` and `iat`
//! are checked as configured.

mod common;

use common::{jwks, key_file};
use serde_json::json;
use twilio_token::jwk::{Jwk, JwkSet};
use twilio_token::{
    Algorithm, Claims, DecodingKey, EncodingKey, ErrorKind, Jwt, Validation, decode,
};

const NOW: i64 = 1_700_000_000;

/// The signing key, its kid in `jwks.json`, and the algorithms it signs.
fn signers() -> Vec<(EncodingKey, &'static str, Vec<Algorithm>)> {
    use Algorithm::*;
    vec![
        (
            EncodingKey::from_rsa_pem(&key_file("rsa_a.pem")).unwrap(),
            "rsa_a",
            vec![RS256, RS384, RS512, PS256, PS384, PS512],
        ),
        (
            EncodingKey::from_ec_pem(&key_file("ec_p256.pem")).unwrap(),
            "ec_p256",
            vec![ES256],
        ),
        (
            EncodingKey::from_ec_pem(&key_file("ec_p384.pem")).unwrap(),
            "ec_p384",
            vec![ES384],
        ),
        (
            EncodingKey::from_ed_pem(&key_file("ed25519.pem")).unwrap(),
            "ed25519",
            vec![EdDSA],
        ),
    ]
}

fn id_token(key: &EncodingKey, alg: Algorithm, kid: Option<&str>) -> String {
    let mut jwt = Jwt::new("https://idp.example")
        .algorithm(alg)
        .subject("user-1")
        .claim("aud", json!(["other", "my-app"]))
        .claim("iat", NOW);
    if let Some(kid) = kid {
        jwt = jwt.header("kid", kid);
    }
    jwt.encode_at(key, NOW).unwrap()
}

fn strict() -> Validation {
    Validation::default()
        .algorithms(Algorithm::ASYMMETRIC)
        .issuers(&["https://idp.example"])
        .audiences(&["my-app"])
        .validate_iat(true)
        .require_exp(true)
        .at(NOW + 1)
}

#[test]
fn every_algorithm_round_trips_through_pem_and_the_jwk_set() {
    let jwks = jwks();
    assert_eq!(
        jwks.keys().len(),
        5,
        "P-521 is skipped: {:?}",
        jwks.skipped()
    );
    assert!(
        jwks.skipped()[0].contains("ec_p521"),
        "{:?}",
        jwks.skipped()
    );
    for (key, kid, algs) in signers() {
        let public = DecodingKey::from_public_pem(&key_file(&format!("{kid}.pub.pem"))).unwrap();
        for alg in algs {
            let token = id_token(&key, alg, Some(kid));
            let data = decode::<Claims>(&token, &public, &strict()).unwrap();
            assert_eq!(data.header.alg, alg);
            assert_eq!(data.claims["sub"], "user-1");
            decode::<Claims>(&token, &jwks, &strict()).unwrap();
            decode::<Claims>(&token, &key.to_decoding_key(), &strict()).unwrap();

            // One flipped bit anywhere in the signature fails.
            let mut forged = token.clone().into_bytes();
            let at = forged.len() - 5;
            forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
            let forged = String::from_utf8(forged).unwrap();
            assert_eq!(
                decode::<Claims>(&forged, &jwks, &strict())
                    .unwrap_err()
                    .kind(),
                &ErrorKind::InvalidSignature,
                "{alg}"
            );
        }
    }
}

#[test]
fn a_key_never_verifies_another_familys_algorithm() {
    let rsa_public = key_file("rsa_a.pub.pem");
    let rsa = DecodingKey::from_rsa_pem(&rsa_public).unwrap();
    let p256 = DecodingKey::from_ec_pem(&key_file("ec_p256.pub.pem")).unwrap();
    let p384 = DecodingKey::from_ec_pem(&key_file("ec_p384.pub.pem")).unwrap();
    let everything = strict().algorithms(&Algorithm::ALL);

    // CVE-2015-9235 and kin: the RSA public key's PEM text used as an HMAC secret.
    let confused = id_token(
        &EncodingKey::from_secret(&rsa_public),
        Algorithm::HS256,
        Some("rsa_a"),
    );
    for key in [&rsa, &p256] {
        let e = decode::<Claims>(&confused, key, &everything).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::AlgorithmNotAllowed(_)), "{e}");
    }
    let e = decode::<Claims>(&confused, &jwks(), &everything).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::AlgorithmNotAllowed(_)), "{e}");

    // ES256 needs P-256: a P-384 key refuses it, and the reverse.
    let p256_token = id_token(
        &EncodingKey::from_ec_pem(&key_file("ec_p256.pem")).unwrap(),
        Algorithm::ES256,
        None,
    );
    let e = decode::<Claims>(&p256_token, &p384, &strict()).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::AlgorithmNotAllowed(_)), "{e}");
    let e = decode::<Claims>(&p256_token, &rsa, &strict()).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::AlgorithmNotAllowed(_)), "{e}");

    // The allow-list comes first: RS256 alone refuses a genuine PS256 token.
    let ps = id_token(
        &EncodingKey::from_rsa_pem(&key_file("rsa_a.pem")).unwrap(),
        Algorithm::PS256,
        None,
    );
    let e = decode::<Claims>(&ps, &rsa, &strict().algorithms(&[Algorithm::RS256])).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::AlgorithmNotAllowed("PS256".into()));

    // PEM loaders refuse keys of the wrong type.
    assert!(DecodingKey::from_rsa_pem(&key_file("ec_p256.pub.pem")).is_err());
    assert!(DecodingKey::from_ec_pem(&key_file("ed25519.pub.pem")).is_err());
    assert!(DecodingKey::from_ed_pem(&key_file("rsa_a.pub.pem")).is_err());
    assert!(DecodingKey::from_ec_pem(&key_file("ec_p521.pub.pem")).is_err());
    assert!(EncodingKey::from_ec_pem(&key_file("ed25519.pem")).is_err());
}

#[test]
fn the_key_set_picks_the_key_by_kid() {
    let rsa_a = EncodingKey::from_rsa_pem(&key_file("rsa_a.pem")).unwrap();
    let jwks = jwks();
    // A kid the set does not have.
    let e = decode::<Claims>(
        &id_token(&rsa_a, Algorithm::RS256, Some("rotated-away")),
        &jwks,
        &strict(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::UnknownKey);
    // The kid of another RSA key: that key is tried, and fails.
    let e = decode::<Claims>(
        &id_token(&rsa_a, Algorithm::RS256, Some("rsa_b")),
        &jwks,
        &strict(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidSignature);
    // The kid of an EC key on an RS256 token: no key fits.
    let e = decode::<Claims>(
        &id_token(&rsa_a, Algorithm::RS256, Some("ec_p256")),
        &jwks,
        &strict(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::UnknownKey);
    // No kid: the RSA keys are tried.
    decode::<Claims>(&id_token(&rsa_a, Algorithm::RS256, None), &jwks, &strict()).unwrap();
    // A JWK pinned to RS256 does not verify PS256 with the same key.
    let pinned = JwkSet::from_keys(vec![
        Jwk::new(rsa_a.to_decoding_key())
            .with_kid("k")
            .with_algorithm(Algorithm::RS256)
            .unwrap(),
    ]);
    decode::<Claims>(
        &id_token(&rsa_a, Algorithm::RS256, Some("k")),
        &pinned,
        &strict(),
    )
    .unwrap();
    let e = decode::<Claims>(
        &id_token(&rsa_a, Algorithm::PS256, Some("k")),
        &pinned,
        &strict(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::UnknownKey);
}

#[test]
fn issuer_audience_and_times_are_checked() {
    let key = EncodingKey::from_ec_pem(&key_file("ec_p256.pem")).unwrap();
    let jwks = jwks();
    let mint = |jwt: Jwt| {
        jwt.algorithm(Algorithm::ES256)
            .encode_at(&key, NOW)
            .unwrap()
    };
    let base = || {
        Jwt::new("https://idp.example")
            .subject("u")
            .claim("aud", "my-app")
            .claim("iat", NOW)
    };
    decode::<Claims>(&mint(base()), &jwks, &strict()).unwrap();
    let cases = [
        (
            mint(
                Jwt::new("https://evil.example")
                    .claim("aud", "my-app")
                    .claim("iat", NOW),
            ),
            ErrorKind::InvalidIssuer,
        ),
        (
            mint(
                Jwt::new("https://idp.example/")
                    .claim("aud", "my-app")
                    .claim("iat", NOW),
            ),
            ErrorKind::InvalidIssuer,
        ),
        (
            mint(base().claim("aud", "other")),
            ErrorKind::InvalidAudience,
        ),
        (
            mint(base().claim("aud", json!(["a", "b"]))),
            ErrorKind::InvalidAudience,
        ),
        (
            mint(Jwt::new("https://idp.example").claim("iat", NOW)),
            ErrorKind::InvalidAudience,
        ),
        (
            mint(base().claim("iat", NOW + 60)),
            ErrorKind::IssuedInFuture,
        ),
        (mint(base().ttl(1)), ErrorKind::Expired),
        (
            mint(base().nbf(twilio_token::Nbf::At(NOW + 60))),
            ErrorKind::NotYetValid,
        ),
        (
            mint(base().claim("aud", 7)),
            ErrorKind::InvalidClaim("iss must be a string, aud a string or an array of strings"),
        ),
        (
            mint(base().claim("iat", "yesterday")),
            ErrorKind::InvalidClaim("exp, nbf and iat must be numbers"),
        ),
    ];
    for (token, kind) in cases {
        let e = decode::<Claims>(&token, &jwks, &strict().at(NOW + 2)).unwrap_err();
        assert_eq!(e.kind(), &kind, "{token}");
    }
    // A leeway forgives a small skew, on iat as on nbf.
    let skewed = mint(base().claim("iat", NOW + 20));
    decode::<Claims>(&skewed, &jwks, &strict().leeway(30)).unwrap();
}

#[test]
fn bad_jwks_are_refused_with_the_member_named() {
    let cases = [
        (
            r#"{"kty":"RSA","e":"AQAB"}"#,
            "n (the RSA modulus) is missing",
        ),
        (
            r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#,
            "not 2048 to 8192 bits",
        ),
        (
            r#"{"kty":"EC","crv":"P-256","x":"AQAB","y":"AQAB"}"#,
            "size of the curve",
        ),
        (
            r#"{"kty":"EC","crv":"secp256k1","x":"AQAB","y":"AQAB"}"#,
            "crv is not P-256",
        ),
        (
            r#"{"kty":"OKP","crv":"Ed448","x":"AQAB"}"#,
            "crv is not Ed25519",
        ),
        (r#"{"kty":"OKP","crv":"Ed25519","x":"AQAB"}"#, "32 bytes"),
        (
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="}"#,
            "base64url",
        ),
        (r#"{"kty":"oct","k":"c2VjcmV0"}"#, "shared secret"),
        (
            r#"{"kty":"OKP","crv":"Ed25519","use":"enc","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
            "use is not",
        ),
        (
            r#"{"kty":"OKP","crv":"Ed25519","key_ops":["sign"],"x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
            "key_ops",
        ),
        (
            r#"{"kty":"OKP","crv":"Ed25519","alg":"RS256","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
            "alg does not fit",
        ),
        (
            r#"{"kty":"OKP","crv":"Ed25519","alg":"none","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
            "alg is not",
        ),
        (r#"{"kty":"OKP","kty":"RSA"}"#, "duplicate"),
        (r#"{"kty":7}"#, "kty must be a string"),
    ];
    for (json, needle) in cases {
        let e = Jwk::from_json(json.as_bytes()).unwrap_err().to_string();
        assert!(e.contains(needle), "{json}: {e}");
    }
    for bad in [r#"{"keys":{}}"#, r#"[]"#, r#"{"keys":[],"keys":[]}"#, "{"] {
        assert!(JwkSet::from_json(bad.as_bytes()).is_err(), "{bad}");
    }
}

#[test]
fn a_named_key_is_preferred_and_unnamed_keys_are_the_fallback() {
    let a = EncodingKey::from_rsa_pem(&key_file("rsa_a.pem")).unwrap();
    let b = EncodingKey::from_rsa_pem(&key_file("rsa_b.pem")).unwrap();
    let mut keys: Vec<Jwk> = (0..5).map(|_| Jwk::new(b.to_decoding_key())).collect();
    keys.push(Jwk::new(a.to_decoding_key()).with_kid("a"));
    let set = JwkSet::from_keys(keys);
    // Five unnamed keys come first, yet the token naming "a" is checked against "a".
    decode::<Claims>(&id_token(&a, Algorithm::RS256, Some("a")), &set, &strict()).unwrap();
    let e =
        decode::<Claims>(&id_token(&b, Algorithm::RS256, Some("a")), &set, &strict()).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidSignature);
    // A kid no key has falls back to the unnamed keys.
    decode::<Claims>(
        &id_token(&b, Algorithm::RS256, Some("zzz")),
        &set,
        &strict(),
    )
    .unwrap();
    // Duplicated kids within one key type: the first key stands, the second is skipped.
    let text = std::str::from_utf8(&key_file("jwks.json"))
        .unwrap()
        .replace("\"rsa_b\"", "\"rsa_a\"");
    let dup = JwkSet::from_json(text.as_bytes()).unwrap();
    assert!(
        dup.skipped().iter().any(|s| s.contains("same type")),
        "{:?}",
        dup.skipped()
    );
    decode::<Claims>(
        &id_token(&a, Algorithm::RS256, Some("rsa_a")),
        &dup,
        &strict(),
    )
    .unwrap();
}
