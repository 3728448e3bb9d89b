//! Issue #23: different people are never minted the same Twilio identity. Each identity
//! provider's users get identities in a namespace of their own, apart from every other
//! provider's and from the password users'; a password user whose identity lies in a
//! provider's namespace gets no token, nor does one whose identity breaks a rule of a product
//! its role's grants are for. In process, on the store under test.

use crate::support;

use std::collections::HashSet;
use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use support::{post, send};
use twilio_token_server::store::Users;
use twilio_token_server::{app, passwords};

const PASSWORD: &str = "correct horse";
const A: &str = "https://a.example/";
const B: &str = "https://b.example/";
const AUDIENCE: &str = "twilio-app";

/// Roles `user` (video) and `support` (voice, identities `agent_{identity}`); issuer A names
/// its users by `preferred_username` and maps `roles: support` to support, issuer B by `sub`;
/// password users alice (user) and carol (support).
async fn server() -> (Router, twilio_token_server::Store) {
    let policy = r#"{"roles": {
        "user": {"grants": [{"video": {"room": "lobby"}}]},
        "support": {"grants": [{"voice": {"incoming_allow": true}}], "identity_template": "agent_{identity}"}}}"#;
    let issuers = format!(
        r#"{{"issuers": [
            {{"issuer": "{A}", "audiences": ["{AUDIENCE}"], "jwks_file": "idp.pem", "algorithms": ["EdDSA"],
              "identity_claim": "preferred_username",
              "role_rules": [{{"claim": "roles", "value": "support", "role": "support"}}]}},
            {{"issuer": "{B}", "audiences": ["{AUDIENCE}"], "jwks_file": "idp.pem", "algorithms": ["EdDSA"]}}]}}"#
    );
    let dir = tempfile::tempdir().unwrap();
    let config = support::config(|s| {
        s.policy = Some((policy.into(), "policy.json".into()));
        s.issuers = Some(support::issuers_file(dir.path(), &issuers));
    });
    let store = support::store().await;
    let hash = passwords::hash(PASSWORD);
    for (name, role) in [("alice", "user"), ("carol", "support")] {
        store.add_user(name, &hash, role).await.unwrap();
    }
    let state = Arc::new(app::AppState::new(&config, store.clone()).await.unwrap());
    (app::router(state, &config), store)
}

/// The identity of the token `answer` carries, checked against the body's.
#[track_caller]
fn identity(answer: &support::Answer) -> String {
    answer.claims().identity.unwrap()
}

async fn login(app: &Router, name: &str) -> support::Answer {
    let body = format!(r#"{{"username": "{name}", "password": "{PASSWORD}"}}"#);
    send(app, post(&[], "application/json", &body)).await
}

async fn exchange(app: &Router, issuer: &str, claims: serde_json::Value) -> support::Answer {
    let token = support::id_token(issuer, AUDIENCE, |mut jwt| {
        for (name, value) in claims.as_object().unwrap() {
            jwt = jwt.claim(name, value.clone());
        }
        jwt
    });
    let bearer = format!("Bearer {token}");
    send(app, post(&[(header::AUTHORIZATION, &bearer)], "", "")).await
}

#[tokio::test]
async fn providers_and_password_users_never_share_an_identity() {
    let (app, _) = server().await;
    let alice = identity(&login(&app, "alice").await);
    let carol = identity(&login(&app, "carol").await);
    assert_eq!((alice.as_str(), carol.as_str()), ("alice", "agent_carol"));

    let minted = [
        // A provider's user named like a password user's identity, with and without the
        // support role's template.
        (
            A,
            serde_json::json!({"sub": "1", "preferred_username": "agent_carol"}),
            "a_example_agent_carol",
        ),
        (
            A,
            serde_json::json!({"sub": "2", "preferred_username": "carol", "roles": ["support"]}),
            "agent_a_example_carol",
        ),
        (
            A,
            serde_json::json!({"sub": "3", "preferred_username": "alice"}),
            "a_example_alice",
        ),
        // User u-42 of one provider and of another.
        (
            A,
            serde_json::json!({"sub": "4", "preferred_username": "u-42"}),
            "a_example_u-42",
        ),
        (B, serde_json::json!({"sub": "u-42"}), "b_example_u-42"),
    ];
    let mut seen = HashSet::from([alice, carol]);
    for (issuer, claims, expected) in minted {
        let got = identity(&exchange(&app, issuer, claims.clone()).await);
        assert_eq!(got, expected, "{issuer} {claims}");
        assert!(seen.insert(got), "{expected} minted twice");
    }
}

#[tokio::test]
async fn a_password_user_inside_a_providers_namespace_gets_no_token() {
    let (app, store) = server().await;
    // Added straight to the store: `users add` with the issuers file refuses the name.
    let hash = passwords::hash(PASSWORD);
    store
        .add_user("a_example_bob", &hash, "user")
        .await
        .unwrap();
    // Support's template over A's prefix: where A's support users' identities lie.
    store
        .add_user("a_example_x", &hash, "support")
        .await
        .unwrap();
    for name in ["a_example_bob", "a_example_x"] {
        let answer = login(&app, name).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.json);
        let message = answer.json["message"].as_str().unwrap();
        assert!(
            message.contains("identity provider's namespace"),
            "{message}"
        );
        assert!(!answer.headers.contains_key(header::SET_COOKIE));
    }
    // Only where a provider's identities can lie: B gives no support role, and an identity
    // is more than a prefix.
    store
        .add_user("b_example_x", &hash, "support")
        .await
        .unwrap();
    store.add_user("b_example_", &hash, "user").await.unwrap();
    assert_eq!(
        identity(&login(&app, "b_example_x").await),
        "agent_b_example_x"
    );
    assert_eq!(identity(&login(&app, "b_example_").await), "b_example_");
}

