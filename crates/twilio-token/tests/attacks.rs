//! The known attack classes on JWT verifiers, one test each, named with the advisory or CVE
//! that made each class famous. Each test builds the attack against this library's public API
//! and asserts it is refused, with the error a caller would see. (The HS256 forms of several of
//! these are also in `strict_decode.rs`; here they run against public keys and key sets too.)

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::{jwks, key_file};
use serde_json::json;
use twilio_token::jwk::{Jwk, JwkSet};
use twilio_token::{
    Algorithm, Claims, DecodingKey, EncodingKey, ErrorKind, Jwt, Validation, dangerous, decode,
};

const NOW: i64 = 1_700_000_000;

/// Accept everything the library can verify: the attacks must fail on their own merits.
fn everything() -> Validation {
    Validation::default().algorithms(&Algorithm::ALL).at(NOW)
}

fn claims() -> String {
    json!({"iss": "https://idp", "sub": "admin", "aud": "app", "exp": NOW + 600}).to_string()
}

/// A token with these exact header and payload bytes, HMAC-SHA256-signed with `secret`.
fn hs256(header: &str, payload: &str, secret: &[u8]) -> String {
    let input = format!("{}.{}", B64.encode(header), B64.encode(payload));
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
        input.as_bytes(),
    );
    format!("{input}.{}", B64.encode(tag))
}

fn es256_key() -> EncodingKey {
    EncodingKey::from_ec_pem(&key_file("ec_p256.pem")).unwrap()
}

fn es256(header_kid: &str, payload: &str) -> String {
    // Through the library's own signer, then re-assembled with the exact payload wanted.
    let token = Jwt::new("https://idp")
        .algorithm(Algorithm::ES256)
        .header("kid", header_kid)
        .encode_at(&es256_key(), NOW)
        .unwrap();
    let header = token.split('.').next().unwrap();
    let input = format!("{header}.{}", B64.encode(payload));
    // ES256 signatures are random; sign the new input with ring directly (the same key).
    let pkcs8 = pem::parse(key_file("ec_p256.pem")).unwrap();
    let pair = ring::signature::EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        pkcs8.contents(),
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    let sig = pair
        .sign(&ring::rand::SystemRandom::new(), input.as_bytes())
        .unwrap();
    format!("{input}.{}", B64.encode(sig.as_ref()))
}

fn kind(result: twilio_token::Result<twilio_token::TokenData>) -> ErrorKind {
    result.unwrap_err().kind().clone()
}

/// Tim McLean, "Critical vulnerabilities in JSON Web Token libraries" (2015); CVE-2015-9235
/// (node-jsonwebtoken), CVE-2016-10555 (jwt-simple), CVE-2022-29217 (PyJWT), CVE-2024-33663
/// (python-jose): an HS256 token whose "secret" is the verifier's public key.
#[test]
fn algorithm_confusion_public_key_as_hmac_secret() {
    let set = jwks();
    let json = String::from_utf8(key_file("jwks.json")).unwrap();
    for name in ["rsa_a", "ec_p256", "ec_p384", "ed25519"] {
        let pem = key_file(&format!("{name}.pub.pem"));
        let public = DecodingKey::from_public_pem(&pem).unwrap();
        let der = pem::parse(&pem).unwrap().contents().to_vec();
        for secret in [pem.clone(), der, json.clone().into_bytes()] {
            let header = json!({"alg": "HS256", "kid": name}).to_string();
            let token = hs256(&header, &claims(), &secret);
            assert!(
                matches!(
                    kind(decode::<Claims>(&token, &public, &everything())),
                    ErrorKind::AlgorithmNotAllowed(_)
                ),
                "{name}"
            );
            assert!(matches!(
                kind(decode::<Claims>(&token, &set, &everything())),
                ErrorKind::AlgorithmNotAllowed(_)
            ));
        }
    }
}

