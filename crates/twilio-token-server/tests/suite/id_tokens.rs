//! Issue #24: ID tokens are checked as OpenID Connect Core 3.1.3.7 says (`azp` with several
//! audiences, no access token passed off as an ID token, a bounded lifetime, `exp` required as
//! a claim), and Twilio's React video app is answered as it really calls: its Firebase ID token
//! alone in `Authorization`, and its user's display name as `user_identity`. In process, on
//! the store under test.

use crate::support;

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use serde_json::{Value, json};
use support::{Answer, post, send};
use twilio_token::{Algorithm, EncodingKey, jws};
use twilio_token_server::{app, passwords};

const ISSUER: &str = "https://idp.test";
const AUDIENCE: &str = "twilio-app";
/// A second client id of the same provider.
const WEB_CLIENT: &str = "web-client";
/// An issuer whose tokens may live an hour at most.
const SHORT: &str = "https://short.test";
const PROJECT: &str = "my-project";
const FIREBASE: &str = "https://securetoken.google.com/my-project";

/// A server with the video app's switch on, trusting three issuers; every identity gets the
/// role `user` (video, rooms `team-*`).
async fn server() -> Router {
    let policy = r#"{"video_app": true, "roles": {
        "user": {"grants": [{"video": {}}], "rooms": ["team-*"]}}}"#;
    // Firebase signs with RS256 keys; the test key is Ed25519, which changes nothing here.
    let issuers = format!(
        r#"{{"issuers": [
            {{"issuer": "{ISSUER}", "audiences": ["{AUDIENCE}", "{WEB_CLIENT}"],
              "jwks_file": "idp.pem", "algorithms": ["EdDSA"]}},
            {{"issuer": "{SHORT}", "audiences": ["{AUDIENCE}"], "jwks_file": "idp.pem",
              "algorithms": ["EdDSA"], "max_lifetime": 3600}},
            {{"issuer": "{FIREBASE}", "audiences": ["{PROJECT}"], "jwks_file": "idp.pem",
              "algorithms": ["EdDSA"], "identity_claim": "sub"}}]}}"#
    );
    let dir = tempfile::tempdir().unwrap();
    let config = support::config(|s| {
        s.policy = Some((policy.into(), "policy.json".into()));
        s.issuers = Some(support::issuers_file(dir.path(), &issuers));
    });
    let store = support::store().await;
    // A password user, so that the store is in use as in production.
    twilio_token_server::store::Users::add_user(&store, "alice", &passwords::hash("pw"), "user")
        .await
        .unwrap();
    let state = Arc::new(app::AppState::new(&config, store).await.unwrap());
    app::router(state, &config)
}

fn now() -> i64 {
    twilio_token::now()
}

/// An ID token with exactly this header and these claims, signed by the test provider's key.
fn sign(header: Value, claims: &Value) -> String {
    let key = EncodingKey::from_ed_pem(&support::fixture("ed25519.pem")).unwrap();
    jws::sign(
        header.to_string().as_bytes(),
        claims.to_string().as_bytes(),
        Algorithm::EdDSA,
        &key,
    )
    .unwrap()
}

fn jwt_header() -> Value {
    json!({"alg": "EdDSA", "typ": "JWT"})
}

/// The claims of a fresh ID token of `ISSUER` for alice, ten minutes long.
fn claims() -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "alice_1", "iat": now(), "exp": now() + 600})
}

/// `claims()` with `changes` merged in (`null` removes a claim).
fn with(changes: Value) -> Value {
    let mut claims = claims();
    for (name, value) in changes.as_object().unwrap() {
        match value {
            Value::Null => claims.as_object_mut().unwrap().remove(name),
            value => claims
                .as_object_mut()
                .unwrap()
                .insert(name.clone(), value.clone()),
        };
    }
    claims
}

