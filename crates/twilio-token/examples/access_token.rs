//! The seed's access token examples, in Rust: a video token, a chat + voice token and a sync
//! token, each printed with its decoded claims; then the chat + voice token verified and read
//! back as typed claims.
//!
//! `cargo run -p twilio-token --example access_token`

use twilio_token::grants::{ChatGrant, SyncGrant, VideoGrant, VoiceGrant};
use twilio_token::{AccessToken, DecodingKey, Validation, access_token, dangerous};

fn main() -> Result<(), twilio_token::Error> {
    // Basic video token
    let token = AccessToken::new("ACxxxxx", "SKxxxxx", "your_api_secret")
        .identity("user123")
        .grant(VideoGrant::room("my-room"))
        .to_jwt()?;
    show("video", &token);

    // Chat token with multiple grants
    let jwt = AccessToken::new("ACxxxxx", "SKxxxxx", "secret")
        .identity("alice")
        .grant(ChatGrant {
            service_sid: Some("ISxxxxx".into()),
            endpoint_id: Some("alice-mobile".into()),
            ..Default::default()
        })
        .grant(VoiceGrant {
            outgoing_application_sid: Some("APxxxxx".into()),
            incoming_allow: Some(true),
            ..Default::default()
        })
        .to_jwt()?;
    show("chat + voice", &jwt);

    // Sync token for real-time data
    let sync_token = AccessToken::new("ACxxxxx", "SKxxxxx", "secret")
        .identity("user456")
        .grant(SyncGrant {
            service_sid: Some("ISxxxxx".into()),
            endpoint_id: Some("user456-web".into()),
        })
        .to_jwt()?;
    show("sync", &sync_token);

    // What a server receiving the chat + voice token reads from it
    let claims = access_token::decode(
        &jwt,
        &DecodingKey::from_secret(b"secret"),
        &Validation::default(),
    )?
    .claims;
    println!(
        "verified: {} may use {:?}, until {}",
        claims.identity.unwrap_or_default(),
        claims.grants.iter().map(|g| g.key()).collect::<Vec<_>>(),
        claims.exp
    );
    Ok(())
}

fn show(name: &str, token: &str) {
    let claims = dangerous::decode_unverified(token).map(|d| d.claims);
    println!(
        "{name}: {token}\n  {}\n",
        serde_json::to_string(&claims.unwrap_or_default()).unwrap_or_default()
    );
}
