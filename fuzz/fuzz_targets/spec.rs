//! `mint --spec`: any text as a token spec. Nothing may panic; a spec that mints must mint the
//! same token twice (every spec in the corpus pins its clock with `at`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(token) = twilio_token::spec::mint(text) {
        if text.contains("\"at\"") && !text.contains("\"kind\":\"validation\"") {
            if let Ok(again) = twilio_token::spec::mint(text) {
                assert_eq!(token, again, "the same spec minted two tokens");
            }
        }
    }
});
