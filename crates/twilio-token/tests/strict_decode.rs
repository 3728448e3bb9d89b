//! The negative suite: every strict-decoding rule (RFC 8725) has a token here that breaks it.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use twilio_token::jws::decode_json;
use twilio_token::{
    AccessToken, Algorithm, Claims, DecodingKey, ErrorKind, Validation, decode, grants::VideoGrant,
};

const SECRET: &[u8] = b"3b9cfb2d8a7e41f0a1c5e6d7f8091a2b";
const NOW: i64 = 1_700_000_000;

/// A token with exactly these header and payload bytes, HMAC-signed with `alg`.
fn forge(header: &str, payload: &str, alg: ring::hmac::Algorithm) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let tag = ring::hmac::sign(&ring::hmac::Key::new(alg, SECRET), input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag))
}

fn hs256(header: &str, payload: &str) -> String {
    forge(header, payload, ring::hmac::HMAC_SHA256)
}

/// `decode`'s answer, which `decode_json` must share: the same error, or the same claims as
/// the JSON the token carries.
fn check(token: &str) -> Result<twilio_token::TokenData, ErrorKind> {
    let (key, validation) = (
        DecodingKey::from_secret(SECRET),
        Validation::default().at(NOW),
    );
    let decoded = decode::<Claims>(token, &key, &validation).map_err(|e| e.kind().clone());
    let json = decode_json(token, &key, &validation).map_err(|e| e.kind().clone());
    match (&decoded, &json) {
        (Ok(data), Ok((header, bytes))) => {
            assert_eq!(header, &data.header);
            assert_eq!(
                serde_json::from_slice::<Claims>(bytes).unwrap(),
                data.claims
            );
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("decode and decode_json disagree on {token}"),
    }
    decoded
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
const CLAIMS: &str = r#"{"iss":"SK1","exp":1700003600,"nbf":1700000000}"#;

fn malformed(r: Result<twilio_token::TokenData, ErrorKind>) -> bool {
    matches!(r, Err(ErrorKind::Malformed(_)))
}

#[test]
fn a_well_formed_token_passes() {
    let data = check(&hs256(HEADER, CLAIMS)).unwrap();
    assert_eq!(data.claims["iss"], "SK1");
}

#[test]
fn exactly_three_segments() {
    let good = hs256(HEADER, CLAIMS);
    let (head, _) = good.rsplit_once('.').unwrap();
    for token in [
        "",
        ".",
        "...",
        head,
        &format!("{good}."),
        &format!("{good}.x"),
    ] {
        assert!(malformed(check(token)), "{token:?}");
    }
    // Three empty segments: the (empty) header is refused first.
    assert!(matches!(check(".."), Err(ErrorKind::BadHeader(_))));
}

#[test]
fn base64url_must_be_canonical_and_unpadded() {
    let good = hs256(HEADER, CLAIMS);
    let parts: Vec<&str> = good.split('.').collect();
    // Padding on a segment whose length is not a multiple of 4.
    let padded = format!("{}=.{}.{}", parts[0], parts[1], parts[2]);
    assert!(malformed(check(&padded)));
    // The standard alphabet instead of the URL-safe one ('?' bytes encode to '/').
    let header = r#"{"alg":"HS256","x":"???"}"#;
    let standard = STANDARD.encode(header);
    assert!(standard.contains('/'), "{standard}");
    let url_safe = hs256(header, CLAIMS);
    check(&url_safe).unwrap();
    let tail = url_safe.split_once('.').unwrap().1;
    assert!(malformed(check(&format!("{standard}.{tail}"))));
    // Non-zero trailing bits: a second spelling of the same signature bytes.
    let sig = parts[2];
    let last = sig.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.find(last).unwrap();
    let twin = alphabet.chars().nth(index | 1).unwrap();
    assert_ne!(twin, last);
    let twin_token = format!("{}.{}.{}{twin}", parts[0], parts[1], &sig[..sig.len() - 1]);
    assert!(malformed(check(&twin_token)), "{twin_token}");
    // Whitespace anywhere.
    assert!(malformed(check(&format!(" {good}"))));
    assert!(malformed(check(&good.replacen('.', " .", 1))));
    // In the payload it fails the signature first (the payload is read only once signed).
    assert_eq!(
        check(&good.replacen('.', ". ", 1)).unwrap_err(),
        ErrorKind::InvalidSignature
    );
}

#[test]
fn header_must_be_a_json_object_without_duplicates() {
    for header in [
        "[]",
        "null",
        "\"HS256\"",
        "{",
        r#"{"alg":"HS256","alg":"HS256"}"#,
        r#"{"alg":"none","alg":"HS256"}"#,
        "{\"alg\":\"HS256\",\"x\":\"\u{fffd}\"}\u{0}",
    ] {
        assert!(
            matches!(check(&hs256(header, CLAIMS)), Err(ErrorKind::BadHeader(_))),
            "{header}"
        );
    }
}

#[test]
fn header_with_invalid_utf8_is_refused() {
    let token = format!(
        "{}.{}.sig",
        URL_SAFE_NO_PAD.encode(b"{\"alg\":\"HS256\",\"x\":\"\xff\"}"),
        URL_SAFE_NO_PAD.encode(CLAIMS)
    );
    assert!(matches!(check(&token), Err(ErrorKind::BadHeader(_))));
}

#[test]
fn alg_is_required_and_must_be_a_string() {
    for header in [
        r#"{"typ":"JWT"}"#,
        r#"{"alg":256}"#,
        r#"{"alg":null}"#,
        r#"{"alg":["HS256"]}"#,
    ] {
        assert!(
            matches!(check(&hs256(header, CLAIMS)), Err(ErrorKind::BadHeader(_))),
            "{header}"
        );
    }
}

#[test]
fn none_in_any_case_is_refused() {
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = format!(r#"{{"alg":"{alg}"}}"#);
        for token in [
            hs256(&header, CLAIMS),
            format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(&header),
                URL_SAFE_NO_PAD.encode(CLAIMS)
            ),
        ] {
            assert_eq!(
                check(&token).unwrap_err(),
                ErrorKind::AlgorithmNotAllowed(alg.into())
            );
        }
    }
}

#[test]
fn alg_is_compared_exactly() {
    for alg in ["hs256", "HS256 ", " HS256", "HS-256", "HS256\u{0}"] {
        let header = serde_json::json!({"alg": alg}).to_string();
        assert!(
            matches!(
                check(&hs256(&header, CLAIMS)),
                Err(ErrorKind::AlgorithmNotAllowed(_))
            ),
            "{alg:?}"
        );
    }
}

#[test]
fn the_allow_list_decides() {
    let hs512 = forge(r#"{"alg":"HS512"}"#, CLAIMS, ring::hmac::HMAC_SHA512);
    assert_eq!(
        check(&hs512).unwrap_err(),
        ErrorKind::AlgorithmNotAllowed("HS512".into())
    );
    let widened = Validation::default()
        .algorithms(&[Algorithm::HS256, Algorithm::HS512])
        .at(NOW);
    decode::<Claims>(&hs512, &DecodingKey::from_secret(SECRET), &widened).unwrap();
}

#[test]
fn an_rsa_public_key_never_verifies_an_hmac_token() {
    // The classic confusion: the attacker HMACs with the verifier's public key bytes.
    let pem = include_bytes!("fixtures/rsa_public.pem");
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(HEADER),
        URL_SAFE_NO_PAD.encode(CLAIMS)
    );
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, pem),
        input.as_bytes(),
    );
    let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag));
    let key = DecodingKey::from_rsa_pem(pem).unwrap();
    let everything = Validation::default().algorithms(&Algorithm::ALL).at(NOW);
    assert_eq!(
        decode::<Claims>(&token, &key, &everything)
            .unwrap_err()
            .kind(),
        &ErrorKind::AlgorithmNotAllowed("HS256".into())
    );
    // ...and an HMAC key never verifies an RS256 token.
    let rs = AccessToken::new("AC1", "SK1", "s")
        .to_jwt_at(NOW)
        .unwrap()
        .replacen("eyJhbGciOiJIUzI1NiIs", "eyJhbGciOiJSUzI1NiIs", 1);
    assert_eq!(
        decode::<Claims>(&rs, &DecodingKey::from_secret(b"s"), &everything)
            .unwrap_err()
            .kind(),
        &ErrorKind::AlgorithmNotAllowed("RS256".into())
    );
}

