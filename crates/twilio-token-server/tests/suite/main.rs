//! The server's tests, in process: each module sends requests to the library's router (or to
//! `run()` on a loopback port) over a store of its own, on SQLite or, with
//! `TWILIO_TOKEN_TEST_POSTGRES`, on PostgreSQL (see `support`).
//!
//! One test binary rather than one per file: each would link the whole server again, which
//! made building the tests take three times as long. `cargo test --test suite rooms::` runs
//! one module.

mod support;

mod clients;
mod connections;
mod deny;
mod guesses;
mod http;
mod id_tokens;
mod identities;
mod key_sets;
mod limiter;
mod openapi;
mod origins;
mod roles;
mod rooms;
mod router;
mod sessions;
