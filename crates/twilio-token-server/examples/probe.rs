//! A light latency probe: `GET /healthz` (or `/readyz`) every 20 ms over one keep-alive
//! connection for the given seconds, then prints `requests p50 p90 p99 max` in milliseconds.
//! Used by `scripts/loadtest.sh` to watch the server while another generator floods it.
//! Usage: `probe HOST:PORT SECONDS [healthz|readyz]`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let address = args.next().expect("HOST:PORT");
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let (path, body): (&str, &[u8]) = match args.next().as_deref() {
        Some("readyz") => ("/readyz", b"ready\n"),
        _ => ("/healthz", b"ok\n"),
    };
    let mut stream = TcpStream::connect(&address)?;
    stream.set_nodelay(true)?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut latencies = Vec::new();
    let mut buffer = [0u8; 1024];
    while Instant::now() < deadline {
        let started = Instant::now();
        stream.write_all(request.as_bytes())?;
        let mut response = Vec::new();
        // Headers, then the body.
        while !(response.windows(4).any(|w| w == b"\r\n\r\n") && response.ends_with(body)) {
            let n = stream.read(&mut buffer)?;
            if n == 0 {
                return Err(std::io::Error::other("connection closed"));
            }
            response.extend_from_slice(&buffer[..n]);
        }
        assert!(
            response.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&response)
        );
        latencies.push(started.elapsed());
        std::thread::sleep(Duration::from_millis(20));
    }
    latencies.sort();
    let at = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1000.0
    };
    println!(
        "{} {:.3} {:.3} {:.3} {:.3}",
        latencies.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
    Ok(())
}
