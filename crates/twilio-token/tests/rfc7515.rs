//! RFC 7515 Appendix A: the HS256 (A.1) and RS256 (A.2) examples verify, their payloads come
//! out as the RFC prints them, and A.5 (`alg: none`) is refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use twilio_token::{Algorithm, Claims, DecodingKey, ErrorKind, Validation, decode};

const PAYLOAD_B64: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const A1: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const A1_KEY: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
const A2: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
const A5: &str = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";
/// One second before the examples' `exp`.
const BEFORE_EXP: i64 = 1_300_819_379;

fn b64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

fn rsa_a2_key() -> DecodingKey {
    let jwk: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/rfc7515_a2_jwk.json")).unwrap();
    DecodingKey::from_rsa_components(
        &b64(jwk["n"].as_str().unwrap()),
        &b64(jwk["e"].as_str().unwrap()),
    )
}

#[test]
fn a1_hs256_verifies() {
    let key = DecodingKey::from_secret(&b64(A1_KEY));
    let data = decode::<Claims>(A1, &key, &Validation::default().at(BEFORE_EXP)).unwrap();
    assert_eq!(data.header.alg, Algorithm::HS256);
    assert_eq!(data.header.typ.as_deref(), Some("JWT"));
    assert_eq!(data.claims["iss"], "joe");
    assert_eq!(data.claims["http://example.com/is_root"], true);
    assert_eq!(
        String::from_utf8(b64(PAYLOAD_B64)).unwrap(),
        "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}"
    );
}

#[test]
fn a1_is_expired_at_its_exp() {
    let key = DecodingKey::from_secret(&b64(A1_KEY));
    let err = decode::<Claims>(A1, &key, &Validation::default().at(BEFORE_EXP + 1)).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Expired);
    // ...and a leeway covers the skew.
    decode::<Claims>(
        A1,
        &key,
        &Validation::default().at(BEFORE_EXP + 1).leeway(1),
    )
    .unwrap();
}

#[test]
fn a1_with_one_flipped_signature_bit_fails() {
    let mut token = A1.to_owned();
    token.pop();
    token.push('g'); // 'k' -> 'g' keeps the encoding canonical and flips one bit
    let key = DecodingKey::from_secret(&b64(A1_KEY));
    let err = decode::<Claims>(&token, &key, &Validation::default().at(BEFORE_EXP)).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidSignature);
}

#[test]
fn a2_rs256_verifies_with_the_jwk_and_with_pem() {
    let v = Validation::default()
        .algorithms(&[Algorithm::RS256])
        .at(BEFORE_EXP);
    let data = decode::<Claims>(A2, &rsa_a2_key(), &v).unwrap();
    assert_eq!(data.claims["iss"], "joe");
    let spki = DecodingKey::from_rsa_pem(include_bytes!("fixtures/rfc7515_a2_public.pem")).unwrap();
    decode::<Claims>(A2, &spki, &v).unwrap();
    let private = DecodingKey::from_rsa_pem(include_bytes!("fixtures/rfc7515_a2.pem")).unwrap();
    decode::<Claims>(A2, &private, &v).unwrap();
}

#[test]
fn a2_needs_rs256_on_the_allow_list() {
    let err =
        decode::<Claims>(A2, &rsa_a2_key(), &Validation::default().at(BEFORE_EXP)).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::AlgorithmNotAllowed("RS256".into()));
}

#[test]
fn a5_unsecured_is_refused_whatever_the_allow_list() {
    for key in [DecodingKey::from_secret(b"k"), rsa_a2_key()] {
        let v = Validation::default()
            .algorithms(&Algorithm::ALL)
            .at(BEFORE_EXP);
        let err = decode::<Claims>(A5, &key, &v).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::AlgorithmNotAllowed("none".into()));
    }
}
