//! Issue #23: the in-memory login limiter (the SQLite store's) filled past its bound, while an
//! address over its limit floods the server with new names, keeps `/healthz` and a real login
//! near their idle latency. Both are measured in this run, idle and then under the flood, and
//! compared as ratios. (The SQLite store's limiter alone: on PostgreSQL the counts are the
//! database's.)

use crate::support;

use support::client_from;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use twilio_token_server::store::attempts::DEFAULT_CAPACITY;
use twilio_token_server::store::{Attempts, Limit, OpenOptions, Users};
use twilio_token_server::{Store, passwords};

const PASSWORD: &str = "correct horse";

/// The median of `runs` timings of `request`.
async fn median<F: Future<Output = reqwest::StatusCode>>(
    runs: usize,
    mut request: impl FnMut() -> F,
) -> Duration {
    let mut took = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        assert_eq!(request().await, reqwest::StatusCode::OK);
        took.push(started.elapsed());
    }
    took.sort();
    took[runs / 2]
}

async fn guess(client: &reqwest::Client, url: &str, name: &str) -> reqwest::StatusCode {
    let body = serde_json::json!({"username": format!("{name}\u{0}"), "password": "x"});
    let response = client.post(format!("{url}/token")).json(&body).send().await;
    response.unwrap().status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_limiter_keeps_healthz_and_logins_at_their_idle_latency() {
    let config = support::config(|_| {});
    let per_address = config.login_limits.per_address.failures;
    let store = Store::open("sqlite::memory:", OpenOptions::default())
        .await
        .unwrap();
    store
        .add_user("alice", &passwords::hash(PASSWORD), "user")
        .await
        .unwrap();
    let server = support::serve(config, store.clone()).await;
    let url = format!("http://{}", server.address);

    let probe = client_from("127.0.0.200");
    let healthz = || async {
        probe
            .get(format!("{url}/healthz"))
            .send()
            .await
            .unwrap()
            .status()
    };
    let user = client_from("127.0.0.201");
    let login = || async {
        let body = serde_json::json!({"username": "alice", "password": PASSWORD});
        let response = user.post(format!("{url}/token")).json(&body).send().await;
        response.unwrap().status()
    };
    median(10, healthz).await; // warm-up: connections, the hashing thread's buffer
    median(2, login).await;
    let idle = (median(41, healthz).await, median(5, login).await);

    // Past its bound, every key recent: the limiter must evict to take any new one.
    let limit = Limit {
        failures: 5,
        window: Duration::from_secs(900),
    };
    for i in 0..DEFAULT_CAPACITY + 10_000 {
        let counted = store
            .reserve_attempt(&format!("user:filler{i}"), limit)
            .await;
        assert_eq!(counted.unwrap(), None);
    }
    // One address over its limit...
    let attacker = client_from("127.0.0.2");
    for i in 0..per_address {
        assert_eq!(guess(&attacker, &url, &format!("x{i}")).await, 401);
    }
    assert_eq!(guess(&attacker, &url, "one-more").await, 429);

    // ...floods the server with new names, beside addresses under their limit whose new names
    // the full limiter must take: each sends its limit's worth, then the next address does.
    let flooding = Arc::new(AtomicBool::new(true));
    let sent = Arc::new(AtomicUsize::new(0));
    let mut flood = Vec::new();
    for task in 0..4u8 {
        let url = url.clone();
        let (flooding, sent) = (Arc::clone(&flooding), Arc::clone(&sent));
        flood.push(tokio::spawn(async move {
            let over_limit = client_from("127.0.0.2");
            for i in 0.. {
                let client = match task {
                    0 => over_limit.clone(),
                    _ => client_from(&format!("127.{task}.{}.{}", i / 250 % 250, i % 250 + 1)),
                };
                for j in 0..per_address {
                    if !flooding.load(Ordering::Relaxed) {
                        return;
                    }
                    let status = guess(&client, &url, &format!("fresh-{task}-{i}-{j}")).await;
                    assert!(status == 401 || status == 429, "{status}");
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let flooded = (median(41, healthz).await, median(5, login).await);
    flooding.store(false, Ordering::Relaxed);
    for task in flood {
        task.await.unwrap();
    }
    let sent = sent.load(Ordering::Relaxed);
    let ratio = |flooded: Duration, idle: Duration| flooded.as_secs_f64() / idle.as_secs_f64();
    let (healthz_ratio, login_ratio) = (ratio(flooded.0, idle.0), ratio(flooded.1, idle.1));
    eprintln!(
        "healthz {:?} idle, {:?} flooded ({healthz_ratio:.1}x); login {:?} idle, {:?} flooded \
         ({login_ratio:.1}x); {sent} flood requests",
        idle.0, flooded.0, idle.1, flooded.1
    );
    assert!(sent >= 200, "the flood ran: {sent} requests");
    // The flood shares the machine's cores with the probes, so some slowing is the machine's;
    // a limiter that scanned its keys under its lock once full took healthz past this bound.
    assert!(
        healthz_ratio < 8.0,
        "healthz {healthz_ratio:.1}x its idle latency"
    );
    assert!(
        login_ratio < 4.0,
        "a login {login_ratio:.1}x its idle latency"
    );

    // The limits still hold: the flooding address is refused, another is served.
    assert_eq!(guess(&attacker, &url, "after").await, 429);
    assert_eq!(login().await, 200);
    server.stop().await;
}