#[test]
fn crit_is_refused() {
    for header in [
        r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
        r#"{"alg":"HS256","crit":[]}"#,
        r#"{"alg":"HS256","crit":["b64"],"b64":false}"#,
    ] {
        assert!(
            matches!(check(&hs256(header, CLAIMS)), Err(ErrorKind::BadHeader(_))),
            "{header}"
        );
    }
}

#[test]
fn kid_typ_and_cty_must_be_strings() {
    for header in [
        r#"{"alg":"HS256","kid":1}"#,
        r#"{"alg":"HS256","typ":{}}"#,
        r#"{"alg":"HS256","cty":null}"#,
    ] {
        assert!(
            matches!(check(&hs256(header, CLAIMS)), Err(ErrorKind::BadHeader(_))),
            "{header}"
        );
    }
}

#[test]
fn claims_must_be_a_json_object_without_duplicates() {
    for claims in [
        "[]",
        "1",
        "",
        r#"{"exp":1,"exp":1800000000}"#,
        r#"{"grants":{"identity":"a","identity":"admin"}}"#,
        r#"{"a":[{"b":1,"b":2}]}"#,
        r#"{"iss":"x"}garbage"#,
    ] {
        assert!(malformed(check(&hs256(HEADER, claims))), "{claims}");
    }
}

