//! temp
use std::hint::black_box as bb;
use std::time::Instant;
use twilio_token::*;
#[derive(serde::Deserialize)] #[allow(dead_code)] struct V { room: String }
#[derive(serde::Deserialize)] #[allow(dead_code)] struct G { video: V, identity: String }
#[derive(serde::Deserialize)] #[allow(dead_code)] struct C { jti: String, grants: G, iss: String, exp: i64, nbf: i64, sub: String }
fn t<F: FnMut()>(name: &str, mut f: F) { let n = 100_000; let mut best = std::time::Duration::MAX; for _ in 0..15 { let s = Instant::now(); for _ in 0..n { f() } best = best.min(s.elapsed() / n); } print!("{name} {best:?} | "); }
fn main() {
    let k = EncodingKey::from_secret(b"3b9cfb2d8a7e41f0a1c5e6d7f8091a2b");
    let mint = || AccessToken::with_key("AC0123456789abcdef0123456789abcdef", "SK0123456789abcdef0123456789abcdef", k.clone()).identity("alice").grant(grants::VideoGrant::room("My Room")).to_jwt_at(1_700_000_000).unwrap();
    let tok = mint();
    let dk = DecodingKey::from_secret(b"3b9cfb2d8a7e41f0a1c5e6d7f8091a2b");
    let v = Validation::default().at(1_700_000_001);
    let payload_b64 = tok.split('.').nth(1).unwrap().to_owned();
    let payload = base64_simd::URL_SAFE_NO_PAD.decode_to_vec(&payload_b64).unwrap();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"3b9cfb2d8a7e41f0a1c5e6d7f8091a2b");
    let input = &tok[..tok.rfind('.').unwrap()];
    t("hmac", || { bb(ring::hmac::sign(&key, bb(input.as_bytes()))); });
    t("mint", || { bb(mint()); });
    t("serde_json typed", || { bb(serde_json::from_slice::<C>(bb(&payload)).unwrap()); });
    t("verify typed", || { bb(decode_as::<C>(bb(&tok), &dk, &v).unwrap()); });
    t("verify ignored", || { bb(decode_as::<serde::de::IgnoredAny>(bb(&tok), &dk, &v).unwrap()); });
    t("verify map", || { bb(decode(bb(&tok), &dk, &v).unwrap()); });
    println!();
}
