//! The HTTP contract of `POST /token` and `POST /logout`, in process: the router is sent each
//! request with `oneshot`, as the listener would hand it over. (The listener's limits are the
//! `connections` tests; what needs a process, such as signals, restarts and the browser, is in
//! the CLI crate's tests.)

use crate::support;

use support::{Answer, send};

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;
use twilio_token::grants::{Grant, VideoGrant};
use twilio_token::{DecodingKey, Validation, access_token};
use twilio_token_server::client::Scheme;
use twilio_token_server::config::Secret;
use twilio_token_server::store::Users;
use twilio_token_server::{SqliteStore, app, passwords};

const POLICY: &str = r#"{"roles": {"user": {"grants": [{"video": {"room": "lobby"}}], "rooms": ["team-*"], "ttl": 600}}}"#;

/// A server with the user alice (password "correct horse", role user) and a 1 KiB body cap.
async fn server() -> Router {
    let mut config = support::config(|s| {
        s.max_connections_per_client = 8;
        s.policy = Some((POLICY.into(), "policy.json".into()));
    });
    config.max_body = 1024;
    let store = SqliteStore::open("sqlite::memory:").await.unwrap();
    store
        .add_user("alice", &passwords::hash("correct horse"), "user")
        .await
        .unwrap();
    let state = Arc::new(app::AppState::new(&config, store).await.unwrap());
    app::router(state, &config)
}

fn post(content_type: &str, body: &str) -> Request<Body> {
    Request::post("/token")
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn refresh(cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::post("/token");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).unwrap()
}

