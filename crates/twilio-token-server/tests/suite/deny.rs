//! The deny list reaches a running server from the database: on PostgreSQL through the store's
//! notifications alone (nothing else reads the list again), on SQLite within its poll. The
//! server runs in process ([`twilio_token_server::run`]); the list changes through another
//! handle on its database, as `twilio-token deny` changes it.

use crate::support;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use support::{config, serve, store, until};
use twilio_token_server::store::{Denials, Users};

#[tokio::test]
async fn a_deny_add_reaches_a_running_server_and_a_remove_lifts_it() {
    let store = store().await;
    let hash = twilio_token_server::passwords::hash("correct horse battery");
    store.add_user("alice", &hash, "user").await.unwrap();
    let server = serve(config(|s| s.insecure_cookies = true), store.clone()).await;
    let url = format!("http://{}/token", server.address);
    let client = reqwest::Client::new();
    let login = client
        .post(&url)
        .json(&serde_json::json!({"username": "alice", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let cookie = login.headers()[SET_COOKIE].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    // Refreshes, which count no failed logins however often they are asked.
    let refresh = || async {
        let answer = client
            .post(&url)
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        answer.status()
    };
    assert_eq!(refresh().await, StatusCode::OK);

    assert!(store.deny("alice").await.unwrap());
    until(StatusCode::FORBIDDEN, refresh).await;
    assert!(store.undeny("alice").await.unwrap());
    until(StatusCode::OK, refresh).await;
    server.stop().await;
}
