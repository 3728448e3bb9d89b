//! Issue #23: a role limited to some rooms never gets a video grant for every room, on any
//! request path (password login, refresh, ID-token exchange, the Video app's request), and a
//! body the server would not honour is refused, naming the field. In process, on the store
//! under test (SQLite, or PostgreSQL with `TWILIO_TOKEN_TEST_POSTGRES`); each answer's token is
//! decoded and its grants checked.

use crate::support;

use support::{Answer, post, send};

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use twilio_token::grants::{ChatGrant, Grant, VideoGrant};
use twilio_token_server::store::Users;
use twilio_token_server::{app, passwords};

const PASSWORD: &str = "correct horse";
const ISSUER: &str = "https://idp.test";
const AUDIENCE: &str = "twilio-app";
const CHAT: &str = "IS0123456789abcdef0123456789abcdef";

/// `member` limits rooms and its template's video grant names none; `guest` limits rooms and
/// has a default room; `voice` limits rooms and has no video grant; `open` limits nothing.
fn policy(video_app: bool) -> String {
    format!(
        r#"{{"video_app": {video_app}, "roles": {{
            "member": {{"grants": [{{"video": {{}}}}, {{"chat": {{"service_sid": "{CHAT}"}}}}], "rooms": ["team-*"]}},
            "guest": {{"grants": [{{"video": {{"room": "lobby"}}}}], "rooms": ["team-*"]}},
            "voice": {{"grants": [{{"voice": {{"incoming_allow": true}}}}], "rooms": ["team-*"]}},
            "open": {{"grants": [{{"video": {{}}}}]}}}}}}"#
    )
}

/// An ID token of the provider for `sub`, whose identity maps to the role `member`.
fn id_token(sub: &str) -> String {
    support::id_token(ISSUER, AUDIENCE, |jwt| jwt.subject(sub))
}

/// A server with users alice (member), gus (guest), vic (voice) and olga (open), trusting the
/// provider (its identities get the role `member`).
async fn server(video_app: bool) -> Router {
    let issuers = format!(
        r#"{{"issuers": [{{"issuer": "{ISSUER}", "audiences": ["{AUDIENCE}"],
            "jwks_file": "idp.pem", "algorithms": ["EdDSA"], "role": "member"}}]}}"#
    );
    let dir = tempfile::tempdir().unwrap();
    let config = support::config(|s| {
        s.policy = Some((policy(video_app), "policy.json".into()));
        s.issuers = Some(support::issuers_file(dir.path(), &issuers));
    });
    let store = support::store().await;
    let hash = passwords::hash(PASSWORD);
    for (name, role) in [
        ("alice", "member"),
        ("gus", "guest"),
        ("vic", "voice"),
        ("olga", "open"),
    ] {
        store.add_user(name, &hash, role).await.unwrap();
    }
    let state = Arc::new(app::AppState::new(&config, store).await.unwrap());
    app::router(state, &config)
}

impl Answer {
    /// The grants of the minted token (checked against the test secret), its identity aside.
    #[track_caller]
    fn grants(&self) -> Vec<Grant> {
        self.claims().grants
    }

    /// Asserts a 400 `room_required` naming `field`, with no token and no session.
    #[track_caller]
    fn room_required(&self, field: &str) {
        assert_eq!(self.status, StatusCode::BAD_REQUEST, "{}", self.json);
        assert_eq!(self.json["error"], "room_required", "{}", self.json);
        assert_eq!(self.json["field"], field, "{}", self.json);
        let message = self.json["message"].as_str().unwrap();
        assert!(message.contains(field), "{message}");
        assert!(self.json.get("token").is_none());
        assert!(!self.headers.contains_key(header::SET_COOKIE));
    }

    /// Asserts a 400 `bad_request` naming `field`.
    #[track_caller]
    fn bad_field(&self, field: &str) {
        assert_eq!(self.status, StatusCode::BAD_REQUEST, "{}", self.json);
        assert_eq!(self.json["error"], "bad_request", "{}", self.json);
        assert_eq!(self.json["field"], field, "{}", self.json);
        let message = self.json["message"].as_str().unwrap();
        assert!(
            message.contains(&field.escape_debug().to_string()),
            "{message}"
        );
        assert!(!message.contains(PASSWORD), "{message}");
    }
}

fn json(body: &str) -> Request<Body> {
    post(&[], "application/json", body)
}

fn form(body: &str) -> Request<Body> {
    post(&[], "application/x-www-form-urlencoded", body)
}

