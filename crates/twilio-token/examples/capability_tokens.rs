//! The seed's capability token examples, in Rust: a Twilio Client token and a TaskRouter
//! worker token.
//!
//! `cargo run -p twilio-token --example capability_tokens`

use twilio_token::ClientCapabilityToken;
use twilio_token::taskrouter::{Allow, TaskRouterCapabilityToken};

fn main() -> Result<(), twilio_token::Error> {
    // Client capability token
    let mut capability = ClientCapabilityToken::new("ACxxxxx", "auth_token");
    capability.allow_client_incoming("alice");
    capability.allow_client_outgoing("APxxxxx", [("ClientName", "alice")])?;
    println!("scope: {}", capability.scope());
    let token = capability.ttl(7200).to_jwt()?;
    println!("client token: {token}\n");

    // TaskRouter worker token. The reference checks SID prefixes, so these are real-looking.
    let mut worker = TaskRouterCapabilityToken::worker(
        "AC00000000000000000000000000000000",
        "auth_token",
        "WS00000000000000000000000000000000",
        "WK00000000000000000000000000000000",
        Allow::default(),
    )?;
    worker.allow_fetch_subresources();
    worker.allow_update_subresources();
    for policy in worker.policies() {
        println!("policy: {} {}", policy.method, policy.url);
    }
    println!("worker token: {}", worker.to_jwt()?);
    Ok(())
}