/// The session cookie an answer sets, as a `Cookie` header value.
fn cookie(answer: &Answer) -> String {
    let set = answer.headers[header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

/// Checks a minted answer: the body's shape, its headers, and a token Twilio would accept for
/// `identity` with the policy's grants.
fn assert_minted(answer: &Answer, identity: &str, video: Grant) {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(answer.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let body = answer.json.as_object().unwrap();
    assert_eq!(
        body.keys().collect::<Vec<_>>(),
        ["token", "identity", "expires_at"]
    );
    assert_eq!(body["identity"], identity);
    let token = body["token"].as_str().unwrap();
    let claims = access_token::decode(
        token,
        &DecodingKey::from_secret(support::SECRET.as_bytes()),
        &Validation::default(),
    )
    .unwrap()
    .claims;
    assert_eq!(claims.identity.as_deref(), Some(identity));
    assert_eq!(claims.grants, [video]);
    assert_eq!(claims.exp, body["expires_at"].as_i64().unwrap());
    assert_eq!(claims.exp - claims.nbf.unwrap(), 600, "the role's ttl");
}

fn assert_error(answer: &Answer, status: StatusCode, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.json);
    assert_eq!(answer.json["error"], code, "{}", answer.json);
    assert!(answer.json["message"].is_string());
    assert_eq!(answer.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

#[tokio::test]
async fn a_password_logs_in_as_json_as_a_form_or_as_basic() {
    let app = server().await;
    let lobby: Grant = VideoGrant::room("lobby").into();
    let json = r#"{"username": "alice", "password": "correct horse"}"#;
    let answer = send(&app, post("application/json; charset=utf-8", json)).await;
    assert_minted(&answer, "alice", lobby.clone());
    let set = answer.headers[header::SET_COOKIE].to_str().unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=3600"] {
        assert!(set.contains(attribute), "{set}");
    }

    let form = "username=alice&password=correct+horse&room=team-blue";
    let answer = send(&app, post("application/x-www-form-urlencoded", form)).await;
    assert_minted(&answer, "alice", VideoGrant::room("team-blue").into());

    let basic = base64_simd::STANDARD.encode_to_string("alice:correct horse");
    let request = Request::post("/token")
        .header(header::AUTHORIZATION, format!("Basic {basic}"))
        .body(Body::empty())
        .unwrap();
    assert_minted(&send(&app, request).await, "alice", lobby);
}

#[tokio::test]
async fn wrong_or_half_credentials_get_the_same_401() {
    let app = server().await;
    for body in [
        r#"{"username": "alice", "password": "wrong"}"#,
        r#"{"username": "nobody", "password": "correct horse"}"#,
        r#"{"username": "alice"}"#,
        r#"{"username": "", "password": ""}"#,
    ] {
        let answer = send(&app, post("application/json", body)).await;
        assert_error(&answer, StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(
            answer.headers[header::WWW_AUTHENTICATE],
            "Session realm=\"twilio-token\""
        );
        assert!(!answer.headers.contains_key(header::SET_COOKIE), "{body}");
        assert_eq!(answer.json["message"], "missing or invalid credentials");
    }
}

#[tokio::test]
async fn the_session_cookie_refreshes_until_logout() {
    let app = server().await;
    let login = r#"{"username": "alice", "password": "correct horse"}"#;
    let session = cookie(&send(&app, post("application/json", login)).await);

    let answer = send(&app, refresh(Some(&session))).await;
    assert_minted(&answer, "alice", VideoGrant::room("lobby").into());
    assert!(!answer.headers.contains_key(header::SET_COOKIE));

    // A room asked for on a refresh goes through the policy.
    let request = Request::post("/token")
        .header(header::COOKIE, &session)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, 17)
        .body(Body::from(r#"{"room":"secret"}"#))
        .unwrap();
    let answer = send(&app, request).await;
    assert_error(&answer, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(answer.json["message"], "that room is not allowed for you");

    // No cookie, a forged one, another name's: no token.
    let (name, value) = session.split_once('=').unwrap();
    // The tag's last character changed (to another that still ends the 32 bytes canonically).
    let (kept, last) = value.split_at(value.len() - 1);
    let forged = format!("{name}={kept}{}", if last == "A" { "E" } else { "A" });
    assert_ne!(forged, session);
    for cookie in [None, Some(forged.as_str()), Some("other=1")] {
        let answer = send(&app, refresh(cookie)).await;
        assert_error(&answer, StatusCode::UNAUTHORIZED, "unauthorized");
    }

    let logout = Request::post("/logout")
        .header(header::COOKIE, &session)
        .body(Body::empty())
        .unwrap();
    let answer = send(&app, logout).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    let cleared = answer.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let answer = send(&app, refresh(Some(&session))).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(
        answer.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0"),
        "an ended session's cookie is cleared"
    );
}

#[tokio::test]
async fn malformed_requests_get_their_own_status_without_echoing_the_password() {
    let app = server().await;
    let answer = send(&app, post("text/plain", "username=alice")).await;
    assert_error(
        &answer,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );

    let answer = send(&app, post("application/json", r#"{"password": "hunter2"#)).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(answer.json["message"], "malformed JSON body (truncated)");
    let answer = send(&app, post("application/json", r#"{"password": 7}"#)).await;
    assert_eq!(
        answer.json["message"],
        "malformed JSON body (fields of the wrong type)"
    );
    let twice = "username=a&username=b";
    let answer = send(&app, post("application/x-www-form-urlencoded", twice)).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "bad_request");

    for authorization in ["Basic !!!", "Basic", "Digest abc"] {
        let request = Request::post("/token")
            .header(header::AUTHORIZATION, authorization)
            .body(Body::empty())
            .unwrap();
        let answer = send(&app, request).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "bad_request");
    }

    let big = format!(
        r#"{{"username": "alice", "password": "{}"}}"#,
        "x".repeat(2000)
    );
    let answer = send(&app, post("application/json", &big)).await;
    assert_error(&answer, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // The same body without a declared length is cut off as it is read.
    let request = Request::post("/token")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::TRANSFER_ENCODING, "chunked")
        .body(Body::from(big))
        .unwrap();
    assert_error(
        &send(&app, request).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
}

#[tokio::test]
async fn a_page_of_another_origin_may_not_sign_in_or_out() {
    let app = server().await;
    let login = r#"{"username": "alice", "password": "correct horse"}"#;
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let mut request = post("application/json", login);
        request.headers_mut().insert(name, value.parse().unwrap());
        let answer = send(&app, request).await;
        assert_error(&answer, StatusCode::FORBIDDEN, "cross_site");
        assert!(!answer.headers.contains_key(header::SET_COOKIE));
        let logout = Request::post("/logout")
            .header(name, value)
            .body(Body::empty())
            .unwrap();
        assert_error(
            &send(&app, logout).await,
            StatusCode::FORBIDDEN,
            "cross_site",
        );
    }
    // The server's own origin passes: its host over the scheme the request came by (http, or
    // https as a trusted proxy says); the same host over the other scheme is another origin.
    let from = |origin: &str, scheme: Scheme| {
        let mut request = post("application/json", login);
        let headers = request.headers_mut();
        headers.insert(header::HOST, "tokens.example".parse().unwrap());
        headers.insert(header::ORIGIN, origin.parse().unwrap());
        request.extensions_mut().insert(scheme);
        request
    };
    for (origin, scheme, status) in [
        ("http://tokens.example", Scheme::Http, StatusCode::OK),
        (
            "https://tokens.example",
            Scheme::Http,
            StatusCode::FORBIDDEN,
        ),
        ("https://tokens.example", Scheme::Https, StatusCode::OK),
        (
            "http://tokens.example",
            Scheme::Https,
            StatusCode::FORBIDDEN,
        ),
    ] {
        let answer = send(&app, from(origin, scheme)).await;
        assert_eq!(
            answer.status, status,
            "{origin} over {scheme:?}: {}",
            answer.json
        );
    }
}

#[tokio::test]
async fn metrics_need_the_token_when_the_server_has_one() {
    let open = server().await;
    let get = |authorization: Option<&str>| {
        let mut request = Request::get("/metrics");
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        request.body(Body::empty()).unwrap()
    };
    assert_eq!(send(&open, get(None)).await.status, StatusCode::OK);
    let mut config = support::config(|s| {
        s.metrics_token = Some(Secret::new("scrape-secret".into()));
    });
    config.max_body = 1024;
    let store = SqliteStore::open("sqlite::memory:").await.unwrap();
    let state = Arc::new(app::AppState::new(&config, store).await.unwrap());
    let guarded = app::router(state, &config);
    for wrong in [
        None,
        Some("Bearer nope"),
        Some("scrape-secret"),
        Some("Basic c2NyYXBlLXNlY3JldA=="),
    ] {
        let answer = send(&guarded, get(wrong)).await;
        assert_error(&answer, StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(answer.headers[header::WWW_AUTHENTICATE], "Bearer");
        assert!(!answer.json.to_string().contains("scrape-secret"));
    }
    assert_eq!(
        send(&guarded, get(Some("Bearer scrape-secret")))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_id_token_needs_a_trusted_issuer() {
    let app = server().await;
    let request = Request::post("/token")
        .header(
            header::AUTHORIZATION,
            "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        )
        .body(Body::empty())
        .unwrap();
    let answer = send(&app, request).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(answer.json["check"], "issuer");
    assert_eq!(
        answer.headers[header::WWW_AUTHENTICATE],
        "Bearer error=\"invalid_token\""
    );
}

#[tokio::test]
async fn every_answer_is_counted() {
    let app = server().await;
    send(&app, refresh(None)).await;
    send(&app, Request::get("/nowhere").body(Body::empty()).unwrap()).await;
    let metrics = Request::get("/metrics").body(Body::empty()).unwrap();
    let mut request = metrics;
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 9))));
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(
        response.headers()[header::X_CONTENT_TYPE_OPTIONS],
        "nosniff"
    );
    let text = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let text = String::from_utf8(text.to_vec()).unwrap();
    let count = text
        .lines()
        .find(|l| l.starts_with("twilio_token_request_duration_seconds_count"))
        .unwrap_or_else(|| panic!("no request count in:\n{text}"));
    assert_eq!(count.rsplit(' ').next(), Some("2"), "{count}");
}
