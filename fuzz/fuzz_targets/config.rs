//! The server's grant policy, trusted-issuers and API keys files: any text. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use twilio_token::AccessToken;
use twilio_token_server::exchange::parse_issuers;
use twilio_token_server::policy::Policy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(policy) = Policy::from_json(text, 86_400) {
        for name in ["user", "support", ""] {
            let Ok(role) = policy.role(name) else {
                continue;
            };
            for room in [None, Some("team-a")] {
                let token = AccessToken::new("AC1", "SK1", "secret").identity("alice");
                if let Ok(token) = role.token(token, room, 1_700_000_000) {
                    let _ = token.to_jwt_at(1_700_000_000);
                }
            }
            let _ = role.identity("alice@example.com");
            let _ = role.room_type();
        }
    }
    let jwks = include_bytes!("../../crates/twilio-token/tests/fixtures/keys/jwks.json");
    if let Ok(policy) = Policy::from_json(r#"{"roles":{"user":{"grants":[]}}}"#, 86_400) {
        let _ = parse_issuers(text, |_| Ok(jwks.to_vec()), &policy);
    }
    if let Ok(keys) = twilio_token_server::keys::KeysFile::parse(text) {
        let _ = keys.to_api_keys();
        let _ = keys.encoding_key();
    }
});
