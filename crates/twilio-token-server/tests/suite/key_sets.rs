//! Where an issuer's keys come from, in process ([`twilio_token_server::run`] on a loopback
//! port): a provider's JWKS endpoint (an axum stand-in that rotates keys, goes down and goes
//! slow), or a key file, or no issuer at all. (Every algorithm and every failed check is the
//! CLI crate's `exchange` tests, which also read the binary's log.)

use crate::support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::jwks;
use twilio_token::{Algorithm, Jwt};

const ISSUER: &str = "https://idp.test";
const AUDIENCE: &str = "twilio-app";

/// How the provider stand-in answers.
#[derive(Clone)]
enum Mode {
    /// 200 with this JWK Set and `Cache-Control: max-age`.
    Serve(String, u64),
    /// 500.
    Down,
    /// Waits this long, then serves.
    Slow(Duration, String),
}

/// An identity provider's JWKS endpoint on a loopback port, counting its requests; stopped
/// when dropped.
struct Provider {
    url: String,
    mode: Arc<Mutex<Mode>>,
    requests: Arc<AtomicUsize>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Provider {
    async fn start(mode: Mode) -> Provider {
        let mode = Arc::new(Mutex::new(mode));
        let requests = Arc::new(AtomicUsize::new(0));
        let (m, r) = (Arc::clone(&mode), Arc::clone(&requests));
        let answer = move || {
            r.fetch_add(1, Ordering::SeqCst);
            let mode = m.lock().unwrap().clone();
            async move {
                let (status, body, max_age) = match mode {
                    Mode::Serve(body, max_age) => (StatusCode::OK, body, max_age),
                    Mode::Down => (StatusCode::INTERNAL_SERVER_ERROR, "down".into(), 0),
                    Mode::Slow(wait, body) => {
                        tokio::time::sleep(wait).await;
                        (StatusCode::OK, body, 300)
                    }
                };
                let cache = format!("public, max-age={max_age}");
                let headers = [
                    (CONTENT_TYPE, "application/json".to_owned()),
                    (CACHE_CONTROL, cache),
                ];
                (status, headers, body)
            }
        };
        let app = axum::Router::new().route("/jwks.json", axum::routing::get(answer));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let until_stopped = async {
                let _ = stopped.await;
            };
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(until_stopped)
                .await;
        });
        Provider {
            url,
            mode,
            requests,
            _stop: stop,
        }
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// An ID token of the fixture key `key`, under `kid`.
fn id_token(key: &str, alg: Algorithm, kid: &str) -> String {
    Jwt::new(ISSUER)
        .algorithm(alg)
        .header("kid", kid)
        .subject("alice_1")
        .claim("aud", AUDIENCE)
        .claim("iat", twilio_token::now())
        .ttl(600)
        .encode(&support::fixture_key(key))
        .unwrap()
}

/// A running server whose one issuer is `issuer` (its key source) with short fetch intervals
/// and timeouts; `dir` holds the issuers file, and so any `jwks_file`.
struct Running {
    server: support::Server,
    url: String,
}

async fn serve(issuer: Option<Value>, dir: &std::path::Path) -> Running {
    let policy = r#"{"roles": {"user": {"grants": [{"video": {"room": "My Room"}}]}}}"#;
    let config = support::config(|s| {
        s.policy = Some((policy.into(), "policy.json".into()));
        if let Some(mut issuer) = issuer {
            for (k, v) in [
                ("issuer", json!(ISSUER)),
                ("audiences", json!([AUDIENCE])),
                ("jwks_min_interval", json!(0.3)),
                ("jwks_timeout", json!(0.5)),
            ] {
                issuer.as_object_mut().unwrap().entry(k).or_insert(v);
            }
            let text = json!({ "issuers": [issuer] }).to_string();
            let path = dir.join("issuers.json");
            std::fs::write(&path, &text).unwrap();
            s.issuers = Some((text, path.to_str().unwrap().to_owned()));
        }
    });
    let server = support::serve(config, support::store().await).await;
    Running {
        url: format!("http://{}", server.address),
        server,
    }
}

impl Running {
    /// `POST /token` with `Authorization: Bearer token`: the status, `Retry-After` and the JSON.
    async fn exchange(&self, token: &str) -> (StatusCode, Option<String>, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/token", self.url))
            .bearer_auth(token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let retry = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, retry, response.json().await.unwrap())
    }

    async fn status(&self, token: &str) -> StatusCode {
        self.exchange(token).await.0
    }

    async fn check(&self, token: &str) -> Value {
        self.exchange(token).await.2["check"].clone()
    }

