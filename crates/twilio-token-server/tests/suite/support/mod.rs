//! What the in-process server tests share: a store on either backend, and a checked
//! configuration.
//!
//! Each test gets a store of its own: an in-memory SQLite database or, when
//! `TWILIO_TOKEN_TEST_POSTGRES` names a PostgreSQL server (scripts/test.sh starts one and runs
//! these suites a second time with it), a new database on that server.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use sqlx::Connection;
use twilio_token_server::config::Secret;
use twilio_token_server::store::OpenOptions;
use twilio_token_server::{Config, Settings, Store};

mod shared;
// Each test file uses the part it needs.
#[allow(unused_imports)]
pub use shared::{fixture, fixture_key, jwks, raw, session_cookie, verify};

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

/// What came back: status, headers and the body as JSON (`Null` when it is not JSON).
pub struct Answer {
    pub status: axum::http::StatusCode,
    pub headers: axum::http::HeaderMap,
    pub json: serde_json::Value,
}

impl Answer {
    /// The claims of the access token minted, verified with the test secret; the body's
    /// identity must be the token's.
    #[track_caller]
    pub fn claims(&self) -> twilio_token::access_token::AccessClaims {
        assert_eq!(self.status, axum::http::StatusCode::OK, "{}", self.json);
        let token = self.json["token"].as_str().unwrap();
        let key = twilio_token::DecodingKey::from_secret(SECRET.as_bytes());
        let claims = twilio_token::access_token::decode(token, &key, &Default::default())
            .unwrap()
            .claims;
        assert_eq!(claims.identity.as_deref(), self.json["identity"].as_str());
        claims
    }
}

/// Sends `request` to `app` as the listener would hand it over from 127.0.0.1.
pub async fn send(app: &axum::Router, request: axum::http::Request<axum::body::Body>) -> Answer {
    send_from(app, request, [127, 0, 0, 1].into()).await
}

/// [`send`], from `client` (as the listener says who a request is from).
pub async fn send_from(
    app: &axum::Router,
    mut request: axum::http::Request<axum::body::Body>,
    client: std::net::IpAddr,
) -> Answer {
    use tower::ServiceExt;
    let extensions = request.extensions_mut();
    extensions.insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
        client, 9,
    ))));
    extensions.insert(twilio_token_server::client::ClientAddress::from(client));
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    Answer {
        status,
        headers,
        json,
    }
}

/// `POST /token` with `headers` and, unless it is empty, a body of `content_type`.
pub fn post(
    headers: &[(axum::http::header::HeaderName, &str)],
    content_type: &str,
    body: &str,
) -> axum::http::Request<axum::body::Body> {
    use axum::http::header;
    let mut request = axum::http::Request::post("/token");
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    if !body.is_empty() {
        request = request
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_LENGTH, body.len());
    }
    request
        .body(axum::body::Body::from(body.to_owned()))
        .unwrap()
}

/// Writes `issuers` as `issuers.json` in `dir`, beside `idp.pem` (the public half of the key
/// [`id_token`] signs with): the pair `Settings::issuers` takes.
pub fn issuers_file(dir: &std::path::Path, issuers: &str) -> (String, String) {
    std::fs::write(dir.join("idp.pem"), fixture("ed25519.pub.pem")).unwrap();
    let path = dir.join("issuers.json");
    std::fs::write(&path, issuers).unwrap();
    (issuers.to_owned(), path.to_str().unwrap().to_owned())
}

/// An EdDSA ID token of `issuer` for `audience`, valid for ten minutes, its other claims as
/// `claims` sets them.
pub fn id_token(
    issuer: &str,
    audience: &str,
    claims: impl FnOnce(twilio_token::Jwt) -> twilio_token::Jwt,
) -> String {
    let key = twilio_token::EncodingKey::from_ed_pem(&fixture("ed25519.pem")).unwrap();
    let jwt = twilio_token::Jwt::new(issuer)
        .algorithm(twilio_token::Algorithm::EdDSA)
        .claim("aud", audience)
        .claim("iat", twilio_token::now())
        .ttl(600);
    claims(jwt).encode(&key).unwrap()
}

/// A server running [`twilio_token_server::run`] in this process on a loopback port; stopped
/// when dropped, or by [`Server::stop`], which also holds the run to a clean end.
pub struct Server {
    pub address: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    run: Option<tokio::task::JoinHandle<()>>,
}

/// Starts the server for `config` and `store` on 127.0.0.1.
pub async fn serve(config: Config, store: Store) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(async move {
        let stopped = async {
            let _ = stopped.await;
        };
        twilio_token_server::run(&config, store, listener, stopped)
            .await
            .unwrap();
    });
    Server {
        address,
        stop: Some(stop),
        run: Some(run),
    }
}

impl Server {
    /// Stops the server and waits for its run to end without an error.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).unwrap();
        }
        if let Some(run) = self.run.take() {
            run.await.unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A client whose connections come from `from` (a loopback address of 127.0.0.0/8).
pub fn client_from(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// Asks `ask` until it answers `want`, for at most five seconds: for what a server does within
/// a bound (a cache's freshness, a deadline), without sleeping the bound out.
pub async fn until<T: PartialEq + std::fmt::Debug, F: Future<Output = T>>(
    want: T,
    mut ask: impl FnMut() -> F,
) {
    let started = Instant::now();
    loop {
        let got = ask().await;
        if got == want {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still {got:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