/// McLean (2015) and CVE-2015-9235: `alg: none`, in any spelling, with or without a signature.
#[test]
fn none_in_any_case_never_verifies() {
    let rsa = DecodingKey::from_rsa_pem(&key_file("rsa_a.pub.pem")).unwrap();
    for alg in ["none", "None", "NONE", "nOnE", ""] {
        let header = json!({"alg": alg, "kid": "rsa_a"}).to_string();
        for signature in ["", "AAAA"] {
            let token = format!(
                "{}.{}.{signature}",
                B64.encode(&header),
                B64.encode(claims())
            );
            assert!(matches!(
                kind(decode::<Claims>(&token, &rsa, &everything())),
                ErrorKind::AlgorithmNotAllowed(_)
            ));
            assert!(matches!(
                kind(decode::<Claims>(&token, &jwks(), &everything())),
                ErrorKind::AlgorithmNotAllowed(_)
            ));
        }
    }
}

/// CVE-2022-21449 ("psychic signatures", Java 15-18): an ECDSA signature of r = s = 0 verified
/// for any message and key. Also a DER-encoded signature where JWS wants the fixed r || s form.
#[test]
fn psychic_and_misencoded_ecdsa_signatures() {
    let genuine = es256("ec_p256", &claims());
    decode::<Claims>(&genuine, &jwks(), &everything()).unwrap();
    let input = genuine.rsplit_once('.').unwrap().0;
    let n = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";
    let n = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&n[i..i + 2], 16).unwrap())
        .collect::<Vec<u8>>();
    let mut one = [0u8; 32];
    one[31] = 1;
    for sig in [
        [[0u8; 32], [0u8; 32]].concat(),
        [n.clone(), n.clone()].concat(),
        [one.to_vec(), [0u8; 32].to_vec()].concat(),
        [n.clone(), one.to_vec()].concat(),
        vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00],
    ] {
        let forged = format!("{input}.{}", B64.encode(&sig));
        assert_eq!(
            kind(decode::<Claims>(&forged, &jwks(), &everything())),
            ErrorKind::InvalidSignature
        );
    }
}

