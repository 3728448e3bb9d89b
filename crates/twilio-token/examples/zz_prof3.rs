//! temp
use twilio_token::*;
#[derive(serde::Deserialize)] #[allow(dead_code)] struct V { room: String }
#[derive(serde::Deserialize)] #[allow(dead_code)] struct G { video: V, identity: String }
#[derive(serde::Deserialize)] #[allow(dead_code)] struct C { jti: String, grants: G, iss: String, exp: i64, nbf: i64, sub: String }
fn main() {
    let what = std::env::args().nth(1).unwrap();
    let n: u32 = std::env::args().nth(2).unwrap().parse().unwrap();
    let k = EncodingKey::from_secret(b"3b9cfb2d8a7e41f0a1c5e6d7f8091a2b");
    let mint = || AccessToken::with_key("AC0123456789abcdef0123456789abcdef", "SK0123456789abcdef0123456789abcdef", k.clone()).identity("alice").grant(grants::VideoGrant::room("My Room")).to_jwt_at(1_700_000_000).unwrap();
    let tok = mint();
    let dk = DecodingKey::from_secret(b"3b9cfb2d8a7e41f0a1c5e6d7f8091a2b");
    let v = Validation::default().at(1_700_000_001);
    for _ in 0..n {
        match what.as_str() {
            "mint" => { std::hint::black_box(mint()); }
            "typed" => { std::hint::black_box(decode_as::<C>(std::hint::black_box(&tok), &dk, &v).unwrap()); }
            "ignored" => { std::hint::black_box(decode_as::<serde::de::IgnoredAny>(std::hint::black_box(&tok), &dk, &v).unwrap()); }
            "hmac" => { let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"k"); std::hint::black_box(ring::hmac::sign(&key, std::hint::black_box(tok[..tok.rfind('.').unwrap()].as_bytes()))); }
            _ => {}
        }
    }
}
