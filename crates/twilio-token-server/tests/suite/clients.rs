//! Issue #23: who a request is from, as the login limits see it. Behind a real proxy (nginx)
//! one client's failed logins never lock out another; a client that is not a trusted proxy
//! cannot choose its address with `X-Forwarded-For`; an IPv6 client counts by its /64. The
//! server runs in process ([`twilio_token_server::run`]) on a loopback port, on the store under
//! test.

use crate::support;

use support::client_from;

use std::net::{IpAddr, SocketAddr};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use twilio_token_server::store::Limit;
use twilio_token_server::store::Users;
use twilio_token_server::{Config, passwords};

const PASSWORD: &str = "correct horse";
/// Failures an address may have in a window, low so that the tests reach it quickly.
const PER_ADDRESS: usize = 8;

/// The server for `config` (its address limit lowered to [`PER_ADDRESS`]) with the user alice,
/// listening on 127.0.0.1.
async fn start(mut config: Config) -> support::Server {
    config.login_limits.per_address = Limit {
        failures: PER_ADDRESS,
        window: Duration::from_secs(900),
    };
    let store = support::store().await;
    store
        .add_user("alice", &passwords::hash(PASSWORD), "user")
        .await
        .unwrap();
    support::serve(config, store).await
}

/// `POST url/token` with `name` and `password`, and `X-Forwarded-For: forwarded` if given:
/// the status.
async fn login(
    client: &reqwest::Client,
    url: &str,
    name: &str,
    password: &str,
    forwarded: Option<&str>,
) -> StatusCode {
    let mut request = client
        .post(format!("{url}/token"))
        .json(&serde_json::json!({"username": name, "password": password}));
    if let Some(forwarded) = forwarded {
        request = request.header("x-forwarded-for", forwarded);
    }
    let status = request.send().await.unwrap().status();
    StatusCode::from_u16(status.as_u16()).unwrap()
}