/// Exchanges `token` (as `Authorization: Bearer`) for a token for room team-a.
async fn exchange(app: &Router, token: &str) -> Answer {
    let bearer = format!("Bearer {token}");
    let auth = [(header::AUTHORIZATION, bearer.as_str())];
    send(
        app,
        post(&auth, "application/json", r#"{"room": "team-a"}"#),
    )
    .await
}

impl Answer {
    /// Asserts a 401 naming `check`, its message holding `needle`, and returns nothing else.
    #[track_caller]
    fn refused(&self, check: &str, needle: &str) {
        assert_eq!(self.status, StatusCode::UNAUTHORIZED, "{}", self.json);
        assert_eq!(self.json["check"], check, "{}", self.json);
        let message = self.json["message"].as_str().unwrap();
        assert!(message.contains(needle), "{message}");
        assert!(self.json.get("token").is_none());
    }

    /// The identity of the token minted (checked against the test secret and the body).
    #[track_caller]
    fn identity(&self) -> String {
        self.claims().identity.unwrap()
    }
}

#[tokio::test]
async fn several_audiences_need_an_authorized_party_that_is_one_of_ours() {
    let app = server().await;
    let ok = |claims: Value| {
        let app = app.clone();
        async move {
            exchange(&app, &sign(jwt_header(), &claims))
                .await
                .identity()
        }
    };
    // One audience: azp may be absent; present, it must be one of the issuer's audiences.
    ok(claims()).await;
    ok(with(json!({"azp": WEB_CLIENT}))).await;
    ok(with(json!({"aud": [AUDIENCE]}))).await;
    // Several: azp is required, and must be one of ours.
    ok(with(json!({"aud": [AUDIENCE, "other"], "azp": AUDIENCE}))).await;
    ok(with(json!({"aud": ["other", AUDIENCE], "azp": WEB_CLIENT}))).await;
    for (claims, needle) in [
        (
            with(json!({"aud": [AUDIENCE, "other"]})),
            "no authorized party",
        ),
        (
            with(json!({"aud": [AUDIENCE, WEB_CLIENT]})),
            "no authorized party",
        ),
        (
            with(json!({"aud": [AUDIENCE, "other"], "azp": "other"})),
            "azp",
        ),
        (with(json!({"azp": "someone-else"})), "azp"),
        (with(json!({"azp": [AUDIENCE]})), "azp"),
        (with(json!({"azp": ""})), "azp"),
    ] {
        let answer = exchange(&app, &sign(jwt_header(), &claims)).await;
        answer.refused("audience", needle);
    }
}

#[tokio::test]
async fn an_access_token_is_not_an_id_token() {
    let app = server().await;
    // RFC 9068's media type, in any case, with or without the `application/` prefix.
    for typ in [
        "at+jwt",
        "application/at+jwt",
        "AT+JWT",
        "Application/At+Jwt",
    ] {
        let token = sign(json!({"alg": "EdDSA", "typ": typ}), &claims());
        exchange(&app, &token)
            .await
            .refused("claims", "access token");
    }
    for header in [jwt_header(), json!({"alg": "EdDSA"})] {
        exchange(&app, &sign(header, &claims())).await.identity();
    }
}

#[tokio::test]
async fn an_id_token_may_not_live_longer_than_its_issuers_max_lifetime() {
    let app = server().await;
    let token = |claims: Value| sign(jwt_header(), &claims);
    let day = 86_400;
    // A hundred years ahead; a day past the limit, beyond the leeway (60 s).
    for claims in [
        with(json!({"exp": now() + 100 * 365 * day})),
        with(json!({"exp": now() + day + 120})),
        // Measured from iat: issued two days ago, valid ten minutes more.
        with(json!({"iat": now() - 2 * day, "exp": now() + 600})),
    ] {
        exchange(&app, &token(claims))
            .await
            .refused("claims", "max_lifetime of 86400 s");
    }
    // The default limit, a day, within the leeway.
    exchange(&app, &token(with(json!({"exp": now() + day + 30}))))
        .await
        .identity();

    // An issuer that allows an hour.
    let short = |changes: Value| {
        let mut claims = with(changes);
        claims["iss"] = SHORT.into();
        token(claims)
    };
    exchange(&app, &short(json!({"exp": now() + 7200})))
        .await
        .refused("claims", "max_lifetime of 3600 s");
    let answer = exchange(
        &app,
        &short(json!({"iat": now() - 3000, "exp": now() + 500})),
    )
    .await;
    assert_eq!(answer.identity(), "short_test_alice_1");
}

#[tokio::test]
async fn an_id_token_without_exp_is_refused_as_a_claims_error() {
    let app = server().await;
    let answer = exchange(&app, &sign(jwt_header(), &with(json!({"exp": null})))).await;
    answer.refused("claims", "exp is required");
    // iat too is required of an ID token.
    let answer = exchange(&app, &sign(jwt_header(), &with(json!({"iat": null})))).await;
    answer.refused("claims", "iat");
}

/// The claims of a Firebase ID token of a user signed in with Google, as Firebase Auth
/// writes them.
fn firebase(uid: &str, name: Option<&str>) -> Value {
    let mut claims = json!({
        "iss": FIREBASE, "aud": PROJECT, "auth_time": now() - 100, "user_id": uid, "sub": uid,
        "iat": now(), "exp": now() + 3600, "email": "alice@example.com", "email_verified": true,
        "firebase": {"identities": {"google.com": ["1093"], "email": ["alice@example.com"]},
                     "sign_in_provider": "google.com"}
    });
    if let Some(name) = name {
        claims["name"] = name.into();
        claims["picture"] = "https://lh3.googleusercontent.com/a/photo".into();
    }
    claims
}

/// The video app's request (useFirebaseAuth's `getToken`): the ID token alone in
/// `Authorization`, and its JSON body.
async fn video_app(app: &Router, token: &str, user_identity: &str, room: &str) -> Answer {
    let body =
        json!({"user_identity": user_identity, "room_name": room, "create_conversation": true});
    let auth = [(header::AUTHORIZATION, token)];
    send(app, post(&auth, "application/json", &body.to_string())).await
}

#[tokio::test]
async fn the_video_app_sends_a_display_name_and_gets_the_providers_identity() {
    let app = server().await;
    let prefix = "securetoken_google_com_my_project_";
    let alice = sign(
        json!({"alg": "EdDSA", "kid": "k1", "typ": "JWT"}),
        &firebase("Xq3rTKmZ0cW9pYb1nF7hLs2JdE84", Some("Alice Smith")),
    );
    // The app sends the display name: the identity is still the namespaced sub.
    let answer = video_app(&app, &alice, "Alice Smith", "team-a").await;
    assert_eq!(
        answer.identity(),
        format!("{prefix}Xq3rTKmZ0cW9pYb1nF7hLs2JdE84")
    );
    assert_eq!(answer.json["room_type"], "group");
    // The identity itself is as good.
    let answer = video_app(&app, &alice, &answer.identity(), "team-a").await;
    answer.identity();

    // Another user with the same display name gets an identity of their own.
    let other = sign(
        jwt_header(),
        &firebase("Pz8wQaB1cD2eF3gH4iJ5kL6mN7o9", Some("Alice Smith")),
    );
    let answer = video_app(&app, &other, "Alice Smith", "team-a").await;
    assert_eq!(
        answer.identity(),
        format!("{prefix}Pz8wQaB1cD2eF3gH4iJ5kL6mN7o9")
    );

    // Any other name, the bare sub (without the prefix), or a name the token does not carry
    // is refused: the request never names the identity.
    let nameless = sign(
        jwt_header(),
        &firebase("Xq3rTKmZ0cW9pYb1nF7hLs2JdE84", None),
    );
    for (token, user_identity) in [
        (&alice, "Bob Jones"),
        (&alice, "alice smith"),
        (&alice, "Xq3rTKmZ0cW9pYb1nF7hLs2JdE84"),
        (&nameless, "Alice Smith"),
    ] {
        let answer = video_app(&app, token, user_identity, "team-a").await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.json);
        let message = answer.json["message"].as_str().unwrap();
        assert!(message.contains("user_identity"), "{message}");
    }
    // The display name is no way into another provider's user, nor past the rooms.
    let answer = video_app(&app, &alice, "Alice Smith", "boardroom").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.json);
}

