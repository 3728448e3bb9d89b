//! The raw argon2id verification rate of the server's parameters on every core, for comparing
//! the password login path with. Usage: `argon2_rate SECONDS`.

use std::time::{Duration, Instant};

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let phc = twilio_token_server::passwords::hash("correct horse battery");
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let counts: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0;
                    while Instant::now() < deadline {
                        assert!(twilio_token_server::passwords::verify(
                            "correct horse battery",
                            &phc
                        ));
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let total: u64 = counts.iter().sum();
    println!(
        "argon2id verifications: {:.1}/s on {threads} threads",
        total as f64 / seconds as f64
    );
}
