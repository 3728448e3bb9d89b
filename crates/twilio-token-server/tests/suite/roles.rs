//! What a role sets on its token besides grants, through the router in process: the Region
//! (the role's, or else the server's) in the header, and `nbf` (now, left out, or set back),
//! with the answer's `expires_at` the token's `exp`. (A Region or `nbf` the server refuses at
//! start is the CLI crate's `production` tests: an exit code and a message.)

use crate::support;

use std::sync::Arc;

use axum::Router;
use twilio_token::dangerous;
use twilio_token_server::store::Users;
use twilio_token_server::{app, passwords};

const PASSWORD: &str = "correct horse battery";

/// A router for `policy`, with `region` as the server's Region, whose store holds a user named
/// after each of `roles`, in that role.
async fn server(policy: &str, region: Option<&str>, roles: &[&str]) -> Router {
    let config = support::config(|s| {
        s.policy = Some((policy.into(), "policy.json".into()));
        s.region = region.map(Into::into);
    });
    let store = support::store().await;
    let hash = passwords::hash(PASSWORD);
    for role in roles {
        store.add_user(role, &hash, role).await.unwrap();
    }
    let state = Arc::new(app::AppState::new(&config, store).await.unwrap());
    app::router(state, &config)
}

/// The token a password login of `user` gets, and the answer's `expires_at`.
async fn login(app: &Router, user: &str) -> (String, Option<i64>) {
    let body = format!(r#"{{"username": "{user}", "password": "{PASSWORD}"}}"#);
    let answer = support::send(app, support::post(&[], "application/json", &body)).await;
    answer.claims();
    let token = answer.json["token"].as_str().unwrap().to_owned();
    (token, answer.json["expires_at"].as_i64())
}

#[tokio::test]
async fn tokens_carry_the_region_of_the_role_or_else_of_the_server() {
    let policy = r#"{"roles": {
        "user": {"grants": [{"video": {}}]},
        "sydney": {"grants": [{"video": {}}], "region": "au1"}
    }}"#;
    for (server_region, user_region) in [(Some("IE1"), Some("ie1")), (None, None)] {
        let app = server(policy, server_region, &["user", "sydney"]).await;
        for (user, region) in [("user", user_region), ("sydney", Some("au1"))] {
            let (token, _) = login(&app, user).await;
            let header = dangerous::decode_unverified(&token).unwrap().header;
            assert_eq!(header.twr.as_deref(), region, "{user} on {server_region:?}");
        }
    }
}

#[tokio::test]
async fn nbf_follows_each_roles_policy_and_expires_at_stays_right() {
    let policy = r#"{"roles": {
        "now": {"grants": [{"video": {}}]},
        "omit": {"grants": [{"video": {}}], "nbf": "omit", "ttl": 600},
        "behind": {"grants": [{"video": {}}], "nbf": 300}
    }}"#;
    let app = server(policy, None, &["now", "omit", "behind"]).await;
    for role in ["now", "omit", "behind"] {
        let (token, expires_at) = login(&app, role).await;
        let claims = dangerous::decode_unverified(&token).unwrap().claims;
        let exp = claims["exp"].as_i64().unwrap();
        assert_eq!(expires_at, Some(exp), "{role}");
        let iat = exp - if role == "omit" { 600 } else { 3600 };
        match role {
            "now" => assert_eq!(claims["nbf"].as_i64(), Some(iat)),
            "omit" => assert!(!claims.contains_key("nbf"), "{claims:?}"),
            _ => assert_eq!(claims["nbf"].as_i64(), Some(iat - 300)),
        }
    }
}