    async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn keys_rotate_and_a_provider_that_fails_leaves_the_cached_keys_working() {
    let provider = Provider::start(Mode::Serve(jwks(&[("rsa_a", "k1")]), 1)).await;
    let dir = tempfile::tempdir().unwrap();
    let server = serve(Some(json!({"jwks_url": provider.url})), dir.path()).await;
    let k1 = id_token("rsa_a", Algorithm::RS256, "k1");
    let k2 = id_token("rsa_b", Algorithm::RS256, "k2");
    assert_eq!(server.status(&k1).await, StatusCode::OK);

    // The provider rotates to k2: the first k2 token, once the fetch interval (0.3 s) has
    // passed, makes the server fetch again.
    provider.set(Mode::Serve(jwks(&[("rsa_b", "k2")]), 300));
    tokio::time::sleep(Duration::from_millis(400)).await;
    let before = provider.requests();
    let (status, _, body) = server.exchange(&k2).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(provider.requests(), before + 1);
    // k1 is gone from the provider's set, and so from the server's.
    assert_eq!(server.check(&k1).await, "unknown_kid");

    // A flood of made-up kids costs the provider at most one fetch per interval.
    let before = provider.requests();
    let started = Instant::now();
    for i in 0..40 {
        let forged = id_token("rsa_a", Algorithm::RS256, &format!("made-up-{i}"));
        assert_eq!(server.check(&forged).await, "unknown_kid");
    }
    let allowed = 1 + (started.elapsed().as_secs_f64() / 0.3).ceil() as usize;
    let fetched = provider.requests() - before;
    assert!(
        fetched <= allowed,
        "{fetched} fetches for 40 unknown kids, allowed {allowed}"
    );

    // Down, then slow: the cached key keeps working, and unknown kids fail fast.
    for mode in [
        Mode::Down,
        Mode::Slow(Duration::from_secs(3), jwks(&[("rsa_a", "k3")])),
    ] {
        provider.set(mode);
        tokio::time::sleep(Duration::from_millis(400)).await;
        let started = Instant::now();
        let (status, _, body) = server.exchange(&k2).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let k3 = id_token("rsa_a", Algorithm::RS256, "k3");
        assert_eq!(server.check(&k3).await, "unknown_kid");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
    let text = server.metrics().await;
    assert!(
        text.contains("twilio_token_jwks_fetches_total{result=\"failed\"} 2\n"),
        "{text}"
    );
    server.server.stop().await;
}

#[tokio::test]
async fn cache_headers_refresh_the_keys_in_the_background() {
    let provider = Provider::start(Mode::Serve(jwks(&[("rsa_a", "k1")]), 1)).await;
    let dir = tempfile::tempdir().unwrap();
    let server = serve(Some(json!({"jwks_url": provider.url})), dir.path()).await;
    let k1 = id_token("rsa_a", Algorithm::RS256, "k1");
    assert_eq!(server.status(&k1).await, StatusCode::OK);
    assert_eq!(provider.requests(), 1);
    // Within max-age (a second): no fetch. After it: a request refreshes in the background,
    // and is answered from the keys at hand meanwhile.
    assert_eq!(server.status(&k1).await, StatusCode::OK);
    assert_eq!(provider.requests(), 1);
    support::until(2, || async {
        assert_eq!(server.status(&k1).await, StatusCode::OK);
        provider.requests()
    })
    .await;
    server.server.stop().await;
}

#[tokio::test]
async fn without_keys_the_answer_is_503_not_a_hang() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}/jwks.json", closed.local_addr().unwrap());
    drop(closed);
    let slow = Provider::start(Mode::Slow(Duration::from_secs(5), jwks(&[("rsa_a", "k1")]))).await;
    let down = Provider::start(Mode::Down).await;
    for url in [closed_url, slow.url.clone(), down.url.clone()] {
        let dir = tempfile::tempdir().unwrap();
        let server = serve(Some(json!({"jwks_url": url})), dir.path()).await;
        let started = Instant::now();
        let token = id_token("rsa_a", Algorithm::RS256, "k1");
        let (status, retry, _) = server.exchange(&token).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{url}");
        assert!(retry.is_some(), "{url}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{url}: {:?}",
            started.elapsed()
        );
        server.server.stop().await;
    }
}

#[tokio::test]
async fn keys_from_a_file_and_no_issuers_at_all() {
    // One PEM public key, no kid: a token with or without a kid verifies with it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("idp.pem"),
        support::fixture("ed25519.pub.pem"),
    )
    .unwrap();
    let issuer = json!({"jwks_file": "idp.pem", "algorithms": ["EdDSA"]});
    let server = serve(Some(issuer), dir.path()).await;
    let token = id_token("ed25519", Algorithm::EdDSA, "any");
    let (status, _, body) = server.exchange(&token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let other = id_token("ec_p256", Algorithm::ES256, "any");
    assert_eq!(server.check(&other).await, "algorithm");
    server.server.stop().await;

    // A server with no issuers refuses every bearer token.
    let bare = serve(None, dir.path()).await;
    let (status, _, body) = bare.exchange(&token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["check"], "issuer");
    bare.server.stop().await;
}
