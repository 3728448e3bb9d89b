//! The `Jwt` base and decoding, as the seed's JWT utilities show them: mint a general JWT,
//! verify it, and watch each kind of failure.
//!
//! `cargo run -p twilio-token --example verify`

use twilio_token::{Claims, DecodingKey, EncodingKey, Jwt, Validation, decode};

fn main() -> Result<(), twilio_token::Error> {
    let now = twilio_token::now();
    let token = Jwt::new("SKxxxxx")
        .subject("ACxxxxx")
        .claim("scope", "demo")
        .ttl(60)
        .encode_at(&EncodingKey::from_secret(b"secret"), now)?;

    let data = decode::<Claims>(
        &token,
        &DecodingKey::from_secret(b"secret"),
        &Validation::default(),
    )?;
    println!("verified: {}", serde_json::Value::Object(data.claims));

    let failures = [
        (
            "wrong secret",
            decode::<Claims>(
                &token,
                &DecodingKey::from_secret(b"nope"),
                &Validation::default(),
            ),
        ),
        (
            "an hour later",
            decode::<Claims>(
                &token,
                &DecodingKey::from_secret(b"secret"),
                &Validation::default().at(now + 3600),
            ),
        ),
        (
            "not a token",
            decode::<Claims>(
                "abc",
                &DecodingKey::from_secret(b"secret"),
                &Validation::default(),
            ),
        ),
    ];
    for (what, result) in failures {
        let e = result.expect_err("each of these fails");
        println!("{what}: {e} (Twilio error {:?})", e.twilio_code());
    }
    Ok(())
}
