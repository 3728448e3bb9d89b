//! The OpenAPI document at `GET /openapi.json` and the router agree: every route is documented,
//! every documented operation is routed, and each answers, in process, a status its entry lists.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;
use twilio_token_server::config::Secret;
use twilio_token_server::{Config, Settings, SqliteStore, app};

fn document() -> Value {
    serde_json::from_str(app::OPENAPI).expect("the document is JSON")
}

fn documented() -> BTreeSet<(String, String)> {
    let doc = document();
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    operations
}

#[test]
fn every_route_is_documented_and_every_operation_routed() {
    let routed: BTreeSet<(String, String)> = app::routes::<SqliteStore>()
        .list
        .into_iter()
        .map(|(method, path)| (method.to_string(), path.to_owned()))
        .collect();
    let documented = documented();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "operations missing from the router: {unrouted:?}"
    );
    assert_eq!(document()["openapi"], "3.1.0");
}

/// The router of a server with an empty in-memory store.
async fn router() -> axum::Router {
    let config = Config::from_settings(Settings {
        account_sid: Some("AC0123456789abcdef0123456789abcdef".into()),
        api_key_sid: Some("SK0123456789abcdef0123456789abcdef".into()),
        api_key_secret: Some(Secret::new("a test secret".into())),
        bind: "127.0.0.1:0".into(),
        session_ttl: 3600,
        max_ttl: 86_400,
        max_connections_per_client: 8,
        ..Settings::default()
    })
    .unwrap();
    let store = SqliteStore::open("sqlite::memory:").await.unwrap();
    // An in-memory database makes no file (tests run in the crate's directory).
    let files = std::fs::read_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    assert!(
        !files
            .flatten()
            .any(|f| f.file_name().to_string_lossy().starts_with("file:"))
    );
    let state = Arc::new(app::AppState::new(&config, store).await.unwrap());
    app::router(state, &config)
}

/// `request` from a loopback client, as the listener hands it over.
fn from_loopback(mut request: Request<Body>) -> Request<Body> {
    request
        .extensions_mut()
        .insert(ConnectInfo(std::net::SocketAddr::from(([127, 0, 0, 1], 9))));
    request
}

#[tokio::test]
async fn each_operation_answers_a_status_it_documents() {
    let router = router().await;
    let doc = document();
    for (method, path) in documented() {
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(&path)
            .header("host", "127.0.0.1")
            .body(Body::empty())
            .unwrap();
        let request = from_loopback(request);
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let operation = &doc["paths"][&path][method.to_ascii_lowercase()];
        assert!(
            operation["responses"].get(status.as_str()).is_some(),
            "{method} {path} answered {status}, which its entry does not list"
        );
        assert_ne!(status, StatusCode::NOT_FOUND);
    }
    let response = router
        .oneshot(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), doc);
}

/// schemathesis found that a JSON `null` was accepted where the document said string: null is
/// taken as absent (as the document now says), for each field.
#[tokio::test]
async fn a_null_field_is_absent() {
    let router = router().await;
    for body in [
        r#"{"username": null, "password": null, "room": null}"#,
        r#"{"room": null}"#,
    ] {
        let request = Request::post("/token")
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .body(Body::from(body))
            .unwrap();
        let response = router
            .clone()
            .oneshot(from_loopback(request))
            .await
            .unwrap();
        // No credentials and no session: the refresh's 401, not a 400 for the nulls.
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{body}");
    }
    let schema = &document()["paths"]["/token"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"]["properties"];
    for field in ["username", "password", "room"] {
        assert_eq!(
            schema[field]["type"],
            serde_json::json!(["string", "null"]),
            "{field}"
        );
    }
}
