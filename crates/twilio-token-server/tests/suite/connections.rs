//! The listener's limits against hostile clients, in process ([`twilio_token_server::run`]):
//! slow and idle connections (slowloris) cannot crowd out other clients, a client that never
//! finishes its headers is cut off at the header deadline, oversized heads and bodies are
//! refused before they are read yet their answers still reach the client, and a refused
//! body's sender is read from for the linger time only. These servers set the deadline and
//! the linger time short, so that no test waits out the defaults.

use crate::support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use support::{client_from, config, raw, serve, store, until};

/// A server allowing `per_client` connections per address, `header_deadline` for headers
/// and `linger` for a lingering close.
async fn start(per_client: usize, header_deadline: Duration, linger: Duration) -> support::Server {
    let mut config = config(|s| s.max_connections_per_client = per_client);
    config.limits.header_timeout = header_deadline;
    config.limits.linger = linger;
    serve(config, store().await).await
}

/// The defaults of the limits these tests do not shorten.
const HEADER_DEADLINE: Duration = Duration::from_secs(5);
const LINGER: Duration = Duration::from_secs(3);

/// Whether the server has closed `stream` (an end of stream, or a reset), without waiting.
fn closed(mut stream: &TcpStream) -> bool {
    stream.set_nonblocking(true).unwrap();
    let closed = match stream.read(&mut [0u8; 64]) {
        Ok(n) => n == 0,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    };
    stream.set_nonblocking(false).unwrap();
    closed
}

/// How many of `streams` the server has closed.
fn count_closed(streams: &[TcpStream]) -> usize {
    streams.iter().filter(|s| closed(s)).count()
}

/// A connection that sends half a request's head and no more.
fn slow(to: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(to).unwrap();
    stream
        .write_all(b"POST /token HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    stream
}

/// The status of `GET /healthz` on a new connection from 127.0.0.1, and how long it took.
fn health(to: SocketAddr) -> (u16, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(to).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let status = String::from_utf8_lossy(&answer)
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, started.elapsed())
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_and_idle_connections_cannot_crowd_out_other_clients() {
    // A deadline long enough to tell the connections closed on arrival from those cut off.
    let deadline = Duration::from_secs(1);
    let server = start(20, deadline, LINGER).await;
    let to = server.address;
    let started = Instant::now();
    // A slowloris from 127.0.0.1: the first 20 connections, each with half a request, are
    // admitted.
    let held: Vec<TcpStream> = (0..20).map(|_| slow(to)).collect();
    // Past the cap, 180 more like them and 20 idle ones are closed on arrival. (In batches:
    // a burst faster than the server accepts would overflow the listen backlog, and the
    // kernel would make the client retry a second later.)
    for batch in 0..10 {
        let streams: Vec<TcpStream> = (0..20)
            .map(|_| match batch {
                9 => TcpStream::connect(to).unwrap(),
                _ => slow(to),
            })
            .collect();
        until(20, || std::future::ready(count_closed(&streams))).await;
    }
    assert_eq!(count_closed(&held), 0);
    assert!(
        started.elapsed() < deadline,
        "closed on arrival, not at the deadline"
    );
    // Another client (another loopback address) is served at once.
    let started = Instant::now();
    let other = client_from("127.0.0.2");
    let ok = other
        .get(format!("http://{to}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(1));
    // The slow ones are cut off at the deadline, freeing their slots for 127.0.0.1.
    until(20, || std::future::ready(count_closed(&held))).await;
    let (status, took) = health(to);
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(1), "{took:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_never_finishes_its_headers_is_cut_off_at_the_deadline() {
    let deadline = Duration::from_millis(300);
    let server = start(8, deadline, LINGER).await;
    let mut stream = TcpStream::connect(server.address).unwrap();
    stream
        .write_all(b"POST /token HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = stream.read_to_end(&mut Vec::new());
    let took = started.elapsed();
    assert!(
        took >= deadline / 2 && took < Duration::from_secs(3),
        "cut off after {took:?}"
    );
    // An idle connection, which sends nothing at all, is cut off too.
    let idle = TcpStream::connect(server.address).unwrap();
    until(true, || std::future::ready(closed(&idle))).await;
    server.stop().await;
}

/// Writes the whole of `request` before reading anything (as most HTTP libraries do), then
/// reads the answer: its status line and its body.
fn body_first(to: SocketAddr, request: &[u8]) -> Result<(String, String), std::io::Error> {
    let mut stream = TcpStream::connect(to)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.lines().next().unwrap_or_default().to_owned();
    let body = answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    Ok((status, body))
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_headers_and_bodies_are_refused_before_they_are_read() {
    let server = start(256, HEADER_DEADLINE, LINGER).await;
    let to = server.address;
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
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_sends_its_whole_body_first_still_reads_the_413() {
    let server = start(256, HEADER_DEADLINE, LINGER).await;
    let to = server.address;
    let body = vec![b'x'; 2 << 20];
    let mut request = format!(
        "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    for i in 0..20 {
        let (status, body) = body_first(to, &request).unwrap_or_else(|e| panic!("post {i}: {e}"));
        assert_eq!(status, "HTTP/1.1 413 Payload Too Large", "post {i}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"], "payload_too_large");
    }
    // The same for a head too large: 431, read after the whole head was sent.
    let head = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1 << 20)
    );
    for i in 0..20 {
        let (status, _) =
            body_first(to, head.as_bytes()).unwrap_or_else(|e| panic!("head {i}: {e}"));
        assert!(status.starts_with("HTTP/1.1 431"), "head {i}: {status}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expect_100_continue_is_refused_before_the_body_and_draining_is_bounded() {
    let linger = Duration::from_millis(500);
    let server = start(256, HEADER_DEADLINE, linger).await;
    let mut stream = TcpStream::connect(server.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\nExpect: 100-continue\r\n\r\n")
        .unwrap();
    // The refusal comes first, and no 100 Continue invites the body.
    let mut answer = [0u8; 4096];
    let n = stream.read(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(!answer.contains("100 Continue"), "{answer}");
    // A client that then trickles its body cannot hold the connection past the linger time.
    let answered = Instant::now();
    stream
        .set_write_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let held = loop {
        if stream.write_all(&[b'x'; 1024]).is_err() || answered.elapsed() > Duration::from_secs(10)
        {
            break answered.elapsed();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        held >= linger / 2,
        "closed after {held:?}, before the client could read"
    );
    assert!(held < linger + Duration::from_secs(2), "held for {held:?}");
    server.stop().await;
}