/// Fails logins for made-up names from `client` until its address is refused: how many
/// failed first. Names with a NUL count as failures without being hashed.
async fn lock_out(
    client: &reqwest::Client,
    url: &str,
    forwarded: impl Fn(usize) -> Option<String>,
) -> usize {
    for i in 0..=PER_ADDRESS {
        let name = format!("nobody{i}\u{0}");
        match login(client, url, &name, "wrong", forwarded(i).as_deref()).await {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => return i,
            other => panic!("{other}"),
        }
    }
    panic!("never refused after {PER_ADDRESS} failures");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_is_not_a_trusted_proxy_cannot_choose_its_address() {
    // 127.0.0.9 is trusted; the attacker's 127.0.0.4 is not.
    let server = start(support::config(|s| {
        s.trusted_proxies = Some("127.0.0.9".into());
    }))
    .await;
    let url = format!("http://{}", server.address);
    let attacker = client_from("127.0.0.4");
    let failed = lock_out(&attacker, &url, |i| Some(format!("203.0.113.{i}"))).await;
    assert_eq!(
        failed, PER_ADDRESS,
        "each claimed address counted as its own"
    );
    let right = login(&attacker, &url, "alice", PASSWORD, Some("198.51.100.1")).await;
    assert_eq!(right, StatusCode::TOO_MANY_REQUESTS);
    // Another address is not locked out.
    let other = client_from("127.0.0.5");
    assert_eq!(
        login(&other, &url, "alice", PASSWORD, None).await,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_trusted_proxy_says_a_request_came_over_https() {
    let server = start(support::config(|s| {
        s.trusted_proxies = Some("127.0.0.9".into());
    }))
    .await;
    let url = format!("http://{}/token", server.address);
    let host = server.address.to_string();
    // A browser's login from the page at `origin`, through `from`, which says the client
    // used https.
    let login_from = |from: &str, origin: String| {
        client_from(from)
            .post(&url)
            .header("origin", origin)
            .header("x-forwarded-proto", "https")
            .json(&serde_json::json!({"username": "alice", "password": PASSWORD}))
            .send()
    };
    let status = |r: reqwest::Response| r.status().as_u16();
    let https = format!("https://{host}");
    let http = format!("http://{host}");
    assert_eq!(
        status(login_from("127.0.0.9", https.clone()).await.unwrap()),
        200
    );
    assert_eq!(
        status(login_from("127.0.0.9", http.clone()).await.unwrap()),
        403
    );
    // Anyone else's connection is plain http, whatever it says.
    assert_eq!(status(login_from("127.0.0.4", https).await.unwrap()), 403);
    assert_eq!(status(login_from("127.0.0.4", http).await.unwrap()), 200);
}

#[tokio::test]
async fn an_ipv6_client_counts_by_its_64() {
    let config = support::config(|_| {});
    let mut limited = config.clone();
    limited.login_limits.per_address = Limit {
        failures: PER_ADDRESS,
        window: Duration::from_secs(900),
    };
    let store = support::store().await;
    let state = std::sync::Arc::new(
        twilio_token_server::app::AppState::new(&limited, store)
            .await
            .unwrap(),
    );
    let app = twilio_token_server::app::router(state, &limited);
    let guess = |i: usize| {
        let body = format!(r#"{{"username": "nobody{i}\u0000", "password": "x"}}"#);
        support::post(&[], "application/json", &body)
    };
    for i in 0..PER_ADDRESS {
        let from: IpAddr = format!("2001:db8:0:1::{:x}", i + 1).parse().unwrap();
        let answer = support::send_from(&app, guess(i), from).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.json);
    }
    let same_64: IpAddr = "2001:db8:0:1:ffff::1".parse().unwrap();
    let answer = support::send_from(&app, guess(99), same_64).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    let next_64: IpAddr = "2001:db8:0:2::1".parse().unwrap();
    let answer = support::send_from(&app, guess(99), next_64).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

/// nginx on 127.0.0.10, in front of `upstream`, appending the client's address to
/// `X-Forwarded-For` as the usual configuration does; stopped when dropped.
struct Nginx {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(upstream: SocketAddr) -> Nginx {
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect(
                "nginx is not installed: scripts/test.sh installs it (apt-get install nginx-light)",
            );
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.10:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let d = dir.path().display();
        let conf = format!(
            "daemon off; master_process off; worker_processes 1; pid {d}/nginx.pid;
             error_log {d}/error.log;
             events {{ worker_connections 64; }}
             http {{
               access_log off;
               client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;
               fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
               server {{
                 listen 127.0.0.10:{port};
                 location / {{
                   proxy_pass http://{upstream};
                   proxy_set_header Host $host;
                   proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                 }}
               }}
             }}"
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let child = Command::new(nginx)
            .args(["-e", "stderr", "-p"])
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .spawn()
            .unwrap();
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.10", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nginx did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Nginx {
            child,
            url: format!("http://127.0.0.10:{port}"),
            _dir: dir,
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs nginx; scripts/test.sh installs it and runs this test with --ignored"]
async fn behind_nginx_one_clients_failures_never_lock_out_another() {
    // The server trusts the proxy's address alone.
    let server = start(support::config(|s| {
        s.trusted_proxies = Some("127.0.0.1".into());
    }))
    .await;
    let nginx = Nginx::start(server.address);
    let attacker = client_from("127.0.0.2");
    let victim = client_from("127.0.0.3");
    // Sent through the proxy, what the attacker writes in the header stands left of what
    // nginx appends: it cannot pass for the victim.
    let forged = |_| Some("127.0.0.3".to_owned());
    assert_eq!(lock_out(&attacker, &nginx.url, forged).await, PER_ADDRESS);
    assert_eq!(
        login(&attacker, &nginx.url, "alice", PASSWORD, None).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    for _ in 0..3 {
        assert_eq!(
            login(&victim, &nginx.url, "alice", PASSWORD, None).await,
            StatusCode::OK
        );
    }
    // A third client through the same proxy has its own count too.
    let third = client_from("127.0.0.4");
    assert_eq!(
        lock_out(&third, &nginx.url, |_| None).await,
        PER_ADDRESS,
        "the attacker's failures were not the third client's"
    );
}
