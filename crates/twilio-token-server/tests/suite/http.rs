//! The HTTP contract of `POST /token` through a listening server, in process
//! ([`twilio_token_server::run`] on a loopback port, a real HTTP client): the ways to log in,
//! every error's status and body, the policy's grants and rooms, and the failed-login limit.
//! (The binary's own part, its logs and flags, is in the CLI crate's tests.)

use crate::support;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, RETRY_AFTER};
use serde_json::{Value, json};
use support::{ACCOUNT, config, serve, session_cookie, store, verify};
use twilio_token_server::store::Users;
use twilio_token_server::{Config, passwords};

const PASSWORD: &str = "correct horse battery";

/// A server for `config` whose store holds each of `users` (name, role) with [`PASSWORD`].
async fn start(config: Config, users: &[(&str, &str)]) -> Running {
    let store = store().await;
    let hash = passwords::hash(PASSWORD);
    for (name, role) in users {
        store.add_user(name, &hash, role).await.unwrap();
    }
    let server = serve(config, store).await;
    Running {
        url: format!("http://{}", server.address),
        server,
        client: reqwest::Client::new(),
    }
}

struct Running {
    server: support::Server,
    url: String,
    client: reqwest::Client,
}

impl Running {
    fn post(&self) -> reqwest::RequestBuilder {
        self.client.post(format!("{}/token", self.url))
    }

    async fn login(&self, user: &str, password: &str) -> reqwest::Response {
        let body = json!({"username": user, "password": password});
        self.post().json(&body).send().await.unwrap()
    }

    async fn metrics(&self) -> String {
        let url = format!("{}/metrics", self.url);
        let answer = self.client.get(url).send().await.unwrap();
        answer.text().await.unwrap()
    }
}

#[tokio::test]
async fn logins_by_json_form_and_basic_give_verifiable_tokens() {
    let name = r#"o"brien\x"#;
    let s = start(config(|_| {}), &[("alice", "user"), (name, "user")]).await;
    let requests = [
        s.post()
            .json(&json!({"username": "alice", "password": PASSWORD})),
        s.post()
            .form(&[("username", "alice"), ("password", PASSWORD)]),
        s.post().basic_auth("alice", Some(PASSWORD)),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        session_cookie(&response);
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let text = response.text().await.unwrap();
        assert!(text.starts_with("{\"token\":"), "token first: {text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        let claims = verify(body["token"].as_str().unwrap());
        assert_eq!(
            claims["grants"],
            json!({"video": {"room": "My Room"}, "identity": "alice"})
        );
        assert_eq!(claims["sub"], ACCOUNT);
        assert_eq!(body["identity"], "alice");
        assert_eq!(body["expires_at"], claims["exp"]);
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["nbf"].as_i64().unwrap(),
            3600
        );
    }
    // A name with JSON's special characters comes back as the same identity.
    let body: Value = s.login(name, PASSWORD).await.json().await.unwrap();
    assert_eq!(body["identity"], name);
    let claims = verify(body["token"].as_str().unwrap());
    assert_eq!(claims["grants"]["identity"], name);
    s.server.stop().await;
}

#[tokio::test]
async fn every_error_has_its_status_and_a_json_body() {
    let s = start(config(|_| {}), &[("alice", "user")]).await;
    let post = || s.post();
    let cases = [
        (post(), StatusCode::UNAUTHORIZED),
        (
            post().json(&json!({"username": "alice"})),
            StatusCode::UNAUTHORIZED,
        ),
        (
            post().json(&json!({"username": "alice", "password": "wrong password"})),
            StatusCode::UNAUTHORIZED,
        ),
        (
            post().json(&json!({"username": "nobody", "password": "wrong password"})),
            StatusCode::UNAUTHORIZED,
        ),
        (
            post()
                .header(CONTENT_TYPE, "application/json")
                .body("{\"username\":"),
            StatusCode::BAD_REQUEST,
        ),
        (
            post()
                .header(CONTENT_TYPE, "application/json")
                .body("[1,2]"),
            StatusCode::BAD_REQUEST,
        ),
        (
            post()
                .header(CONTENT_TYPE, "application/json")
                .body(vec![0xff, 0xfe]),
            StatusCode::BAD_REQUEST,
        ),
        (
            post().header(CONTENT_TYPE, "text/plain").body("hi"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            post().header(AUTHORIZATION, "Basic !!!"),
            StatusCode::BAD_REQUEST,
        ),
        (
            post().header(AUTHORIZATION, "Negotiate abc"),
            StatusCode::BAD_REQUEST,
        ),
        (
            post().json(&json!({"username": "alice", "password": "x".repeat(5000)})),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            s.client.get(format!("{}/token", s.url)),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            s.client.delete(format!("{}/token", s.url)),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ];
    let mut unauthorized = Vec::new();
    for (request, status) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        if status != StatusCode::METHOD_NOT_ALLOWED {
            let body: Value = response.json().await.unwrap();
            assert!(
                body["error"].is_string() && body["message"].is_string(),
                "{body}"
            );
            if status == StatusCode::UNAUTHORIZED {
                unauthorized.push(body);
            }
        }
    }
    // Missing credentials, a wrong password and an unknown user all look the same.
    assert!(unauthorized.windows(2).all(|w| w[0] == w[1]));
    for path in ["/healthz", "/metrics", "/", "/app.js"] {
        let response = s.client.get(format!("{}{path}", s.url)).send().await;
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }
    let missing = s.client.get(format!("{}/nowhere", s.url)).send().await;
    let missing = missing.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.headers()["x-content-type-options"], "nosniff");
    s.server.stop().await;
}

