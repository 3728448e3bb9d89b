//! A session ends on a running server within its session cache's freshness when the user's
//! password changes or the user is disabled through another handle on the database, as
//! `twilio-token users` changes them. The server runs in process
//! ([`twilio_token_server::run`]) with a short freshness, so nothing waits out the default
//! second.

use crate::support;

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::json;
use support::{config, serve, store, until};
use twilio_token_server::passwords;
use twilio_token_server::store::Users;

#[tokio::test]
async fn a_password_change_or_a_disable_elsewhere_ends_sessions_within_the_freshness() {
    let store = store().await;
    let hash = passwords::hash("correct horse battery");
    store.add_user("alice", &hash, "user").await.unwrap();
    let mut config = config(|s| s.insecure_cookies = true);
    config.session_cache = Duration::from_millis(100);
    let server = serve(config, store.clone()).await;
    let url = format!("http://{}/token", server.address);
    let client = reqwest::Client::new();
    let login = |password: &'static str| {
        client
            .post(&url)
            .json(&json!({"username": "alice", "password": password}))
            .send()
    };
    let session = |answer: &reqwest::Response| {
        let cookie = answer.headers()[SET_COOKIE].to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    };
    let refresh = |cookie: String| {
        let request = client.post(&url).header(COOKIE, cookie);
        async move { request.send().await.unwrap().status() }
    };

    let answer = login("correct horse battery").await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let cookie = session(&answer);
    assert_eq!(refresh(cookie.clone()).await, StatusCode::OK);
    let new_hash = passwords::hash("new horse battery");
    assert!(store.set_password("alice", &new_hash).await.unwrap());
    until(StatusCode::UNAUTHORIZED, || refresh(cookie.clone())).await;
    let old = login("correct horse battery").await.unwrap();
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);

    let answer = login("new horse battery").await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let cookie = session(&answer);
    assert_eq!(refresh(cookie.clone()).await, StatusCode::OK);
    assert!(store.set_disabled("alice", true).await.unwrap());
    until(StatusCode::UNAUTHORIZED, || refresh(cookie.clone())).await;
    let disabled = login("new horse battery").await.unwrap();
    assert_eq!(disabled.status(), StatusCode::UNAUTHORIZED);
    server.stop().await;
}