/// A key set server on loopback, counting its fetches, until `stop` is sent.
async fn key_set_server() -> (
    String,
    Arc<std::sync::atomic::AtomicUsize>,
    tokio::sync::oneshot::Sender<()>,
) {
    let fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let jwks = String::from_utf8(support::fixture("jwks.json")).unwrap();
    let counted = Arc::clone(&fetches);
    let keys = Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let jwks = jwks.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], jwks) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, keys)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    (url, fetches, stop)
}

#[tokio::test]
async fn a_reload_keeps_the_fetched_keys_so_a_provider_down_then_costs_nothing() {
    let (url, fetches, stop) = key_set_server().await;
    let issuers = format!(
        r#"{{"issuers": [{{"issuer": "{ISSUER}", "audiences": ["{AUDIENCE}"],
            "jwks_url": "{url}", "algorithms": ["EdDSA"]}}]}}"#
    );
    let dir = tempfile::tempdir().unwrap();
    let policy = r#"{"roles": {"user": {"grants": [{"video": {}}], "rooms": ["team-*"]}}}"#;
    let config = support::config(|s| {
        s.policy = Some((policy.into(), "policy.json".into()));
        s.issuers = Some(support::issuers_file(dir.path(), &issuers));
    });
    let state = Arc::new(
        app::AppState::new(&config, support::store().await)
            .await
            .unwrap(),
    );
    let app = app::router(Arc::clone(&state), &config);
    let token = sign(json!({"alg": "EdDSA", "kid": "ed25519"}), &claims());
    assert_eq!(exchange(&app, &token).await.identity(), "idp_test_alice_1");
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 1);

    // The provider goes down; the configuration is reloaded (SIGHUP) unchanged.
    stop.send(()).unwrap();
    state.reload(config.reloadable.clone()).unwrap();
    assert_eq!(exchange(&app, &token).await.identity(), "idp_test_alice_1");
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 1);
}
