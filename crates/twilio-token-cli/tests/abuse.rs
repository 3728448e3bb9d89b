//! Hostile clients against the real server: guesses sent at once, credential stuffing across
//! many users, malformed UTF-8 and JSON in every place a request carries text, and a check
//! that no answer or log line ever holds a password, the API key secret or a whole token.
//! (The listener's limits, against slow, idle and oversized requests, are the server crate's
//! `connections` tests, in process.)

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::SECRET;

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

/// A raw request on a new connection: the status code of the answer (0 if the server closed
/// the connection without one).
fn raw(address: SocketAddr, request: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// A client that sends from `address` (any of 127.0.0.0/8).
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// A counter's value in the server's `/metrics`.
async fn counter(server: &common::Server, name: &str) -> u64 {
    let text = reqwest::get(server.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} not in {text}"))
}

/// Logins for `users` sent all at once from `client`: the status of each, with its
/// `Retry-After` when it has one.
async fn logins_at_once(
    server: &common::Server,
    client: &reqwest::Client,
    users: impl Iterator<Item = String>,
    password: &str,
) -> Vec<(StatusCode, Option<u64>)> {
    let requests = users.map(|user| {
        client
            .post(server.url("/token"))
            .json(&json!({"username": user, "password": password}))
            .send()
    });
    futures_join_all(requests)
        .await
        .into_iter()
        .map(|response| {
            let response = response.unwrap();
            let retry = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse().unwrap());
            (response.status(), retry)
        })
        .collect()
}

/// Runs the futures at once (each on its own task), in order.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

const CHECKS: &str = "twilio_token_password_checks_total";

#[tokio::test(flavor = "multi_thread")]
async fn guesses_sent_at_once_reach_the_password_check_at_most_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), "alice");
    add_user(dir.path(), "bob");
    let server = start(dir.path(), &[]);
    let attacker = client_from("127.0.0.1");
    let guesses = (0..50).map(|_| "alice".to_owned());
    let answers = logins_at_once(&server, &attacker, guesses, "guess").await;
    let refused = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::UNAUTHORIZED)
        .count();
    let checks = counter(&server, CHECKS).await;
    assert!(checks <= 5, "{checks} guesses reached the hash");
    assert_eq!(refused as u64, checks, "{answers:?}");
    for (status, retry) in &answers {
        if *status != StatusCode::UNAUTHORIZED {
            assert_eq!(*status, StatusCode::TOO_MANY_REQUESTS, "{answers:?}");
            assert!(retry.is_some_and(|s| (1..=900).contains(&s)), "{answers:?}");
        }
    }
    // Locked: the right password waits too, and is not hashed.
    let right = logins_at_once(
        &server,
        &attacker,
        ["alice".to_owned()].into_iter(),
        PASSWORD,
    );
    assert_eq!(right.await[0].0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(counter(&server, CHECKS).await, checks);
    // Another user from another address logs in.
    let from = client_from("127.0.0.2");
    let bob = logins_at_once(&server, &from, ["bob".to_owned()].into_iter(), PASSWORD);
    assert_eq!(bob.await[0].0, StatusCode::OK);

    // The per-address limit (50) holds the same way: 80 names guessed at once from one address.
    let before = counter(&server, CHECKS).await;
    let names = (0..80).map(|i| format!("user{i}"));
    let answers = logins_at_once(&server, &client_from("127.0.0.3"), names, "123456").await;
    let hashed = counter(&server, CHECKS).await - before;
    assert!(
        hashed <= 50,
        "{hashed} guesses from one address reached the hash"
    );
    let limited = answers
        .iter()
        .filter(|(status, retry)| *status == StatusCode::TOO_MANY_REQUESTS && retry.is_some())
        .count();
    assert_eq!(limited as u64, 80 - hashed, "{answers:?}");
    // Bob, from an address of his own, is not locked out by it.
    let from = client_from("127.0.0.4");
    let bob = logins_at_once(&server, &from, ["bob".to_owned()].into_iter(), PASSWORD);
    assert_eq!(bob.await[0].0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn credential_stuffing_across_many_users_is_limited_per_address() {
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), "victim");
    let server = start(dir.path(), &[]);
    let client = reqwest::Client::new();
    let login = |user: String, password: &'static str| {
        client
            .post(server.url("/token"))
            .json(&json!({"username": user, "password": password}))
            .send()
    };
    // One wrong guess for each of 50 names (real or not): each is a plain 401...
    for i in 0..50 {
        let status = login(format!("user{i}"), "123456").await.unwrap().status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    // ...then the address is limited, whatever the name, even with the right password.
    for user in ["user51", "victim"] {
        let response = login(user.into(), PASSWORD).await.unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{user}");
        assert!(response.headers().contains_key("retry-after"));
    }
    // Another address still logs in.
    let other = reqwest::Client::builder()
        .local_address("127.0.0.3".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let ok = other
        .post(server.url("/token"))
        .json(&json!({"username": "victim", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
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