/// CVE-2021-29451 (Portofino) and GHSA-5m5q-3qw2-3xf3 (DP-3T), after jjwt's `parse`: a token
/// with its signature removed.
#[test]
fn a_stripped_signature_never_verifies() {
    let genuine = es256("ec_p256", &claims());
    let stripped = format!("{}.", genuine.rsplit_once('.').unwrap().0);
    assert_eq!(
        kind(decode::<Claims>(&stripped, &jwks(), &everything())),
        ErrorKind::InvalidSignature
    );
    let hs = hs256(r#"{"alg":"HS256"}"#, &claims(), b"secret");
    let stripped = format!("{}.", hs.rsplit_once('.').unwrap().0);
    let e = kind(decode::<Claims>(
        &stripped,
        &DecodingKey::from_secret(b"secret"),
        &everything(),
    ));
    assert_eq!(e, ErrorKind::InvalidSignature);
}

/// golang-jwt/jwt#502 and libjwt#284: base64url with non-zero trailing bits, padding or the
/// standard alphabet lets several strings carry one signature (defeating token blocklists).
#[test]
fn only_canonical_base64url_is_read() {
    let genuine = es256("ec_p256", &claims());
    let (input, sig) = genuine.rsplit_once('.').unwrap();
    // 64 bytes encode to 86 characters whose last carries 2 unused bits.
    let last = sig.as_bytes()[85];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let value = alphabet.iter().position(|&c| c == last).unwrap();
    let twin = alphabet[value ^ 1] as char;
    for variant in [
        format!("{}{twin}", &sig[..85]),
        format!("{sig}=="),
        sig.replace('-', "+").replace('_', "/"),
    ] {
        if variant == sig {
            continue;
        }
        let token = format!("{input}.{variant}");
        assert!(
            matches!(
                kind(decode::<Claims>(&token, &jwks(), &everything())),
                ErrorKind::Malformed(_)
            ),
            "{variant}"
        );
    }
}

/// CVE-2022-39227 (python-jwt) and CVE-2017-12635 (CouchDB): two parsers that disagree on
/// which of two equal names wins. Duplicates are refused, also when spelled with escapes.
#[test]
fn duplicate_names_are_refused() {
    for payload in [
        r#"{"sub":"alice","sub":"admin","exp":1700000600}"#,
        r#"{"sub":"alice","\u0073ub":"admin","exp":1700000600}"#,
        r#"{"sub":"alice","exp":1700000600,"nested":{"a":1,"a":2}}"#,
    ] {
        let token = es256("ec_p256", payload);
        assert!(
            matches!(
                kind(decode::<Claims>(&token, &jwks(), &everything())),
                ErrorKind::Malformed(_)
            ),
            "{payload}"
        );
    }
    let header = r#"{"alg":"HS256","alg":"none"}"#;
    let token = hs256(header, &claims(), b"s");
    assert!(matches!(
        kind(decode::<Claims>(
            &token,
            &DecodingKey::from_secret(b"s"),
            &everything()
        )),
        ErrorKind::BadHeader(_)
    ));
}

/// RFC 7519 §4.1.4 (NumericDate): a verifier that skips an `exp` it cannot read as a number
/// accepts a token that never expires.
#[test]
fn time_claims_of_the_wrong_type_are_refused() {
    for exp in [
        json!("9999999999"),
        json!(null),
        json!([1]),
        json!({"t": 1}),
        json!(true),
    ] {
        let payload = json!({"sub": "admin", "exp": exp}).to_string();
        let token = es256("ec_p256", &payload);
        assert!(
            matches!(
                kind(decode::<Claims>(&token, &jwks(), &everything())),
                ErrorKind::InvalidClaim(_)
            ),
            "{exp}"
        );
    }
}

/// CVE-2020-26160 (jwt-go): an `aud` array was not checked against the expected audience.
#[test]
fn every_audience_form_is_checked() {
    let v = everything().audiences(&["app"]);
    for (aud, ok) in [
        (json!("app"), true),
        (json!(["other", "app"]), true),
        (json!(["other"]), false),
        (json!([]), false),
        (json!("App"), false),
        (json!({"app": true}), false),
        (json!(null), false),
    ] {
        let token = es256("ec_p256", &json!({"aud": aud, "exp": NOW + 60}).to_string());
        assert_eq!(decode::<Claims>(&token, &jwks(), &v).is_ok(), ok, "{aud}");
    }
    let token = es256("ec_p256", &json!({"exp": NOW + 60}).to_string());
    assert_eq!(
        kind(decode::<Claims>(&token, &jwks(), &v)),
        ErrorKind::InvalidAudience
    );
}

/// RFC 7515 §4.1.11: a `crit` header names extensions the verifier must understand; this one
/// understands none (not RFC 7797's `b64: false`, whose unencoded payloads have fooled
/// verifiers). A nested JWT (`cty: JWT`) is never unwrapped: its payload is not claims.
#[test]
fn crit_and_nested_tokens_are_refused() {
    let secret = DecodingKey::from_secret(b"s");
    for header in [
        r#"{"alg":"HS256","crit":["b64"],"b64":false}"#,
        r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
        r#"{"alg":"HS256","crit":[]}"#,
        r#"{"alg":"HS256","crit":"b64"}"#,
    ] {
        let token = hs256(header, &claims(), b"s");
        assert!(
            matches!(
                kind(decode::<Claims>(&token, &secret, &everything())),
                ErrorKind::BadHeader(_)
            ),
            "{header}"
        );
    }
    let inner = hs256(r#"{"alg":"HS256"}"#, &claims(), b"s");
    let outer = hs256(r#"{"alg":"HS256","cty":"JWT"}"#, &inner, b"s");
    assert!(matches!(
        kind(decode::<Claims>(&outer, &secret, &everything())),
        ErrorKind::Malformed(_)
    ));
}

/// CVE-2018-0114 (node-jose): a key embedded in the header (`jwk`) was trusted; `jku` and
/// `x5u` point a verifier at an attacker's key URL. This library never takes a key from a
/// token: it does no I/O and reads neither header.
#[test]
fn keys_named_by_the_token_are_never_used() {
    let attacker = EncodingKey::from_ec_pem(&key_file("ec_p384.pem")).unwrap();
    let jwk = serde_json::from_slice::<serde_json::Value>(&key_file("jwks.json")).unwrap()["keys"]
        [3]
    .clone();
    let token = Jwt::new("https://idp")
        .algorithm(Algorithm::ES384)
        .header("jwk", jwk)
        .header("jku", "https://attacker.example/jwks.json")
        .header("x5u", "https://attacker.example/cert.pem")
        .header("kid", "ec_p256")
        .encode_at(&attacker, NOW)
        .unwrap();
    // The kid names the verifier's P-256 key, which does not fit ES384: no key.
    assert_eq!(
        kind(decode::<Claims>(&token, &jwks(), &everything())),
        ErrorKind::UnknownKey
    );
    let pinned = JwkSet::from_keys(vec![Jwk::new(
        DecodingKey::from_ec_pem(&key_file("ec_p256.pub.pem")).unwrap(),
    )]);
    assert_eq!(
        kind(decode::<Claims>(&token, &pinned, &everything())),
        ErrorKind::UnknownKey
    );
}

/// `kid` injection (path traversal, SQL): the kid is only ever compared with the key set's
/// names.
#[test]
fn kid_is_only_a_name() {
    for kid in [
        "../../../../dev/null",
        "' OR '1'='1",
        "ec_p256\u{0}",
        "EC_P256",
        "",
    ] {
        let token = es256(kid, &claims());
        assert_eq!(
            kind(decode::<Claims>(&token, &jwks(), &everything())),
            ErrorKind::UnknownKey,
            "{kid:?}"
        );
    }
}

/// CVE-2024-33664 (python-jose "JWT bomb") and CVE-2023-50658 (jose4j): work out of proportion
/// to the input. Tokens over the cap are refused before decoding, key sets are bounded, and an
/// RSA modulus over 8192 bits is never used.
#[test]
fn oversized_input_is_refused_early() {
    let huge = format!("{}.{}.{}", "e".repeat(8 << 20), "e", "e");
    let started = std::time::Instant::now();
    assert_eq!(
        kind(decode::<Claims>(&huge, &jwks(), &everything())),
        ErrorKind::TooLarge { limit: 16 * 1024 }
    );
    assert_eq!(
        dangerous::decode_unverified(&huge).unwrap_err().kind(),
        &ErrorKind::TooLarge { limit: 16 * 1024 }
    );
    assert!(started.elapsed() < std::time::Duration::from_millis(100));

    let one =
        json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
    let many = json!({"keys": vec![one; 65]}).to_string();
    assert!(JwkSet::from_json(many.as_bytes()).is_err());

    let n = B64.encode([0xc5u8; 1100]); // 8800 bits
    let big = json!({"kty": "RSA", "kid": "big", "n": n, "e": "AQAB"}).to_string();
    let e = Jwk::from_json(big.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("8192"), "{e}");
}

/// CVE-2020-36518 and CVE-2022-42004 (jackson-databind): deeply nested JSON exhausting the
/// stack. Nesting is bounded in headers, claims and key sets alike.
#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let payload = format!(r#"{{"exp":{},"x":{deep}}}"#, NOW + 60);
    let token = hs256(r#"{"alg":"HS256"}"#, &payload, b"s");
    let v = everything().max_len(usize::MAX);
    assert!(decode::<Claims>(&token, &DecodingKey::from_secret(b"s"), &v).is_err());
    let header = format!(r#"{{"alg":"HS256","x":{deep}}}"#);
    assert!(
        decode::<Claims>(
            &hs256(&header, &claims(), b"s"),
            &DecodingKey::from_secret(b"s"),
            &v
        )
        .is_err()
    );
    let set = format!(r#"{{"keys":[{{"kty":"OKP","x":{deep}}}]}}"#);
    assert!(JwkSet::from_json(set.as_bytes()).is_err());
}

/// Invalid-curve attacks (Jager, Schwenk, Somorovsky, "Practical Invalid Curve Attacks on
/// TLS-ECDH", 2015, and the same on JOSE): a public key that is not a point of the curve never
/// verifies anything.
#[test]
fn an_off_curve_key_verifies_nothing() {
    let token = es256("off", &claims());
    let x = [1u8; 32];
    let y = [2u8; 32];
    let off = JwkSet::from_keys(vec![
        Jwk::new(DecodingKey::from_ec_components(&x, &y).unwrap()).with_kid("off"),
    ]);
    assert_eq!(
        kind(decode::<Claims>(&token, &off, &everything())),
        ErrorKind::InvalidSignature
    );
}
