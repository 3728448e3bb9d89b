//! Hostile logins against a server running in process ([`twilio_token_server::run`] on a
//! loopback port): guesses sent all at once at one user, and credential stuffing across many
//! users from one address. Each reaches the password hash at most as often as its limit says,
//! and nobody else is locked out by it. On both backends: on PostgreSQL the counts are the
//! database's.

use crate::support;

use reqwest::StatusCode;
use serde_json::json;
use support::{client_from, config, serve, store};
use twilio_token_server::passwords;
use twilio_token_server::store::Users;

const PASSWORD: &str = "stuffing resistant password";
const CHECKS: &str = "twilio_token_password_checks_total";

/// A server whose store holds each of `users` with [`PASSWORD`].
async fn start(users: &[&str]) -> (support::Server, String) {
    let store = store().await;
    let hash = passwords::hash(PASSWORD);
    for name in users {
        store.add_user(name, &hash, "user").await.unwrap();
    }
    let server = serve(config(|_| {}), store).await;
    let url = format!("http://{}", server.address);
    (server, url)
}

/// A counter's value in the server's `/metrics`.
async fn counter(url: &str, name: &str) -> u64 {
    let text = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} not in {text}"))
}

/// Logins for `users` sent all at once from `client`, each on its own task: the status of
/// each, with its `Retry-After` when it has one.
async fn logins_at_once(
    url: &str,
    client: &reqwest::Client,
    users: impl Iterator<Item = String>,
    password: &str,
) -> Vec<(StatusCode, Option<u64>)> {
    let tasks: Vec<_> = users
        .map(|user| {
            let request = client
                .post(format!("{url}/token"))
                .json(&json!({"username": user, "password": password}));
            tokio::spawn(request.send())
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        let response = task.await.unwrap().unwrap();
        let retry = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().parse().unwrap());
        answers.push((response.status(), retry));
    }
    answers
}

/// One login from `from`: its status and `Retry-After`.
async fn login_from(
    url: &str,
    from: &str,
    user: &str,
    password: &str,
) -> (StatusCode, Option<u64>) {
    let client = client_from(from);
    logins_at_once(url, &client, [user.to_owned()].into_iter(), password).await[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guesses_sent_at_once_reach_the_password_check_at_most_the_limit() {
    let (server, url) = start(&["alice", "bob"]).await;
    let attacker = client_from("127.0.0.1");
    let guesses = (0..50).map(|_| "alice".to_owned());
    let answers = logins_at_once(&url, &attacker, guesses, "guess").await;
    let refused = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::UNAUTHORIZED)
        .count();
    let checks = counter(&url, CHECKS).await;
    assert!(checks <= 5, "{checks} guesses reached the hash");
    assert_eq!(refused as u64, checks, "{answers:?}");
    for (status, retry) in &answers {
        if *status != StatusCode::UNAUTHORIZED {
            assert_eq!(*status, StatusCode::TOO_MANY_REQUESTS, "{answers:?}");
            assert!(retry.is_some_and(|s| (1..=900).contains(&s)), "{answers:?}");
        }
    }
    // Locked: the right password waits too, and is not hashed.
    let (right, _) = login_from(&url, "127.0.0.1", "alice", PASSWORD).await;
    assert_eq!(right, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(counter(&url, CHECKS).await, checks);
    // Another user from another address logs in.
    let (bob, _) = login_from(&url, "127.0.0.2", "bob", PASSWORD).await;
    assert_eq!(bob, StatusCode::OK);

    // The per-address limit (50) holds the same way: 80 names guessed at once from one address.
    let before = counter(&url, CHECKS).await;
    let names = (0..80).map(|i| format!("user{i}"));
    let answers = logins_at_once(&url, &client_from("127.0.0.3"), names, "123456").await;
    let hashed = counter(&url, CHECKS).await - before;
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
    let (bob, _) = login_from(&url, "127.0.0.4", "bob", PASSWORD).await;
    assert_eq!(bob, StatusCode::OK);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_stuffing_across_many_users_is_limited_per_address() {
    let (server, url) = start(&["victim"]).await;
    // One wrong guess for each of 50 names (real or not): each is a plain 401...
    for i in 0..50 {
        let (status, _) = login_from(&url, "127.0.0.1", &format!("user{i}"), "123456").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    // ...then the address is limited, whatever the name, even with the right password.
    for user in ["user51", "victim"] {
        let (status, retry) = login_from(&url, "127.0.0.1", user, PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{user}");
        assert!(retry.is_some(), "{user}");
    }
    // Another address still logs in.
    let (other, _) = login_from(&url, "127.0.0.3", "victim", PASSWORD).await;
    assert_eq!(other, StatusCode::OK);
    server.stop().await;
}
