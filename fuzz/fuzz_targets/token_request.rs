//! `POST /token` and the other routes, end to end through the server's router: a fuzzed
//! method, path, headers (Authorization, Content-Type, Cookie, Content-Length) and body. Nothing
//! may panic, no answer may be a 5xx other than 503 (busy or no keys), and no answer may echo the
//! password or the secret.
#![no_main]

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;
use twilio_token_server::config::Secret;
use twilio_token_server::store::Users;
use twilio_token_server::{Config, Settings, SqliteStore, app};

const SECRET: &str = "fuzz-api-key-secret-4f1c2d";
const PASSWORD: &str = "fuzz-password-9a8b";

struct World {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    _dir: tempfile::TempDir,
}

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let issuers = dir.path().join("issuers.json");
    std::fs::write(
        dir.path().join("jwks.json"),
        include_bytes!("../../crates/twilio-token/tests/fixtures/keys/jwks.json"),
    )
    .unwrap();
    std::fs::write(&issuers, r#"{"issuers":[{"issuer":"https://idp","audiences":["app"],"jwks_file":"jwks.json","algorithms":["RS256","ES256","EdDSA"]}]}"#).unwrap();
    let config = Config::from_settings(Settings {
        account_sid: Some(format!("AC{}", "0".repeat(32))),
        api_key_sid: Some(format!("SK{}", "0".repeat(32))),
        api_key_secret: Some(Secret::new(SECRET.into())),
        bind: "127.0.0.1:0".into(),
        issuers: Some((
            std::fs::read_to_string(&issuers).unwrap(),
            issuers.display().to_string(),
        )),
        session_ttl: 3600,
        max_ttl: 86_400,
        max_connections_per_client: 256,
        ..Settings::default()
    })
    .unwrap();
    let url = format!("sqlite://{}", dir.path().join("users.db").display());
    let router = runtime.block_on(async {
        let store = SqliteStore::open(&url).await.unwrap();
        let hash = twilio_token_server::passwords::hash(PASSWORD);
        store.add_user("alice", &hash, "user").await.unwrap();
        let state = Arc::new(app::AppState::new(&config, store).await.unwrap());
        app::router(state, &config)
    });
    World {
        runtime,
        router,
        _dir: dir,
    }
});

fuzz_target!(|data: &[u8]| {
    // Layout: method selector, path selector, then header lines up to a blank line, then body.
    let [m, p, rest @ ..] = data else { return };
    let method = ["POST", "GET", "DELETE", "OPTIONS", "PUT"][*m as usize % 5];
    let path = [
        "/token",
        "/logout",
        "/healthz",
        "/metrics",
        "/api/info",
        "/",
    ][*p as usize % 6];
    let split = rest
        .windows(2)
        .position(|w| w == b"\n\n")
        .unwrap_or(rest.len());
    let (head, body) = (&rest[..split], rest.get(split + 2..).unwrap_or_default());
    let mut request = Request::builder().method(method).uri(path);
    for line in head.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        request = request.header(name, value);
    }
    let Ok(mut request) = request.body(Body::from(body.to_vec())) else {
        return;
    };
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
    let world = &*WORLD;
    let (status, text) = world.runtime.block_on(async {
        let response = world.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        (status, bytes)
    });
    assert!(
        status != StatusCode::INTERNAL_SERVER_ERROR
            && (!status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE),
        "{status}"
    );
    let text = String::from_utf8_lossy(&text);
    assert!(
        !text.contains(SECRET) && !text.contains(PASSWORD),
        "a secret in the answer"
    );
});
