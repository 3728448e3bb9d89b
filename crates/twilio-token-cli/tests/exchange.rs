//! Token exchange through the binary, against a local identity-provider stand-in (a loopback
//! HTTP server that serves a JWK Set): every algorithm and every failed check, with the log
//! holding no token; a bad issuers file stopping the server; `decode` with a key set; the
//! video app's request with the deny list and a reload. (Key rotation, a provider down or
//! slow, cache headers and key files are the server crate's `key_sets` tests, in process.)

mod common;

use common::{fixture, fixture_key, jwks};

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use twilio_token::{Algorithm, EncodingKey, Jwt, Nbf};

const ISSUER: &str = "https://idp.test";
const AUDIENCE: &str = "twilio-app";

/// An identity provider's JWKS endpoint on a loopback port: it serves one JWK Set, cacheable
/// for five minutes, and counts its requests.
struct Provider {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl Provider {
    fn start(jwks: String) -> Provider {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let jwks = Arc::new(jwks);
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (jwks, counted) = (Arc::clone(&jwks), Arc::clone(&counted));
                std::thread::spawn(move || answer(stream, &jwks, &counted));
            }
        });
        Provider { url, requests }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn answer(mut stream: TcpStream, jwks: &str, requests: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
        line.clear();
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncache-control: public, max-age=300\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{jwks}",
        jwks.len()
    );
}

fn now() -> i64 {
    twilio_token::now()
}

/// An ID token as a provider signs it, changed by `change`.
fn id_token(key: &str, alg: Algorithm, kid: &str, change: impl FnOnce(Jwt) -> Jwt) -> String {
    let jwt = Jwt::new(ISSUER)
        .algorithm(alg)
        .header("kid", kid)
        .subject("alice_1")
        .claim("aud", AUDIENCE)
        .claim("iat", now())
        .ttl(600);
    change(jwt).encode(&fixture_key(key)).unwrap()
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(issuer: Value) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let policy = json!({"roles": {
            "user": {"grants": [{"video": {"room": "My Room"}}], "rooms": ["team-*"]},
            "support": {"grants": [{"voice": {"incoming_allow": true}}]}
        }});
        std::fs::write(dir.path().join("policy.json"), policy.to_string()).unwrap();
        let mut issuer = issuer;
        for (k, v) in [
            ("issuer", json!(ISSUER)),
            ("audiences", json!(["other-app", AUDIENCE])),
            ("jwks_min_interval", json!(0.3)),
            ("jwks_timeout", json!(0.5)),
            // One issuer, its users the password users' own people: the shared namespace,
            // as the operator may say explicitly (crates/twilio-token-server/tests/suite/identities.rs
            // holds the default namespaces).
            ("identity_prefix", json!("")),
            (
                "role_rules",
                json!([{"claim": "roles", "value": "support", "role": "support"}]),
            ),
        ] {
            issuer.as_object_mut().unwrap().entry(k).or_insert(v);
        }
        std::fs::write(
            dir.path().join("issuers.json"),
            json!({ "issuers": [issuer] }).to_string(),
        )
        .unwrap();
        Setup { dir }
    }

    fn serve(&self) -> common::Server {
        let dir = self.dir.path();
        let mut command = common::serve_command(dir);
        command
            .args(["--policy", "policy.json", "--issuers", "issuers.json"])
            .stderr(std::fs::File::create(dir.join("server.log")).unwrap());
        common::Server::spawn(command)
    }
}