/// Issue #24: a name that displays as another's ("alice" with a zero-width space, in
/// fullwidth letters, with a Cyrillic "а") gets no token, whether a password user has it
/// (added straight to the store, as `users add` refuses it) or a provider's token carries it.
#[tokio::test]
async fn names_that_display_as_another_get_no_token_on_any_path() {
    let (app, store) = server().await;
    let hash = passwords::hash(PASSWORD);
    for (name, rule) in [
        ("ali\u{200B}ce", "invisible"),
        ("\u{202E}ecila", "direction-changing"),
        ("ａｌｉｃｅ", "NFKC"),
        ("\u{0430}lice", "Cyrillic"),
    ] {
        store.add_user(name, &hash, "user").await.unwrap();
        let answer = login(&app, name).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{name:?}: {}",
            answer.json
        );
        let message = answer.json["message"].as_str().unwrap();
        assert!(message.contains(rule), "{name:?}: {message}");
        assert!(!answer.headers.contains_key(header::SET_COOKIE));

        let answer = exchange(&app, B, serde_json::json!({"sub": name})).await;
        assert_ne!(answer.status, StatusCode::OK, "{name:?}");
        assert!(
            answer.json.to_string().contains(rule),
            "{name:?}: {}",
            answer.json
        );
    }
    // The same names without the disguise are fine.
    assert_eq!(identity(&login(&app, "alice").await), "alice");
}

#[tokio::test]
async fn an_identity_the_roles_grants_forbid_gets_no_token_and_no_session() {
    // A user added before the policy gave the role a voice grant: an e-mail address is no
    // Voice identity, so the login is refused at minting, naming the rule.
    let policy = r#"{"roles": {"user": {"grants": [{"video": {}}, {"voice": {}}]}}}"#;
    let config = support::config(|s| s.policy = Some((policy.into(), "policy.json".into())));
    let store = support::store().await;
    let hash = passwords::hash(PASSWORD);
    store
        .add_user("dave@example.com", &hash, "user")
        .await
        .unwrap();
    store.add_user("dave", &hash, "user").await.unwrap();
    let state = Arc::new(app::AppState::new(&config, store).await.unwrap());
    let app = app::router(state, &config);

    let refused = login(&app, "dave@example.com").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.json);
    assert!(!refused.headers.contains_key(header::SET_COOKIE));
    assert!(refused.json.get("token").is_none());
    let message = refused.json["message"].as_str().unwrap();
    assert!(message.contains("Twilio Voice identity"), "{message}");
    assert_eq!(identity(&login(&app, "dave").await), "dave");
}
