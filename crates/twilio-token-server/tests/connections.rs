//! The listener's limits against hostile clients, in process ([`twilio_token_server::run`]):
//! slow and idle connections (slowloris) cannot crowd out other clients, and a client that
//! never finishes its headers is cut off at the header deadline, which these servers set short
//! so that no test waits out the default five seconds.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use support::{client_from, config, serve, store, until};

/// A server allowing `per_client` connections per address and `header_deadline` for headers.
async fn start(per_client: usize, header_deadline: Duration) -> support::Server {
    let mut config = config(|s| s.max_connections_per_client = per_client);
    config.limits.header_timeout = header_deadline;
    serve(config, store().await).await
}

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
    let server = start(20, deadline).await;
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
    let server = start(8, deadline).await;
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