/// `POST /token` with `Authorization: Bearer token` and `body`: the status and the JSON.
async fn exchange(server: &common::Server, token: &str, body: Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// The claims of the access token in an exchange's answer, verified.
fn access_claims(body: &Value) -> serde_json::Map<String, Value> {
    common::verify(body["token"].as_str().unwrap())
}

async fn metrics(server: &common::Server) -> String {
    reqwest::get(server.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_algorithm_is_exchanged_and_every_failed_check_is_named() {
    let provider = Provider::start(jwks(&[
        ("rsa_a", "rsa"),
        ("ec_p256", "p256"),
        ("ec_p384", "p384"),
        ("ed25519", "ed"),
    ]));
    let setup = Setup::new(json!({
        "jwks_url": provider.url,
        "algorithms": ["RS256", "PS256", "PS512", "ES256", "ES384", "EdDSA"],
    }));
    let server = setup.serve();

    use Algorithm::*;
    for (key, alg, kid) in [
        ("rsa_a", RS256, "rsa"),
        ("rsa_a", PS256, "rsa"),
        ("rsa_a", PS512, "rsa"),
        ("ec_p256", ES256, "p256"),
        ("ec_p384", ES384, "p384"),
        ("ed25519", EdDSA, "ed"),
    ] {
        let (status, body) = exchange(&server, &id_token(key, alg, kid, |j| j), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{alg}: {body}");
        assert_eq!(body["identity"], "alice_1");
        let claims = access_claims(&body);
        assert_eq!(claims["grants"]["identity"], "alice_1");
        assert_eq!(claims["grants"]["video"]["room"], "My Room", "{alg}");
    }
    assert_eq!(provider.requests(), 1, "one fetch served every token");

    // The policy still decides rooms, and claim rules pick the role.
    let token = id_token("rsa_a", RS256, "rsa", |j| j);
    let (status, body) = exchange(&server, &token, json!({"room": "team-red"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(access_claims(&body)["grants"]["video"]["room"], "team-red");
    let (status, _) = exchange(&server, &token, json!({"room": "secret"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let support = id_token("ec_p256", ES256, "p256", |j| {
        j.claim("roles", json!(["staff", "support"]))
    });
    let (status, body) = exchange(&server, &support, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        access_claims(&body)["grants"]["voice"]["incoming"]["allow"],
        true
    );

    // Every check, refused with its name.
    let rsa_public = fixture("rsa_a.pub.pem");
    let b64 = |s: &str| base64_url(s.as_bytes());
    let payload =
        json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "alice_1", "exp": now() + 600, "iat": now()});
    let tampered = {
        let mut t = id_token("rsa_a", RS256, "rsa", |j| j).into_bytes();
        let at = t.len() - 10;
        t[at] = if t[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(t).unwrap()
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "issuer",
            id_token("rsa_a", RS256, "rsa", |_| {
                Jwt::new("https://evil.test")
                    .algorithm(RS256)
                    .header("kid", "rsa")
                    .subject("alice_1")
                    .claim("aud", AUDIENCE)
                    .claim("iat", now())
            }),
        ),
        (
            "audience",
            id_token("rsa_a", RS256, "rsa", |j| j.claim("aud", "someone-else")),
        ),
        (
            "expired",
            id_token("rsa_a", RS256, "rsa", |j| j.valid_until(now() - 120)),
        ),
        (
            "not_yet_valid",
            id_token("rsa_a", RS256, "rsa", |j| j.nbf(Nbf::At(now() + 600))),
        ),
        (
            "issued_in_future",
            id_token("rsa_a", RS256, "rsa", |j| j.claim("iat", now() + 600)),
        ),
        (
            "unknown_kid",
            id_token("rsa_b", RS256, "rotated-out", |j| j),
        ),
        ("signature", tampered),
        // RS384 is a fine algorithm, but not one this issuer uses.
        ("algorithm", id_token("rsa_a", RS384, "rsa", |j| j)),
        // CVE-2015-9235: the provider's public key used as an HMAC secret.
        (
            "algorithm",
            Jwt::new(ISSUER)
                .header("kid", "rsa")
                .subject("alice_1")
                .claim("aud", AUDIENCE)
                .encode(&EncodingKey::from_secret(&rsa_public))
                .unwrap(),
        ),
        // RFC 7515 A.5: an unsecured JWS.
        (
            "algorithm",
            format!(
                "{}.{}.",
                b64(r#"{"alg":"none"}"#),
                b64(&payload.to_string())
            ),
        ),
        (
            "algorithm",
            format!(
                "{}.{}.",
                b64(r#"{"alg":"NONE"}"#),
                b64(&payload.to_string())
            ),
        ),
        ("malformed", "not.a.jwt".to_owned()),
        ("malformed", "x".repeat(9000)),
        (
            "claims",
            id_token("rsa_a", RS256, "rsa", |j| j.claim("iat", "yesterday")),
        ),
        // Twilio Voice accepts only letters, digits and underscores.
        (
            "identity",
            id_token("rsa_a", RS256, "rsa", |j| {
                j.subject("alice@example.com").claim("roles", "support")
            }),
        ),
    ];
    for (check, token) in &cases {
        let (status, body) = exchange(&server, token, json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{check}: {body}");
        assert_eq!(body["check"], *check, "{body}");
        assert!(!body["message"].as_str().unwrap().is_empty());
    }
    // An email is a fine identity for Video.
    let (status, body) = exchange(
        &server,
        &id_token("rsa_a", RS256, "rsa", |j| j.subject("alice@example.com")),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let text = metrics(&server).await;
    for (result, n) in [
        ("ok", 10),
        ("algorithm", 4),
        ("malformed", 2),
        ("audience", 1),
        ("identity", 1),
        ("unknown_kid", 1),
    ] {
        let line = format!("twilio_token_exchanges_total{{result=\"{result}\"}} {n}\n");
        assert!(text.contains(&line), "{line} in\n{text}");
    }
    let log = std::fs::read_to_string(setup.dir.path().join("server.log")).unwrap();
    for (_, token) in &cases {
        let signature = token.rsplit('.').next().unwrap();
        assert!(
            signature.len() < 20 || !log.contains(signature),
            "a token reached the log"
        );
    }
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn a_bad_issuers_file_stops_the_server_and_names_it() {
    let setup = Setup::new(json!({"jwks_url": "http://idp.example/jwks", "algorithms": ["HS256"]}));
    let out = Command::new(env!("CARGO_BIN_EXE_twilio-token"))
        .current_dir(setup.dir.path())
        .args([
            "serve",
            "--policy",
            "policy.json",
            "--issuers",
            "issuers.json",
        ])
        .env("TWILIO_ACCOUNT_SID", common::ACCOUNT)
        .env("TWILIO_API_KEY_SID", common::KEY)
        .env("TWILIO_API_KEY_SECRET", common::SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--issuers issuers.json"), "{stderr}");
    assert!(stderr.contains("https"), "{stderr}");
}

#[test]
fn decode_verifies_with_a_jwks_file_or_url() {
    let token = id_token("ec_p384", Algorithm::ES384, "p384", |j| j);
    let set = jwks(&[("rsa_a", "rsa"), ("ec_p384", "p384")]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, &set).unwrap();
    let provider = Provider::start(set);
    for source in [file.display().to_string(), provider.url.clone()] {
        let out = Command::new(env!("CARGO_BIN_EXE_twilio-token"))
            .args([
                "decode", &token, "--jwks", &source, "--iss", ISSUER, "--aud", AUDIENCE,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(printed["header"]["kid"], "p384");
        assert_eq!(printed["payload"]["sub"], "alice_1");

        let out = Command::new(env!("CARGO_BIN_EXE_twilio-token"))
            .args(["decode", &token, "--jwks", &source, "--aud", "someone-else"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("audience"));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_twilio-token"))
        .args(["decode", &token, "--jwks", "http://idp.example/jwks.json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "plain http to a remote host is refused"
    );
}

/// `POST /token` sent as twilio-video-app-react's `fetch` sends it: the ID token alone in
/// `Authorization`, and `JSON.stringify`'s body. The status and the JSON answer.
fn video_app_request(server: &common::Server, id_token: &str, body: &str) -> (u16, Value) {
    let address = server.url.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST /token HTTP/1.1\r\nHost: {address}\r\nauthorization: {id_token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let (_, json) = answer.split_once("\r\n\r\n").unwrap();
    (status, serde_json::from_str(json).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_video_apps_request_is_answered_as_it_expects_and_denied_identities_are_not() {
    let setup = Setup::new(json!({
        "jwks_file": "idp.pem", "algorithms": ["EdDSA"], "identity_template": "user_{sub}"
    }));
    let dir = setup.dir.path();
    std::fs::write(dir.join("idp.pem"), fixture("ed25519.pub.pem")).unwrap();
    let policy = |video_app: bool| {
        json!({"video_app": video_app, "roles": {
            "user": {"grants": [{"video": {}}], "rooms": ["team-*"], "room_type": "go"},
            "support": {"grants": [{"voice": {"incoming_allow": true}}]}
        }})
        .to_string()
    };
    std::fs::write(dir.join("policy.json"), policy(true)).unwrap();
    let server = setup.serve();
    let token = id_token("ed25519", Algorithm::EdDSA, "any", |j| j);

    // useFirebaseAuth's body, then usePasscodeAuth's shape (with create_room).
    for (body, room) in [
        (
            r#"{"user_identity":"user_alice_1","room_name":"team-a","create_conversation":true}"#,
            "team-a",
        ),
        (
            r#"{"user_identity":"user_alice_1","room_name":"team-b","create_room":true,"create_conversation":false}"#,
            "team-b",
        ),
    ] {
        let (status, answer) = video_app_request(&server, &token, body);
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["room_type"], "go");
        let claims = access_claims(&answer);
        assert_eq!(
            claims["grants"]["identity"], "user_alice_1",
            "the issuer's template"
        );
        assert_eq!(claims["grants"]["video"]["room"], room);
    }
    // The identity is the ID token's, never the app's claim; rooms are the policy's.
    for (body, message) in [
        (
            r#"{"user_identity":"mallory","room_name":"team-a","create_conversation":true}"#,
            "user_identity",
        ),
        (
            r#"{"user_identity":"user_alice_1","room_name":"secret","create_conversation":true}"#,
            "room",
        ),
    ] {
        let (status, answer) = video_app_request(&server, &token, body);
        assert_eq!(status, 403, "{answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(message),
            "{answer}"
        );
    }

    // Denied by identity, within a second, on the exchange too.
    let deny = |action: &str| {
        let out = Command::new(common::bin())
            .args([
                "deny",
                action,
                "user_alice_1",
                "--database-url",
                &common::database(dir),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    deny("add");
    let start = Instant::now();
    loop {
        let (status, body) = exchange(&server, &token, json!({"room": "team-a"})).await;
        if status == StatusCode::FORBIDDEN {
            assert_eq!(body["message"], "this identity is denied tokens");
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "still minted after a second"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    deny("remove");
    // Minted again within a second of the removal.
    let start = Instant::now();
    while exchange(&server, &token, json!({"room": "team-a"})).await.0 != StatusCode::OK {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "still refused a second after the removal"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A reload (SIGHUP) swaps the policy and the issuers together: the switch off (the
    // default), where a bare Authorization header is malformed, and another template.
    std::fs::write(dir.join("policy.json"), policy(false)).unwrap();
    let mut issuers: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("issuers.json")).unwrap()).unwrap();
    issuers["issuers"][0]["identity_template"] = json!("member_{sub}");
    std::fs::write(dir.join("issuers.json"), issuers.to_string()).unwrap();
    let hup = Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    let start = Instant::now();
    loop {
        let (status, body) = exchange(&server, &token, json!({"room": "team-a"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["identity"] == "member_alice_1" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "not reloaded: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let body =
        r#"{"user_identity":"user_alice_1","room_name":"team-a","create_conversation":true}"#;
    let (status, answer) = video_app_request(&server, &token, body);
    assert_eq!(status, 400, "{answer}");
}
