//! What teams running the server in production ask for, through the binary: Regions and nbf
//! policies refused at start, several API keys rotated by SIGHUP under load, identity rules and
//! the deny list. Runs on SQLite and (with `TWILIO_TOKEN_TEST_POSTGRES`) on PostgreSQL. (What a
//! role's Region and nbf put on tokens is the server crate's `roles` tests, in process.)

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};
use twilio_token::key::ApiKeys;
use twilio_token::{Claims, Validation, dangerous};

use common::{ACCOUNT, add_user, bin, database, users};

const KEY_A: &str = "SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const KEY_B: &str = "SKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const SECRET_A: &str = "secret-of-key-a-0123456789";
const SECRET_B: &str = "secret-of-key-b-9876543210";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// `serve` in `dir` with `args`, its log in `dir/server.log`.
fn serve(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> common::Server {
    let mut command = common::serve_command(dir);
    command
        .args(["--insecure-cookies"])
        .args(args)
        .env("RUST_LOG", "info")
        .stderr(std::fs::File::create(dir.join("server.log")).unwrap());
    for (k, v) in env {
        command.env(k, v);
    }
    common::Server::spawn(command)
}

/// `serve` with the keys of `keys.json` instead of the environment's.
fn serve_with_keys(dir: &Path, args: &[&str]) -> common::Server {
    let mut command = common::serve_command(dir);
    command
        .env_remove("TWILIO_API_KEY_SID")
        .env_remove("TWILIO_API_KEY_SECRET")
        .args(["--insecure-cookies", "--api-keys", "keys.json"])
        .args(args)
        .env("RUST_LOG", "info")
        .stderr(std::fs::File::create(dir.join("server.log")).unwrap());
    common::Server::spawn(command)
}

fn write(dir: &Path, name: &str, value: &Value) {
    std::fs::write(dir.join(name), value.to_string()).unwrap();
}

fn keys_file(signing: &str, keys: &[(&str, &str)]) -> Value {
    let keys: Vec<Value> = keys
        .iter()
        .map(|(sid, secret)| json!({"sid": sid, "secret": secret}))
        .collect();
    json!({"signing_key": signing, "keys": keys})
}

fn hangup(server: &common::Server) {
    let status = Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
}

/// Waits (at most 5 s) until the server's log holds `needle` `count` times.
fn wait_for_log(dir: &Path, needle: &str, count: usize) {
    let start = Instant::now();
    while log(dir).matches(needle).count() < count {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "no {needle:?} in the log:\n{}",
            log(dir)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `serve` in `dir` with `--policy policy.json` and `env`, expected to refuse to start: its
/// exit code and stderr.
fn refused_start(dir: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(bin());
    command
        .current_dir(dir)
        .args(["serve", "--bind", "127.0.0.1:0", "--policy", "policy.json"])
        .args(["--database-url", &database(dir)])
        .env("TWILIO_ACCOUNT_SID", ACCOUNT)
        .env("TWILIO_API_KEY_SID", KEY_A)
        .env("TWILIO_API_KEY_SECRET", SECRET_A);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn login(server: &common::Server, user: &str, password: &str) -> reqwest::Response {
    client()
        .post(server.url("/token"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap()
}

/// A login's session cookie, for refreshes.
async fn session(server: &common::Server, user: &str, password: &str) -> String {
    let response = login(server, user, password).await;
    assert_eq!(response.status(), StatusCode::OK);
    let set = response.headers()[SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

async fn refresh(server: &common::Server, cookie: &str) -> reqwest::Response {
    client()
        .post(server.url("/token"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

async fn token_of(response: reqwest::Response) -> (String, Value) {
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    (body["token"].as_str().unwrap().to_owned(), body)
}

/// The Region of tokens is the router's (the server crate's `roles` tests); a name that is no
/// Region's stops the server at start, naming the setting.
#[test]
fn an_unknown_region_stops_the_server_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for (env, policy, needle) in [
        (
            "eu1",
            json!({"roles": {"user": {"grants": []}}}),
            "--region (TWILIO_REGION) \"eu1\": not a Twilio Region",
        ),
        (
            "",
            json!({"roles": {"user": {"grants": [], "region": "us2"}}}),
            "--policy policy.json",
        ),
    ] {
        write(dir, "policy.json", &policy);
        let (code, stderr) = refused_start(dir, &[("TWILIO_REGION", env)]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
        assert!(stderr.contains("us1, ie1, au1"), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_rotate_by_sighup_under_load_without_a_failed_request() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    add_user(dir, "alice", "correct horse battery", "user");
    write(dir, "keys.json", &keys_file(KEY_A, &[(KEY_A, SECRET_A)]));
    let server = Arc::new(serve_with_keys(dir, &[]));
    let cookie = session(&server, "alice", "correct horse battery").await;

    // Refreshes without pause, on four connections, while the keys rotate.
    let both = ApiKeys::new()
        .with(KEY_A, SECRET_A.as_bytes())
        .with(KEY_B, SECRET_B.as_bytes());
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut load = Vec::new();
    for _ in 0..4 {
        let (server, cookie, stop) = (Arc::clone(&server), cookie.clone(), Arc::clone(&stop));
        let (ok, failed, both) = (Arc::clone(&ok), Arc::clone(&failed), both.clone());
        load.push(tokio::spawn(async move {
            // The keys that signed this connection's tokens, in turn.
            let mut signers = Vec::<String>::new();
            let c = client();
            while !stop.load(Ordering::Relaxed) {
                let response = c
                    .post(server.url("/token"))
                    .header(COOKIE, &cookie)
                    .send()
                    .await;
                let token = match response {
                    Ok(r) if r.status() == StatusCode::OK => r.json::<Value>().await.ok(),
                    _ => None,
                };
                let verified = token.as_ref().and_then(|body| {
                    twilio_token::decode::<Claims>(
                        body["token"].as_str()?,
                        &both,
                        &Validation::default(),
                    )
                    .ok()
                });
                match verified {
                    Some(data) => {
                        ok.fetch_add(1, Ordering::Relaxed);
                        let iss = data.claims["iss"].as_str().unwrap().to_owned();
                        if signers.last() != Some(&iss) {
                            signers.push(iss);
                        }
                    }
                    None => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            signers
        }));
    }
    let pause = || tokio::time::sleep(Duration::from_millis(300));
    pause().await;
    let reloads = |n| wait_for_log(dir, "reloaded the API keys", n);
    // Add the new key; then sign with it; then drop the old one.
    write(
        dir,
        "keys.json",
        &keys_file(KEY_A, &[(KEY_A, SECRET_A), (KEY_B, SECRET_B)]),
    );
    hangup(&server);
    reloads(1);
    pause().await;
    write(
        dir,
        "keys.json",
        &keys_file(KEY_B, &[(KEY_A, SECRET_A), (KEY_B, SECRET_B)]),
    );
    hangup(&server);
    reloads(2);
    pause().await;
    write(dir, "keys.json", &keys_file(KEY_B, &[(KEY_B, SECRET_B)]));
    hangup(&server);
    reloads(3);
    pause().await;
    // A file that does not load changes nothing, and the log says why without the secret.
    std::fs::write(
        dir.join("keys.json"),
        format!(r#"{{"signing_key": "{KEY_A}", "keys": [{{"sid": "{KEY_B}", "secret": "leaked-{SECRET_B}"}}]}}"#),
    )
    .unwrap();
    hangup(&server);
    wait_for_log(dir, "reload failed", 1);
    pause().await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        // Each connection's requests, one after another, were signed by A, then by B alone.
        assert_eq!(task.await.unwrap(), [KEY_A, KEY_B]);
    }

    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    assert_eq!(failed, 0, "{ok} requests succeeded");
    assert!(ok > 40, "only {ok} requests were made");
    let log = log(dir);
    assert!(
        log.contains("signing_key is not one of the keys") || log.contains("signing_key"),
        "{log}"
    );
    assert!(!log.contains(SECRET_A) && !log.contains(SECRET_B), "{log}");
    // Still B's tokens after the failed reload.
    let (token, _) = token_of(refresh(&server, &cookie).await).await;
    let only_b = ApiKeys::new().with(KEY_B, SECRET_B.as_bytes());
    assert!(twilio_token::decode::<Claims>(&token, &only_b, &Validation::default()).is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reload_swaps_the_policy_and_a_broken_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    add_user(dir, "alice", "correct horse battery", "user");
    write(
        dir,
        "policy.json",
        &json!({"roles": {"user": {"grants": [{"video": {"room": "One"}}]}}}),
    );
    let server = serve(dir, &["--policy", "policy.json"], &[]);
    let cookie = session(&server, "alice", "correct horse battery").await;
    let room = |token: &str| {
        dangerous::decode_unverified(token).unwrap().claims["grants"]["video"]["room"].clone()
    };
    let (token, _) = token_of(refresh(&server, &cookie).await).await;
    assert_eq!(room(&token), "One");
    write(
        dir,
        "policy.json",
        &json!({"roles": {"user": {"grants": [{"video": {"room": "Two"}}]}}}),
    );
    hangup(&server);
    wait_for_log(dir, "reloaded", 1);
    let (token, _) = token_of(refresh(&server, &cookie).await).await;
    assert_eq!(room(&token), "Two");
    std::fs::write(dir.join("policy.json"), "{\"roles\": ").unwrap();
    hangup(&server);
    wait_for_log(dir, "reload failed", 1);
    assert!(log(dir).contains("--policy policy.json"), "{}", log(dir));
    let (token, _) = token_of(refresh(&server, &cookie).await).await;
    assert_eq!(room(&token), "Two");
}

/// `users add` keeps each product's identity rules (what a login is then minted, and a user
/// added before a stricter policy, are the server crate's `identities` tests).
#[test]
fn users_add_keeps_each_products_identity_rules() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    write(
        dir,
        "policy.json",
        &json!({"roles": {
            "user": {"grants": [{"video": {}}]},
            "agent": {"grants": [{"voice": {"incoming_allow": true}}], "identity_template": "agent_{identity}"},
            "chatter": {"grants": [{"chat": {"service_sid": "IS0123456789abcdef0123456789abcdef"}}]},
            "syncer": {"grants": [{"sync": {"service_sid": "IS0123456789abcdef0123456789abcdef"}}]}
        }}),
    );
    let policy = dir.join("policy.json").display().to_string();
    let add = |name: &str, role: &str| {
        users(
            dir,
            &[
                "add",
                name,
                "--role",
                role,
                "--password-stdin",
                "--policy",
                &policy,
            ],
            "correct horse battery\n",
        )
    };
    let long = "v".repeat(129);
    // Within Voice's 121 characters, but not once the template's 6 are added: the message
    // shows the result.
    let long_agent = "v".repeat(118);
    let agent_result = format!("identity \"agent_{long_agent}\" (124 characters)");
    for (name, role, rule) in [
        ("carol@example.com", "agent", "Twilio Voice identity"),
        (long_agent.as_str(), "agent", agent_result.as_str()),
        (long.as_str(), "user", "Twilio Video identity"),
        (
            "carol@example.com",
            "chatter",
            "Twilio Conversations/Chat identity",
        ),
        ("carol", "nobody", "is not in the policy"),
    ] {
        let out = add(name, role);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name} {role}: {stderr}");
        assert!(stderr.contains(rule), "{stderr}");
    }
    let out = users(dir, &["list"], "");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "",
        "nothing was added"
    );
    for (name, role) in [
        ("carol_1", "agent"),
        ("carol@example.com", "user"),
        ("carol.1", "chatter"),
    ] {
        let out = add(name, role);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn users_add_refuses_an_identity_another_principal_has_or_could_be_given() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    write(
        dir,
        "policy.json",
        &json!({"roles": {
            "user": {"grants": [{"video": {}}]},
            "agent": {"grants": [{"voice": {}}], "identity_template": "agent_{identity}"}
        }}),
    );
    let keys = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../twilio-token/tests/fixtures/keys"
    );
    std::fs::copy(format!("{keys}/ed25519.pub.pem"), dir.join("idp.pem")).unwrap();
    write(
        dir,
        "issuers.json",
        &json!({"issuers": [{"issuer": "https://idp.example.com/", "audiences": ["app"],
            "jwks_file": "idp.pem", "algorithms": ["EdDSA"], "role_rules": [
                {"claim": "roles", "value": "agent", "role": "agent"}]}]}),
    );
    let (policy, issuers) = (
        dir.join("policy.json").display().to_string(),
        dir.join("issuers.json").display().to_string(),
    );
    let add = |name: &str, role: &str| {
        let args = [
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
            "--policy",
            &policy,
        ];
        let out = users(
            dir,
            &[&args[..], &["--issuers", &issuers]].concat(),
            "correct horse battery\n",
        );
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(add("carol", "agent").0, Some(0));
    assert_eq!(add("agent_x", "user").0, Some(0));
    for (name, role, why) in [
        // carol's identity, agent_carol, through another role.
        (
            "agent_carol",
            "user",
            r#"which user "carol" (role agent) has already"#,
        ),
        // agent_x's, through the agent role's template.
        (
            "x",
            "agent",
            r#"which user "agent_x" (role user) has already"#,
        ),
        // Where the provider's users' identities lie, with and without the agent template.
        (
            "idp_example_com_bob",
            "user",
            r#"namespace of issuer "https://idp.example.com/""#,
        ),
        (
            "idp_example_com_bob",
            "agent",
            r#"namespace of issuer "https://idp.example.com/""#,
        ),
    ] {
        let (code, stderr) = add(name, role);
        assert_eq!(code, Some(1), "{name} {role}: {stderr}");
        assert!(stderr.contains(why), "{name} {role}: {stderr}");
    }
    let listed = users(dir, &["list"], "");
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
        "agent_x\tuser\tenabled\ncarol\tagent\tenabled\n",
        "nothing else was added"
    );
}

/// `nbf` on tokens is the router's (the server crate's `roles` tests); a role that would set it
/// back more than 300 seconds stops the server at start.
#[test]
fn an_nbf_set_back_beyond_300_seconds_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    write(
        dir,
        "policy.json",
        &json!({"roles": {"user": {"grants": [], "nbf": 301}}}),
    );
    let (code, stderr) = refused_start(dir, &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("at most") || stderr.contains("0 to 300"));
}

fn deny(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .arg("deny")
        .args(args)
        .args(["--database-url", &database(dir)])
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denied_identity_is_refused_everywhere_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    add_user(dir, "alice", "correct horse battery", "user");
    add_user(dir, "bob", "correct horse battery", "user");
    // A fleet of two servers on one PostgreSQL database; one server on a SQLite file.
    let mut servers = vec![serve(dir, &[], &[])];
    if common::postgres().is_some() {
        let mut command = common::serve_command(dir);
        command
            .args(["--insecure-cookies"])
            .stderr(std::fs::File::create(dir.join("server-2.log")).unwrap());
        servers.push(common::Server::spawn(command));
    }
    let mut cookies = Vec::new();
    for server in &servers {
        cookies.push(session(server, "alice", "correct horse battery").await);
    }
    let out = deny(dir, &["add", "alice"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let denied_at = Instant::now();
    for (server, cookie) in servers.iter().zip(&cookies) {
        loop {
            let status = refresh(server, cookie).await.status();
            if status == StatusCode::FORBIDDEN {
                break;
            }
            assert_eq!(status, StatusCode::OK);
            assert!(
                denied_at.elapsed() < Duration::from_secs(1),
                "still refreshing after a second"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let response = login(server, "alice", "correct horse battery").await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["message"], "this identity is denied tokens");
        // A wrong password is still just wrong: the deny list tells nobody who exists.
        assert_eq!(
            login(server, "alice", "wrong password").await.status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            login(server, "bob", "correct horse battery").await.status(),
            StatusCode::OK
        );
    }
    let out = deny(dir, &["list"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "alice\tuser alice\n");
    assert!(
        deny(dir, &["add", "alice"]).status.success(),
        "adding twice is fine"
    );
    assert!(deny(dir, &["remove", "alice"]).status.success());
    assert_eq!(deny(dir, &["remove", "alice"]).status.code(), Some(1));
    let out = deny(dir, &["add", "bad\u{7}name"]);
    assert_eq!(out.status.code(), Some(2));
    let start = Instant::now();
    for (server, cookie) in servers.iter().zip(&cookies) {
        while refresh(server, cookie).await.status() != StatusCode::OK {
            assert!(start.elapsed() < Duration::from_secs(1));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Issue #24: an operator denies the person they see. With an identity template alice's
/// identity is `user_alice`, and `deny add alice` refuses her all the same (by name), on
/// logins and refreshes; `deny list` says whom an entry covers.
#[tokio::test(flavor = "multi_thread")]
async fn deny_add_by_name_refuses_the_user_whose_identity_a_template_makes() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    write(
        dir,
        "policy.json",
        &json!({"roles": {"user": {"grants": [{"video": {}}], "identity_template": "user_{identity}"}}}),
    );
    add_user(dir, "alice", "correct horse battery", "user");
    add_user(dir, "bob", "correct horse battery", "user");
    let server = serve(dir, &["--policy", "policy.json"], &[]);
    let cookie = session(&server, "alice", "correct horse battery").await;
    let (_, body) = token_of(refresh(&server, &cookie).await).await;
    assert_eq!(body["identity"], "user_alice");

    let policy = dir.join("policy.json").display().to_string();
    let out = deny(dir, &["add", "alice", "--policy", &policy]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("user alice (identity user_alice)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let denied_at = Instant::now();
    while refresh(&server, &cookie).await.status() != StatusCode::FORBIDDEN {
        assert!(
            denied_at.elapsed() < Duration::from_secs(1),
            "still refreshing"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let response = login(&server, "alice", "correct horse battery").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "this identity is denied tokens");
    assert_eq!(
        login(&server, "bob", "correct horse battery")
            .await
            .status(),
        StatusCode::OK
    );
    // Denying the minted identity covers the same user, and the list says so for each.
    assert!(deny(dir, &["add", "user_bob"]).status.success());
    let out = deny(dir, &["list", "--policy", &policy]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "alice\tuser alice (identity user_alice)\nuser_bob\tuser bob (identity user_bob)\n"
    );
    let start = Instant::now();
    while login(&server, "bob", "correct horse battery")
        .await
        .status()
        != StatusCode::FORBIDDEN
    {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "bob still logs in"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `serve --api-keys keys.json` in `dir` expected to refuse to start: its exit code and stderr.
fn refused_with_keys(dir: &Path) -> (Option<i32>, String) {
    let out = common::serve_command(dir)
        .env_remove("TWILIO_API_KEY_SID")
        .env_remove("TWILIO_API_KEY_SECRET")
        .args(["--api-keys", "keys.json"])
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Issue #24: a keys file with `sid` and `secret` swapped, or the secret where the signing
/// key's SID belongs, is refused naming the entry, never quoting the secret: at start, and on
/// a reload in text and JSON logs.
#[tokio::test(flavor = "multi_thread")]
async fn a_misplaced_secret_in_the_keys_file_is_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let swapped = keys_file(KEY_A, &[(KEY_A, SECRET_A), (SECRET_B, KEY_B)]);
    let in_signing_key = keys_file(SECRET_A, &[(KEY_A, SECRET_A)]);
    let mistakes = [
        (&swapped, "keys[1].sid is not an API key SID"),
        (&in_signing_key, "signing_key is not an API key SID"),
    ];
    for (file, message) in mistakes {
        write(dir, "keys.json", file);
        let (code, stderr) = refused_with_keys(dir);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains(message), "{stderr}");
        assert!(!stderr.contains("secret-of-key"), "{stderr}");
    }
    for format in ["text", "json"] {
        write(dir, "keys.json", &keys_file(KEY_A, &[(KEY_A, SECRET_A)]));
        let server = serve_with_keys(dir, &["--log-format", format]);
        for (n, (file, message)) in mistakes.iter().enumerate() {
            write(dir, "keys.json", file);
            hangup(&server);
            wait_for_log(dir, "reload failed", n + 1);
            assert!(log(dir).contains(message), "{format}: {}", log(dir));
        }
        let log = log(dir);
        assert!(!log.contains("secret-of-key"), "{format}: {log}");
        // Still serving, on the key it had.
        assert_eq!(
            client()
                .get(server.url("/healthz"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }
}

/// Issue #24: a keys file other local users can read is warned about, naming it and its mode,
/// at start and on each reload; it is not refused (Kubernetes mounts secrets 0644).
#[tokio::test(flavor = "multi_thread")]
async fn a_keys_file_other_users_can_read_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let warning = "the API keys file is open to other local users";
    write(dir, "keys.json", &keys_file(KEY_A, &[(KEY_A, SECRET_A)]));
    let chmod = |mode| {
        std::fs::set_permissions(dir.join("keys.json"), std::fs::Permissions::from_mode(mode))
            .unwrap()
    };
    chmod(0o644);
    let server = serve_with_keys(dir, &[]);
    wait_for_log(dir, warning, 1);
    let line = log(dir)
        .lines()
        .find(|l| l.contains(warning))
        .unwrap()
        .to_owned();
    assert!(line.contains("keys.json") && line.contains("644"), "{line}");
    hangup(&server);
    wait_for_log(dir, "reloaded the API keys", 1);
    wait_for_log(dir, warning, 2);
    chmod(0o600);
    hangup(&server);
    wait_for_log(dir, "reloaded the API keys", 2);
    assert_eq!(log(dir).matches(warning).count(), 2, "{}", log(dir));
    assert!(!log(dir).contains("secret-of-key"));
}

/// Issue #24: SIGHUP's handler is in place before the server says it listens: a SIGHUP sent
/// as soon as the line appears reloads, and never kills the server.
#[tokio::test(flavor = "multi_thread")]
async fn a_sighup_as_soon_as_the_server_listens_never_kills_it() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for _ in 0..5 {
        let mut server = serve(dir, &[], &[]);
        hangup(&server);
        wait_for_log(dir, "reloaded the API keys", 1);
        assert!(server.child.try_wait().unwrap().is_none(), "{}", log(dir));
        assert_eq!(
            client()
                .get(server.url("/healthz"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }
}

/// Issue #24: `users add` refuses a name that displays as another's, naming the rule, whatever
/// the role and policy (the server refuses such names at minting and from identity providers
/// too: twilio-token-server's `names_that_display_as_another_get_no_token_on_any_path`).
#[test]
fn users_add_refuses_names_that_display_as_another() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for (name, rule) in [
        ("ali\u{200B}ce", "invisible"),
        ("ali\u{00AD}ce", "invisible"),
        ("\u{202E}ecila", "direction-changing"),
        ("ａｌｉｃｅ", "NFKC"),
        ("\u{0430}lice", "Cyrillic"),
    ] {
        for role in ["user", "other"] {
            let out = users(
                dir,
                &["add", name, "--role", role, "--password-stdin"],
                "correct horse battery\n",
            );
            assert_eq!(out.status.code(), Some(2), "{name:?}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains(rule), "{name:?}: {stderr}");
        }
    }
    add_user(dir, "alice", "correct horse battery", "user");
}

/// `decode --explain` of a token the server under test minted, verified with its secret, as
/// if read a second before it expires: the exit code and what it printed.
fn explain(dir: &Path, token: &str) -> (Option<i32>, String) {
    let exp = dangerous::decode_unverified(token).unwrap().claims["exp"]
        .as_i64()
        .unwrap();
    let out = Command::new(bin())
        .current_dir(dir)
        .args(["decode", token, "--explain", "--secret", common::SECRET])
        .args(["--at", &(exp - 1).to_string()])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    (out.status.code(), printed.into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_never_mints_a_token_decode_explain_says_twilio_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // Every nbf policy, each with the longest ttl Twilio takes with it, and short ones; every
    // grant with an identity rule, a Region and a template.
    let grants = json!([{"video": {}}, {"voice": {"incoming_allow": true}},
        {"chat": {"service_sid": "IS0123456789abcdef0123456789abcdef"}},
        {"sync": {"service_sid": "IS0123456789abcdef0123456789abcdef"}}]);
    let roles = [
        ("now", json!("now"), 86_400),
        ("now_short", json!("now"), 180),
        ("omit", json!("omit"), 86_400),
        ("back_1", json!(1), 86_399),
        ("back_300", json!(300), 86_100),
        ("back_300_hour", json!(300), 3600),
    ];
    let mut policy = serde_json::Map::new();
    for (name, nbf, ttl) in &roles {
        policy.insert(
            (*name).into(),
            json!({"grants": grants, "nbf": nbf, "ttl": ttl}),
        );
    }
    policy["back_300"]["region"] = json!("ie1");
    policy["back_1"]["identity_template"] = json!("agent_{identity}");
    write(dir, "policy.json", &json!({"roles": policy}));
    for (name, _, _) in &roles {
        add_user(dir, &format!("user_{name}"), "correct horse battery", name);
    }
    let server = serve(dir, &["--policy", "policy.json"], &[]);
    for (name, _, ttl) in &roles {
        let user = format!("user_{name}");
        let cookie = session(&server, &user, "correct horse battery").await;
        // The password login's token and a refresh's: each path mints the same way.
        let (login_token, _) = token_of(login(&server, &user, "correct horse battery").await).await;
        let (refresh_token, _) = token_of(refresh(&server, &cookie).await).await;
        for token in [login_token, refresh_token] {
            let claims = dangerous::decode_unverified(&token).unwrap().claims;
            let (code, out) = explain(dir, &token);
            assert_eq!(code, Some(0), "{name}: {out}");
            assert!(!out.contains("problem"), "{name}: {out}");
            let start = claims
                .get("nbf")
                .unwrap_or(&claims["exp"])
                .as_i64()
                .unwrap();
            let exp = claims["exp"].as_i64().unwrap();
            assert!(exp - start <= 86_400, "{name}: {claims:?}");
            if *name != "omit" {
                assert!(exp - start >= i64::from(*ttl), "{name}: {claims:?}");
            }
        }
    }
    drop(server);

    // A role whose ttl and backdate add up to more than 24 hours stops the server at start,
    // naming it.
    for (ttl, nbf) in [(86_400, 1), (86_400, 300), (86_101, 300)] {
        write(
            dir,
            "policy.json",
            &json!({"roles": {"user": {"grants": [{"video": {}}]},
                "late": {"grants": [{"video": {}}], "ttl": ttl, "nbf": nbf}}}),
        );
        let (code, stderr) = refused_start(dir, &[]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("role \"late\" has ttl {ttl} and nbf {nbf}"))
                && stderr.contains("20157"),
            "{stderr}"
        );
    }
}