#[tokio::test]
async fn the_policy_decides_grants_and_rooms() {
    let policy = r#"{"roles": {
        "user": {"grants": [{"video": {}}], "rooms": ["team-*"], "ttl": 600},
        "agent": {"grants": [{"voice": {"incoming_allow": true, "outgoing_application_sid": "AP0123456789abcdef0123456789abcdef"}}, {"chat": {"service_sid": "IS0123456789abcdef0123456789abcdef"}}]}
    }}"#;
    let config = config(|s| s.policy = Some((policy.into(), "policy.json".into())));
    let s = start(config, &[("alice", "user"), ("bob", "agent")]).await;
    let ask = |user: &str, room: Option<&str>| {
        let mut body = json!({"username": user, "password": PASSWORD});
        if let Some(room) = room {
            body["room"] = json!(room);
        }
        s.post().json(&body).send()
    };
    let alice: Value = ask("alice", Some("team-red"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let claims = verify(alice["token"].as_str().unwrap());
    assert_eq!(claims["grants"]["video"], json!({"room": "team-red"}));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["nbf"].as_i64().unwrap(),
        600
    );
    assert_eq!(
        ask("alice", Some("boardroom")).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    // The role limits rooms and its template names none: a login must name one.
    let unnamed = ask("alice", None).await.unwrap();
    assert_eq!(unnamed.status(), StatusCode::BAD_REQUEST);
    let unnamed: Value = unnamed.json().await.unwrap();
    assert_eq!(unnamed["error"], "room_required");
    assert_eq!(unnamed["field"], "room");
    // A refresh through the session may ask for a room too, within the same policy.
    let cookie = session_cookie(&ask("alice", Some("team-red")).await.unwrap());
    let refresh = |room: &str| {
        s.post()
            .header(COOKIE, cookie.clone())
            .json(&json!({ "room": room }))
            .send()
    };
    let refreshed: Value = refresh("team-blue").await.unwrap().json().await.unwrap();
    let claims = verify(refreshed["token"].as_str().unwrap());
    assert_eq!(claims["grants"]["video"], json!({"room": "team-blue"}));
    assert_eq!(claims["grants"]["identity"], "alice");
    assert_eq!(
        refresh("boardroom").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let bob: Value = ask("bob", None).await.unwrap().json().await.unwrap();
    let grants = &verify(bob["token"].as_str().unwrap())["grants"];
    assert_eq!(grants["voice"]["incoming"]["allow"], true);
    assert_eq!(grants["identity"], "bob");
    assert!(grants.get("video").is_none());
    assert_eq!(
        ask("bob", Some("team-red")).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let metrics = s.metrics().await;
    assert!(
        metrics.contains("twilio_token_tokens_issued_total{grant=\"voice\"} 1"),
        "{metrics}"
    );
    // Alice's login, her second login and her refresh: three video tokens.
    assert!(
        metrics.contains("twilio_token_tokens_issued_total{grant=\"video\"} 3"),
        "{metrics}"
    );
    s.server.stop().await;
}

#[tokio::test]
async fn failed_logins_are_rate_limited() {
    let s = start(config(|_| {}), &[("alice", "user"), ("bob", "user")]).await;
    for _ in 0..5 {
        let failed = s.login("alice", "wrong password").await;
        assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits.
    let limited = s.login("alice", PASSWORD).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"], "too_many_requests");
    // Another user from the same address is not locked out by alice's failures.
    assert_eq!(s.login("bob", PASSWORD).await.status(), StatusCode::OK);
    let metrics = s.metrics().await;
    assert!(
        metrics.contains("twilio_token_logins_total{result=\"limited\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("twilio_token_logins_total{result=\"failed\"} 5"),
        "{metrics}"
    );
    s.server.stop().await;
}