#[test]
fn time_claims_of_the_wrong_type_are_refused_not_ignored() {
    for claims in [
        r#"{"exp":"1800000000"}"#,
        r#"{"exp":null}"#,
        r#"{"exp":true}"#,
        r#"{"exp":[1800000000]}"#,
        r#"{"nbf":"0"}"#,
        r#"{"nbf":{}}"#,
        r#"{"iat":"now"}"#,
    ] {
        assert!(
            matches!(
                check(&hs256(HEADER, claims)),
                Err(ErrorKind::InvalidClaim(_))
            ),
            "{claims}"
        );
    }
}

#[test]
fn exp_and_nbf_are_checked_like_pyjwt() {
    let exp = |t: i64| format!(r#"{{"exp":{t}}}"#);
    assert_eq!(
        check(&hs256(HEADER, &exp(NOW))).unwrap_err(),
        ErrorKind::Expired
    );
    check(&hs256(HEADER, &exp(NOW + 1))).unwrap();
    check(&hs256(HEADER, r#"{"exp":1700000000.5}"#)).unwrap();
    let nbf = |t: i64| format!(r#"{{"exp":{},"nbf":{t}}}"#, NOW + 3600);
    check(&hs256(HEADER, &nbf(NOW))).unwrap();
    assert_eq!(
        check(&hs256(HEADER, &nbf(NOW + 1))).unwrap_err(),
        ErrorKind::NotYetValid
    );
    let lenient = Validation::default().at(NOW).leeway(5);
    decode::<Claims>(
        &hs256(HEADER, &nbf(NOW + 5)),
        &DecodingKey::from_secret(SECRET),
        &lenient,
    )
    .unwrap();
    decode::<Claims>(
        &hs256(HEADER, &exp(NOW - 4)),
        &DecodingKey::from_secret(SECRET),
        &lenient,
    )
    .unwrap();
    // A token without exp would never expire: refused by default, with the expiry's Twilio
    // code, and accepted only when the caller opts out (the reference accepts it).
    let refused = decode::<Claims>(
        &hs256(HEADER, "{}"),
        &DecodingKey::from_secret(SECRET),
        &Validation::default().at(NOW),
    )
    .unwrap_err();
    assert_eq!(refused.kind(), &ErrorKind::MissingExpiry);
    assert_eq!(refused.twilio_code(), Some(20104));
    assert!(refused.to_string().contains("no exp"), "{refused}");
    assert_eq!(
        check(&hs256(HEADER, &format!(r#"{{"nbf":{NOW}}}"#))).unwrap_err(),
        ErrorKind::MissingExpiry
    );
    let lax = Validation::default().at(NOW).require_exp(false);
    decode::<Claims>(
        &hs256(HEADER, "{}"),
        &DecodingKey::from_secret(SECRET),
        &lax,
    )
    .unwrap();
    // The opt-out still checks an exp that is there.
    assert_eq!(
        decode::<Claims>(
            &hs256(HEADER, &exp(NOW)),
            &DecodingKey::from_secret(SECRET),
            &lax
        )
        .unwrap_err()
        .kind(),
        &ErrorKind::Expired
    );
}

#[test]
fn oversized_tokens_are_refused_before_decoding() {
    let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(20_000));
    assert_eq!(
        check(&hs256(HEADER, &big)).unwrap_err(),
        ErrorKind::TooLarge { limit: 16 * 1024 }
    );
    // Not even the segment structure is looked at.
    assert_eq!(
        check(&"a".repeat(16 * 1024 + 1)).unwrap_err(),
        ErrorKind::TooLarge { limit: 16 * 1024 }
    );
    let tight = Validation::default().at(NOW).max_len(64);
    assert!(matches!(
        decode::<Claims>(
            &hs256(HEADER, CLAIMS),
            &DecodingKey::from_secret(SECRET),
            &tight
        )
        .unwrap_err()
        .kind(),
        ErrorKind::TooLarge { limit: 64 }
    ));
}

#[test]
fn deeply_nested_json_is_an_error_not_a_crash() {
    let deep = format!(r#"{{"a":{}1{}}}"#, "[".repeat(10_000), "]".repeat(10_000));
    let token = hs256(HEADER, &deep);
    let v = Validation::default().at(NOW).max_len(usize::MAX);
    assert!(matches!(
        decode::<Claims>(&token, &DecodingKey::from_secret(SECRET), &v)
            .unwrap_err()
            .kind(),
        ErrorKind::Malformed(_)
    ));
}

#[test]
fn the_signature_covers_header_and_payload() {
    let good = hs256(HEADER, CLAIMS);
    let parts: Vec<&str> = good.split('.').collect();
    let other_claims = URL_SAFE_NO_PAD.encode(r#"{"iss":"SK1","exp":1800000000}"#);
    let swapped = format!("{}.{other_claims}.{}", parts[0], parts[2]);
    assert_eq!(check(&swapped).unwrap_err(), ErrorKind::InvalidSignature);
    let short = format!("{}.{}.{}", parts[0], parts[1], &parts[2][..40]);
    assert!(check(&short).is_err());
    // A prefix of the right signature, or the right one with a byte added, is not it.
    let tag = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let longer = [&tag[..], &[0]].concat();
    for signature in [&tag[..30], &tag[..31], &longer[..]] {
        let token = format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            URL_SAFE_NO_PAD.encode(signature)
        );
        assert_eq!(check(&token).unwrap_err(), ErrorKind::InvalidSignature);
    }
    let empty = format!("{}.{}.", parts[0], parts[1]);
    assert_eq!(check(&empty).unwrap_err(), ErrorKind::InvalidSignature);
    let wrong_key = decode::<Claims>(
        &good,
        &DecodingKey::from_secret(b"other"),
        &Validation::default().at(NOW),
    );
    assert_eq!(wrong_key.unwrap_err().kind(), &ErrorKind::InvalidSignature);
}

#[test]
fn an_empty_secret_verifies_nothing() {
    let err = decode::<Claims>(
        &hs256(HEADER, CLAIMS),
        &DecodingKey::from_secret(b""),
        &Validation::default(),
    )
    .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidKey(_)));
}

#[test]
fn errors_carry_twilio_codes_and_no_secrets() {
    let token = AccessToken::new("AC1", "SK1", "hunter2-secret")
        .identity("alice")
        .grant(VideoGrant::room("r"))
        .to_jwt_at(NOW)
        .unwrap();
    let key = DecodingKey::from_secret(b"hunter2-secret");
    let cases = [
        (Validation::default().at(NOW + 3600), 20104),
        (Validation::default().at(NOW - 1), 20105),
    ];
    for (v, code) in cases {
        let e = decode::<Claims>(&token, &key, &v).unwrap_err();
        assert_eq!(e.twilio_code(), Some(code));
        assert!(!e.to_string().contains("hunter2"));
    }
    let e = decode::<Claims>(
        &token,
        &DecodingKey::from_secret(b"x"),
        &Validation::default().at(NOW),
    )
    .unwrap_err();
    assert_eq!(e.twilio_code(), Some(20107));
    assert_eq!(
        check("x.y").unwrap_err(),
        ErrorKind::Malformed("a token has exactly three segments")
    );
    let ttl = AccessToken::new("AC1", "SK1", "s")
        .ttl(86_401)
        .to_jwt_at(NOW)
        .unwrap_err();
    assert_eq!(ttl.twilio_code(), Some(20157));
    assert!(ttl.to_string().contains("86400"));
}

/// A verified payload larger than `decode`'s stack buffer decodes on the heap (it once
/// tripped the base64 decoder's output-size assertion).
#[test]
fn large_payloads_decode() {
    for size in [2040, 2048, 3000, 12_000] {
        let payload = serde_json::json!({"exp": NOW + 60, "pad": "x".repeat(size)}).to_string();
        let token = hs256(HEADER, &payload);
        let key = DecodingKey::from_secret(SECRET);
        let v = Validation::default().at(NOW);
        let claims = decode::<Claims>(&token, &key, &v).unwrap().claims;
        assert_eq!(claims["pad"].as_str().unwrap().len(), size);
    }
}
