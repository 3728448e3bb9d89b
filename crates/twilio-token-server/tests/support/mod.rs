//! What the in-process server tests share: a store on either backend, and a checked
//! configuration.
//!
//! Each test gets a store of its own: an in-memory SQLite database or, when
//! `TWILIO_TOKEN_TEST_POSTGRES` names a PostgreSQL server (scripts/test.sh starts one and runs
//! these suites a second time with it), a new database on that server.

// Each test file uses the part it needs.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;
use twilio_token_server::config::Secret;
use twilio_token_server::store::OpenOptions;
use twilio_token_server::{Config, Settings, Store};

pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const KEY: &str = "SK0123456789abcdef0123456789abcdef";
pub const SECRET: &str = "a test secret";

/// The PostgreSQL server named by `TWILIO_TOKEN_TEST_POSTGRES` (a URL without a database).
pub fn postgres() -> Option<String> {
    std::env::var("TWILIO_TOKEN_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
}

/// A new, empty store on the backend under test.
pub async fn store() -> Store {
    store_with(OpenOptions::default()).await
}

/// [`store`], opened with `options`.
pub async fn store_with(options: OpenOptions) -> Store {
    let url = match postgres() {
        None => "sqlite::memory:".to_owned(),
        Some(server) => {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let name = format!(
                "t{}_{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed),
                twilio_token::now()
            );
            let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
                .await
                .expect("the test PostgreSQL server answers");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .unwrap();
            format!("{server}/{name}")
        }
    };
    Store::open(&url, options).await.unwrap()
}

/// The settings every test server starts from: the test account and key, on loopback.
pub fn settings() -> Settings {
    Settings {
        account_sid: Some(ACCOUNT.into()),
        api_key_sid: Some(KEY.into()),
        api_key_secret: Some(Secret::new(SECRET.into())),
        bind: "127.0.0.1:0".into(),
        session_ttl: 3600,
        max_ttl: 86_400,
        max_connections_per_client: 256,
        ..Settings::default()
    }
}

/// [`settings`] with `change` applied, checked.
pub fn config(change: impl FnOnce(&mut Settings)) -> Config {
    let mut settings = settings();
    change(&mut settings);
    Config::from_settings(settings).unwrap()
}