fn login(user: &str, extra: &str) -> String {
    format!(r#"{{"username": "{user}", "password": "{PASSWORD}"{extra}}}"#)
}

fn video(room: &str) -> Grant {
    VideoGrant::room(room).into()
}

fn chat() -> Grant {
    ChatGrant {
        service_sid: Some(CHAT.into()),
        ..Default::default()
    }
    .into()
}

/// The session cookie an answer sets, as a `Cookie` header value.
fn cookie(answer: &Answer) -> String {
    let set = answer.headers[header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_password_login_must_name_a_room_when_the_role_has_no_default() {
    let app = server(false).await;
    for extra in ["", r#", "room": """#, r#", "room": null"#] {
        send(&app, json(&login("alice", extra)))
            .await
            .room_required("room");
    }
    for body in [
        "username=alice&password=correct+horse",
        "username=alice&password=correct+horse&room=",
    ] {
        send(&app, form(body)).await.room_required("room");
    }

    let answer = send(&app, json(&login("alice", r#", "room": "team-a""#))).await;
    assert_eq!(answer.grants(), [video("team-a"), chat()]);
    assert!(answer.headers.contains_key(header::SET_COOKIE));
    let answer = send(
        &app,
        form("username=alice&password=correct+horse&room=team-b"),
    )
    .await;
    assert_eq!(answer.grants(), [video("team-b"), chat()]);
    for request in [
        json(&login("alice", r#", "room": "boardroom""#)),
        form("username=alice&password=correct+horse&room=boardroom"),
    ] {
        let answer = send(&app, request).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.json);
        assert_eq!(answer.json["message"], "that room is not allowed for you");
    }

    // A default room stands for none asked; without a video grant, none is given unasked.
    for extra in ["", r#", "room": """#] {
        let answer = send(&app, json(&login("gus", extra))).await;
        assert_eq!(answer.grants(), [video("lobby")]);
    }
    let answer = send(&app, json(&login("gus", r#", "room": "team-c""#))).await;
    assert_eq!(answer.grants(), [video("team-c")]);
    let answer = send(&app, json(&login("vic", ""))).await;
    assert!(
        answer.grants().iter().all(|g| g.key() != "video"),
        "{:?}",
        answer.grants()
    );
    let answer = send(&app, json(&login("vic", r#", "room": "team-d""#))).await;
    assert!(answer.grants().contains(&video("team-d")));

    // A role without `rooms` keeps its template as written: every room.
    let answer = send(&app, json(&login("olga", ""))).await;
    assert_eq!(answer.grants(), [Grant::Video(VideoGrant::default())]);
}

#[tokio::test]
async fn a_refresh_names_its_room_again() {
    let app = server(false).await;
    let answer = send(&app, json(&login("alice", r#", "room": "team-a""#))).await;
    assert_eq!(answer.grants(), [video("team-a"), chat()]);
    let session = cookie(&answer);
    let with_cookie = [(header::COOKIE, session.as_str())];

    // The bare refresh (no body) and an empty room: the session keeps no room.
    send(&app, post(&with_cookie, "", ""))
        .await
        .room_required("room");
    for body in ["{}", r#"{"room": ""}"#, r#"{"room": null}"#] {
        let answer = send(&app, post(&with_cookie, "application/json", body)).await;
        answer.room_required("room");
    }
    let body = r#"{"room": "team-b"}"#;
    let answer = send(&app, post(&with_cookie, "application/json", body)).await;
    assert_eq!(answer.grants(), [video("team-b"), chat()]);
    let answer = send(
        &app,
        post(
            &with_cookie,
            "application/x-www-form-urlencoded",
            "room=team-c",
        ),
    )
    .await;
    assert_eq!(answer.grants(), [video("team-c"), chat()]);

    // A role with a default room refreshes bare, as before.
    let session = cookie(&send(&app, json(&login("gus", ""))).await);
    let answer = send(&app, post(&[(header::COOKIE, &session)], "", "")).await;
    assert_eq!(answer.grants(), [video("lobby")]);
}

#[tokio::test]
async fn an_id_token_exchange_must_name_a_room() {
    let app = server(false).await;
    let bearer = format!("Bearer {}", id_token("alice_1"));
    let auth = [(header::AUTHORIZATION, bearer.as_str())];
    send(&app, post(&auth, "", "")).await.room_required("room");
    for body in ["{}", r#"{"room": ""}"#, r#"{"room": null}"#] {
        let answer = send(&app, post(&auth, "application/json", body)).await;
        answer.room_required("room");
    }
    let answer = send(
        &app,
        post(&auth, "application/json", r#"{"room": "team-a"}"#),
    )
    .await;
    assert_eq!(answer.json["identity"], "idp_test_alice_1");
    assert_eq!(answer.grants(), [video("team-a"), chat()]);
    let answer = send(&app, post(&auth, "application/json", r#"{"room": "x"}"#)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.json);
}

#[tokio::test]
async fn the_video_apps_request_must_name_a_room() {
    let app = server(true).await;
    // The app sends its ID token alone in Authorization.
    let token = id_token("alice_1");
    let auth = [(header::AUTHORIZATION, token.as_str())];
    for room_name in [r#""room_name": "", "#, r#""room_name": null, "#, ""] {
        let body = format!(
            r#"{{"user_identity": "idp_test_alice_1", {room_name}"create_conversation": true}}"#
        );
        let answer = send(&app, post(&auth, "application/json", &body)).await;
        answer.room_required("room_name");
    }
    let body = r#"{"user_identity": "idp_test_alice_1", "room_name": "team-a", "create_room": true, "create_conversation": true}"#;
    let answer = send(&app, post(&auth, "application/json", body)).await;
    assert_eq!(answer.json["room_type"], "group");
    assert_eq!(answer.grants(), [video("team-a"), chat()]);
    let body = r#"{"user_identity": "idp_test_alice_1", "room_name": "boardroom"}"#;
    let answer = send(&app, post(&auth, "application/json", body)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.json);

    // The app's way through a password session too.
    let session = cookie(&send(&app, json(&login("alice", r#", "room": "team-a""#))).await);
    let with_cookie = [(header::COOKIE, session.as_str())];
    let body = r#"{"user_identity": "alice", "room_name": ""}"#;
    let answer = send(&app, post(&with_cookie, "application/json", body)).await;
    answer.room_required("room_name");
    let body = r#"{"user_identity": "alice", "room_name": "team-b"}"#;
    let answer = send(&app, post(&with_cookie, "application/json", body)).await;
    assert_eq!(answer.grants(), [video("team-b"), chat()]);
}

#[tokio::test]
async fn the_video_apps_fields_are_refused_while_its_switch_is_off() {
    let app = server(false).await;
    for (field, value) in [
        ("user_identity", r#""alice""#),
        ("room_name", r#""team-a""#),
        ("create_room", "true"),
        ("create_conversation", "false"),
    ] {
        let extra = format!(r#", "room": "team-a", "{field}": {value}"#);
        send(&app, json(&login("alice", &extra)))
            .await
            .bad_field(field);
        let body = format!(
            "username=alice&password=correct+horse&room=team-a&{field}={}",
            value.trim_matches('"')
        );
        send(&app, form(&body)).await.bad_field(field);
    }
    // The app's body with a Bearer token: refused, not answered as if it were not there.
    let bearer = format!("Bearer {}", id_token("alice_1"));
    let body = r#"{"user_identity": "idp_test_alice_1", "room_name": "team-a"}"#;
    let answer = send(
        &app,
        post(
            &[(header::AUTHORIZATION, &bearer)],
            "application/json",
            body,
        ),
    )
    .await;
    answer.bad_field("user_identity");
    // Null is absent, as for every field.
    let extra = r#", "room": "team-a", "user_identity": null, "room_name": null"#;
    let answer = send(&app, json(&login("alice", extra))).await;
    assert_eq!(answer.grants(), [video("team-a"), chat()]);
}

#[tokio::test]
async fn an_unknown_json_field_is_refused_and_an_unknown_form_field_ignored() {
    let app = server(false).await;
    let answer = send(
        &app,
        json(&login("alice", r#", "room": "team-a", "remember": true"#)),
    )
    .await;
    answer.bad_field("remember");
    assert_eq!(
        answer.json["message"],
        r#"unknown field "remember" in the JSON body"#
    );
    // A name is escaped, a value never quoted.
    let extra = format!(r#", "room": "team-a", "a\"b\n": "{PASSWORD}""#);
    let answer = send(&app, json(&login("alice", &extra))).await;
    answer.bad_field("a\"b\n");
    assert_eq!(
        answer.json["message"],
        r#"unknown field "a\"b\n" in the JSON body"#
    );

    let body = "username=alice&password=correct+horse&room=team-a&submit=Sign+in&csrf=x";
    let answer = send(&app, form(body)).await;
    assert_eq!(answer.grants(), [video("team-a"), chat()]);
}
