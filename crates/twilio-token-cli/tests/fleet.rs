//! A fleet: three `twilio-token serve` on 127.0.0.1, 127.0.0.2 and 127.0.0.3 over one
//! PostgreSQL server of the test's own, under a steady load of session refreshes from a client
//! that sends only to the instances it takes to be up, as a load balancer does. An instance
//! killed with SIGKILL, the database stopped for five seconds, and a rolling restart.
//!
//! Runs in scripts/test.sh's PostgreSQL pass (`TWILIO_TOKEN_TEST_POSTGRES`).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use common::{ACCOUNT, KEY, SECRET, bin};

/// One instance: its process and address.
struct Instance {
    server: common::Server,
}

fn start(host: &str, url: &str) -> Instance {
    let mut command = Command::new(bin());
    command
        .args([
            "serve",
            "--bind",
            &format!("{host}:0"),
            "--database-url",
            url,
        ])
        .args(["--drain-seconds", "1"])
        .env("TWILIO_ACCOUNT_SID", ACCOUNT)
        .env("TWILIO_API_KEY_SID", KEY)
        .env("TWILIO_API_KEY_SECRET", SECRET)
        .stderr(Stdio::null());
    Instance {
        server: common::Server::spawn(command),
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

async fn ready(url: &str) -> bool {
    let response = client().get(format!("{url}/readyz")).send().await;
    response.is_ok_and(|r| r.status() == StatusCode::OK)
}

async fn wait_ready(url: &str) {
    let started = Instant::now();
    while !ready(url).await {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{url} never ready"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What the load saw: each request's time, instance and outcome (a status, or 0 for a request
/// that got no answer).
#[derive(Default)]
struct Seen(Mutex<Vec<(Instant, String, u16)>>);

/// The instances the client sends to: those it takes to be up.
#[derive(Default)]
struct Pool(Mutex<Vec<String>>);

impl Pool {
    fn set(&self, urls: Vec<String>) {
        *self.0.lock().unwrap() = urls;
    }
}

/// Refreshes with `cookies`, round robin over `pool`, until `stop`; every answer into `seen`.
fn load(
    pool: Arc<Pool>,
    cookies: Arc<Vec<String>>,
    seen: Arc<Seen>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let c = client();
        let mut n = 0usize;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            n += 1;
            let url = {
                let urls = pool.0.lock().unwrap();
                if urls.is_empty() {
                    None
                } else {
                    Some(urls[n % urls.len()].clone())
                }
            };
            let Some(url) = url else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let cookie = &cookies[n % cookies.len()];
            let status = match c
                .post(format!("{url}/token"))
                .header("cookie", cookie)
                .send()
                .await
            {
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            };
            seen.0.lock().unwrap().push((Instant::now(), url, status));
        }
    })
}

fn add_user(url: &str, name: &str) {
    let mut child = Command::new(bin())
        .args([
            "users",
            "add",
            name,
            "--password-stdin",
            "--database-url",
            url,
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse battery\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it in its PostgreSQL pass"]
async fn a_fleet_survives_a_killed_instance_a_database_outage_and_a_rolling_restart() {
    common::require_postgres();
    let pg = tempfile::tempdir().unwrap();
    let server = common::postgres_script("start", pg.path());
    assert!(
        common::psql(&format!("{server}/postgres"), "CREATE DATABASE fleet")
            .status
            .success()
    );
    let url = format!("{server}/fleet");
    let hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];
    let mut fleet: Vec<Instance> = hosts.iter().map(|h| start(h, &url)).collect();
    for instance in &fleet {
        wait_ready(&instance.server.url).await;
    }
    let mut cookies = Vec::new();
    for (i, name) in ["alice", "bob", "carol"].iter().enumerate() {
        add_user(&url, name);
        // Each session made on another instance.
        let response = client()
            .post(format!("{}/token", fleet[i].server.url))
            .json(&json!({"username": name, "password": "correct horse battery"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let set = response.headers()["set-cookie"].to_str().unwrap();
        cookies.push(set.split(';').next().unwrap().to_owned());
    }
    let cookies = Arc::new(cookies);
    let pool = Arc::new(Pool::default());
    pool.set(fleet.iter().map(|i| i.server.url.clone()).collect());
    let seen = Arc::new(Seen::default());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let running = load(
        Arc::clone(&pool),
        Arc::clone(&cookies),
        Arc::clone(&seen),
        Arc::clone(&stop),
    );

    // 1. SIGKILL one instance under load. The client drops it once a request to it fails, as
    // a load balancer does; from a second after the kill, no request fails.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let killed_url = fleet[2].server.url.clone();
    fleet[2].server.child.kill().unwrap();
    let killed_at = Instant::now();
    tokio::time::sleep(Duration::from_millis(200)).await;
    pool.set(fleet[..2].iter().map(|i| i.server.url.clone()).collect());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    {
        let seen = seen.0.lock().unwrap();
        let after = seen
            .iter()
            .filter(|(t, _, _)| *t > killed_at + Duration::from_secs(1));
        let failed: Vec<_> = after.clone().filter(|(_, _, s)| *s != 200).collect();
        assert!(after.count() > 50, "the load kept going");
        assert!(failed.is_empty(), "failed after the kill: {failed:?}");
    }
    // Every session made before the kill refreshes on the survivors.
    for instance in &fleet[..2] {
        for cookie in cookies.iter() {
            let r = client()
                .post(format!("{}/token", instance.server.url))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        }
    }
    assert!(!killed_url.is_empty());

    // 2. The database stopped for five seconds under load: 503s, never a 500 nor a dropped
    // request, and the fleet recovers by itself.
    let before = seen.0.lock().unwrap().len();
    common::postgres_script("stop", pg.path());
    tokio::time::sleep(Duration::from_secs(5)).await;
    common::postgres_script("resume", pg.path());
    let resumed = Instant::now();
    let mut recovered = false;
    while resumed.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let seen = seen.0.lock().unwrap();
        let last: Vec<_> = seen.iter().rev().take(20).collect();
        if last.len() == 20 && last.iter().all(|(t, _, s)| *s == 200 && *t > resumed) {
            recovered = true;
            break;
        }
    }
    assert!(recovered, "the fleet did not recover");
    {
        let seen = seen.0.lock().unwrap();
        let outage = &seen[before..];
        let unavailable = outage.iter().filter(|(_, _, s)| *s == 503).count();
        let other: Vec<_> = outage
            .iter()
            .filter(|(_, _, s)| ![200, 503].contains(s))
            .collect();
        assert!(unavailable > 0, "the outage was not seen");
        assert!(other.is_empty(), "during the outage: {other:?}");
    }

    // 3. A rolling restart under load: one instance at a time is told to stop (SIGTERM), a
    // new one started in its place; the client sends only to instances whose /readyz is 200.
    // No request fails.
    let before = seen.0.lock().unwrap().len();
    fleet[2] = start(hosts[2], &url);
    wait_ready(&fleet[2].server.url).await;
    let watch_stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let urls = Arc::new(Mutex::new(
        fleet
            .iter()
            .map(|i| i.server.url.clone())
            .collect::<Vec<_>>(),
    ));
    let watcher = {
        let (pool, urls, watch_stop) = (
            Arc::clone(&pool),
            Arc::clone(&urls),
            Arc::clone(&watch_stop),
        );
        tokio::spawn(async move {
            while !watch_stop.load(std::sync::atomic::Ordering::Relaxed) {
                let candidates = urls.lock().unwrap().clone();
                let mut up = Vec::new();
                for url in candidates {
                    if ready(&url).await {
                        up.push(url);
                    }
                }
                pool.set(up);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    for i in 0..3 {
        let old = &fleet[i];
        assert!(
            Command::new("kill")
                .args(["-TERM", &old.server.child.id().to_string()])
                .status()
                .unwrap()
                .success()
        );
        let replacement = start(hosts[i], &url);
        wait_ready(&replacement.server.url).await;
        urls.lock().unwrap().push(replacement.server.url.clone());
        let mut old = std::mem::replace(&mut fleet[i], replacement);
        let status = tokio::task::spawn_blocking(move || old.server.child.wait().unwrap())
            .await
            .unwrap();
        assert!(status.success(), "{status:?}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    watch_stop.store(true, std::sync::atomic::Ordering::Relaxed);
    running.await.unwrap();
    watcher.await.unwrap();
    let seen = seen.0.lock().unwrap();
    let rolling = &seen[before..];
    let failed: Vec<_> = rolling.iter().filter(|(_, _, s)| *s != 200).collect();
    assert!(
        rolling.len() > 100,
        "the load kept going: {}",
        rolling.len()
    );
    assert!(
        failed.is_empty(),
        "failed during the rolling restart: {failed:?}"
    );
    println!(
        "fleet: {} requests in all; {} during the rolling restart, none failed",
        seen.len(),
        rolling.len()
    );
    drop(seen);
    common::postgres_script("stop", pg.path());
}
