//! Token decoding and verification: any bytes, through every decoding entry point, with an
//! HMAC key, a public key and a key set; and the same bytes as the claims of a correctly signed
//! token, so that the claims parser is fuzzed behind a valid signature too. The checks are in
//! `fuzz/decode_check.rs`, which the regression test shares.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../decode_check.rs"]
mod decode_check;

fuzz_target!(|data: &[u8]| decode_check::check_bytes(data));
