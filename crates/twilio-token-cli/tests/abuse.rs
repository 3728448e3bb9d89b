//! Hostile clients against the real server: slow and idle connections (slowloris), oversized
//! headers and bodies, credential stuffing across many users, malformed UTF-8 and JSON in every
//! place a request carries text, and a check that no answer or log line ever holds a password,
//! the API key secret or a whole token.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

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

#[tokio::test(flavor = "multi_thread")]
async fn slow_and_idle_connections_cannot_crowd_out_other_clients() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--max-connections-per-client", "20"]);
    let to = address(&server);
    // A slowloris from 127.0.0.1: 200 connections, each with half a request, plus 20 idle ones.
    let mut held = Vec::new();
    for i in 0..220 {
        let mut stream = TcpStream::connect(to).unwrap();
        if i < 200 {
            let _ = stream.write_all(b"POST /token HTTP/1.1\r\nHost: x\r\nX-Slow: ");
        }
        held.push(stream);
    }
    // Beyond the first 20, the server closes them at once; the first 20 stay open.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let closed = held
        .iter_mut()
        .filter_map(|s| {
            s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
            // Closed: an end of stream, or a reset (the server did not read what was sent).
            let open = match s.read(&mut [0u8; 64]) {
                Ok(n) => n > 0,
                Err(e) => matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
            };
            (!open).then_some(())
        })
        .count();
    assert_eq!(
        closed, 200,
        "of 220 connections, 200 are over the cap of 20"
    );
    // Another client (another loopback address) is served at once.
    let other = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let started = Instant::now();
    let ok = other.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // Connections that send nothing at all, from yet another address.
    let mut idle = Vec::new();
    for _ in 0..5 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.4:0".parse().unwrap()).unwrap();
        idle.push(socket.connect(to).await.unwrap());
    }
    // The slow and the idle are cut off by the header deadline (5 s), freeing their slots.
    tokio::time::sleep(Duration::from_secs(6)).await;
    for stream in &mut idle {
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(
            Duration::from_millis(100),
            tokio::io::AsyncReadExt::read(stream, &mut buf),
        )
        .await;
        assert!(
            matches!(read, Ok(Ok(0)) | Ok(Err(_))),
            "an idle connection is still open: {read:?}"
        );
    }
    let started = Instant::now();
    assert_eq!(
        raw(
            to,
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        ),
        200
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    drop(held);
}

#[test]
fn oversized_headers_and_bodies_are_refused_before_they_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let to = address(&server);
    let big_header = format!(
        "POST /token HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    assert_eq!(raw(to, big_header.as_bytes()), 431);
    let many_headers: String = (0..2000).map(|i| format!("X-{i}: v\r\n")).collect();
    let status = raw(
        to,
        format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n").as_bytes(),
    );
    assert!(status == 431 || status == 0, "{status}");
    // A body declared at 1 GB is refused from its Content-Length, before a byte of it is sent.
    let started = Instant::now();
    let status = raw(
        to,
        b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{",
    );
    assert_eq!(status, 413);
    assert!(started.elapsed() < Duration::from_secs(2));
    // A chunked body that keeps coming is cut at the limit.
    let mut chunked = b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..64 {
        chunked.extend_from_slice(b"400\r\n");
        chunked.extend_from_slice(&[b' '; 0x400]);
        chunked.extend_from_slice(b"\r\n");
    }
    assert_eq!(raw(to, &chunked), 413);
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
