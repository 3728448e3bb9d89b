use std::time::Instant;
use twilio_token::*;
fn main() {
    let msg = vec![b'a'; 350];
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"3b9cfb2d8a7e41f0a1c5e6d7f8091a2b");
    let n = 200_000;
    let t = Instant::now();
    for _ in 0..n { std::hint::black_box(ring::hmac::sign(&key, std::hint::black_box(&msg))); }
    println!("hmac350 {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n { std::hint::black_box(ring::digest::digest(&ring::digest::SHA256, std::hint::black_box(&msg))); }
    println!("sha350 {:?}", t.elapsed() / n);
    let k = EncodingKey::from_secret(b"3b9cfb2d8a7e41f0a1c5e6d7f8091a2b");
    let t = Instant::now();
    for _ in 0..n { std::hint::black_box(AccessToken::with_key("AC0123456789abcdef0123456789abcdef", "SK0123456789abcdef0123456789abcdef", k.clone()).identity("alice").grant(grants::VideoGrant::room("My Room")).to_jwt_at(1_700_000_000).unwrap()); }
    println!("mint {:?}", t.elapsed() / n);
    let tok = AccessToken::with_key("AC0123456789abcdef0123456789abcdef", "SK0123456789abcdef0123456789abcdef", k.clone()).identity("alice").grant(grants::VideoGrant::room("My Room")).to_jwt_at(1_700_000_000).unwrap();
    println!("len {}", tok.len());
    let dk = DecodingKey::from_secret(b"3b9cfb2d8a7e41f0a1c5e6d7f8091a2b");
    let v = Validation::default().at(1_700_000_001);
    let t = Instant::now();
    for _ in 0..n { std::hint::black_box(decode(&tok, &dk, &v).unwrap()); }
    println!("verify {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n { std::hint::black_box(dangerous::decode_unverified(&tok).unwrap()); }
    println!("unverified {:?}", t.elapsed() / n);
}
