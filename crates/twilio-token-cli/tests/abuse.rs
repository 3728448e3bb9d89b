//! Hostile clients against the binary: malformed UTF-8 and JSON in every place a request
//! carries text, and a check that no answer or line of the binary's log ever holds a password,
//! the API key secret or a whole token. (Guesses sent at once and credential stuffing are the
//! server crate's `guesses` tests, and the listener's limits its `connections` tests, both in
//! process.)

mod common;

use std::net::SocketAddr;
use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{SECRET, raw};

const PASSWORD: &str = "stuffing resistant password";

fn add_user(dir: &Path, name: &str) {
    common::add_user(dir, name, PASSWORD, "user");
}

fn start(dir: &Path, extra: &[&str]) -> common::Server {
    let mut command = common::serve_command(dir);
    command
        .args(extra)
        .env("RUST_LOG", "debug")
        .stderr(std::fs::File::create(dir.join("server.log")).unwrap());
    common::Server::spawn(command)
}

fn address(server: &common::Server) -> SocketAddr {
    server.url.strip_prefix("http://").unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_text_anywhere_is_a_4xx_and_nothing_secret_is_echoed_or_logged() {
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), "alice");
    let server = start(dir.path(), &[]);
    let to = address(&server);
    let client = reqwest::Client::new();

    // A real login first: its token must not reach the log either.
    let ok = client
        .post(server.url("/token"))
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let token = ok.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let bodies: Vec<(&str, Vec<u8>)> = vec![
        (
            "application/json",
            b"{\"username\":\"alice\",\"password\":\"\xff\xfe\"}".to_vec(),
        ),
        (
            "application/json",
            b"{\"username\":\"\xc3\x28\",\"password\":\"x\"}".to_vec(),
        ),
        (
            "application/json",
            format!("{{\"username\":\"alice\",\"password\":\"{PASSWORD}\"").into_bytes(),
        ),
        (
            "application/json",
            format!("{{\"username\":[\"{PASSWORD}\"]}}").into_bytes(),
        ),
        (
            "application/json",
            b"{\"username\":\"alice\",\"password\":\"\\ud800\"}".to_vec(),
        ),
        ("application/json", "[".repeat(3000).into_bytes()),
        ("application/json", b"\xef\xbb\xbf{}".to_vec()),
        (
            "application/x-www-form-urlencoded",
            b"username=%ff%fe&password=%c3%28".to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"username=alice&password=\xff".to_vec(),
        ),
        ("text/plain; charset=latin-1", b"x\xff".to_vec()),
    ];
    for (content_type, body) in &bodies {
        let mut request = format!(
            "POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(b"Content-Type: ");
        request.extend_from_slice(content_type.as_bytes());
        request.extend_from_slice(b"\r\n\r\n");
        request.extend_from_slice(body);
        let status = raw(to, &request);
        assert!(
            (400..500).contains(&status),
            "{content_type}: {status} for {:?}",
            String::from_utf8_lossy(body)
        );
    }
    for header in [
        b"Authorization: Basic \xff\xfe".to_vec(),
        format!(
            "Authorization: Basic {}",
            base64_std(&format!("alice:{PASSWORD}\u{0}x"))
        )
        .into_bytes(),
        b"Authorization: Basic YWxpY2U6\xc3\x28".to_vec(),
        b"Authorization: Bearer \xff.\xfe.\xfd".to_vec(),
        format!("Authorization: Bearer {token}").into_bytes(),
        b"Cookie: __Host-twilio-token-session=\xff\xfe".to_vec(),
        b"Cookie: __Host-twilio-token-session=a.b.c; __Host-twilio-token-session=d".to_vec(),
    ] {
        let mut request = b"POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".to_vec();
        request.extend_from_slice(&header);
        request.extend_from_slice(b"\r\n\r\n");
        let status = raw(to, &request);
        assert!(
            (400..500).contains(&status),
            "{status} for {:?}",
            String::from_utf8_lossy(&header)
        );
    }
    // Every answer so far was checked for its status; now the bodies, through reqwest.
    for (content_type, body) in bodies {
        let text = client
            .post(server.url("/token"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!text.contains(PASSWORD) && !text.contains(SECRET), "{text}");
    }
    drop(server);
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(log.contains("login"), "the log was written");
    for secret in [PASSWORD, SECRET, &token, token.rsplit('.').next().unwrap()] {
        assert!(!log.contains(secret), "the log holds {secret:?}");
    }
    assert!(!log.contains("panicked"));
}

fn base64_std(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
