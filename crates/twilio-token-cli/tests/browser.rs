//! The browser page, end to end: `twilio-token serve --demo` driven by Debian's Chromium,
//! headless, over WebDriver (chromedriver). Each step saves a screenshot to
//! `target/e2e-screenshots/`.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian's `chromium` and
//! `chromium-driver`; `scripts/test.sh` installs them).

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// A WebDriver session, spoken to over plain HTTP on loopback.
struct Browser {
    http: reqwest::Client,
    session: String,
    driver: Child,
    screenshots: PathBuf,
    step: usize,
    _profile: tempfile::TempDir,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    async fn start(name: &str) -> Browser {
        let port = free_port();
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (apt-get install chromium chromium-driver)");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    // A phone-sized window.
                    "--window-size=390,844",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }}});
        let response: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = response["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("{response}"))
            .to_owned();
        let screenshots = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/e2e-screenshots")
            .join(name);
        let _ = std::fs::remove_dir_all(&screenshots);
        std::fs::create_dir_all(&screenshots).unwrap();
        Browser {
            http,
            session: format!("{base}/session/{session}"),
            driver,
            screenshots,
            step: 0,
            _profile: profile,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response: Value = request.send().await.unwrap().json().await.unwrap();
        if let Some(error) = response["value"].get("error") {
            panic!("WebDriver {path}: {error} {}", response["value"]["message"]);
        }
        response["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    async fn reload(&self) {
        self.call(reqwest::Method::POST, "/refresh", Some(json!({})))
            .await;
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("{css}: {found}"))
            .to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/clear"),
            Some(json!({})),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Runs a script in the page and returns its value.
    async fn eval(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    async fn text(&self, css: &str) -> String {
        let script = format!(
            "const e = document.querySelector({css:?}); return e && !e.closest('[hidden]') ? e.textContent : null;"
        );
        self.eval(&script)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn visible(&self, css: &str) -> bool {
        let script = format!(
            "const e = document.querySelector({css:?}); return Boolean(e && !e.closest('[hidden]'));"
        );
        self.eval(&script).await == json!(true)
    }

    /// Waits (up to `limit`) until `check` holds on the page's state.
    async fn wait_for(&mut self, what: &str, limit: Duration, script: &str) {
        let started = Instant::now();
        loop {
            if self.eval(script).await == json!(true) {
                return;
            }
            if started.elapsed() > limit {
                self.screenshot(&format!("timeout-{what}")).await;
                panic!("timed out waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits up to 10 s for the element `id` to show (`what` names it in a failure).
    async fn wait_shown(&mut self, what: &str, id: &str) {
        let script = format!("return !document.getElementById('{id}').hidden");
        self.wait_for(what, Duration::from_secs(10), &script).await;
    }

    async fn screenshot(&mut self, name: &str) {
        self.step += 1;
        let png = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = STANDARD.decode(png.as_str().unwrap()).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(
            self.screenshots
                .join(format!("{:02}-{name}.png", self.step)),
            bytes,
        )
        .unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // End the session so that chromedriver closes Chromium (killing chromedriver alone
        // leaves the browser running), even when the test failed.
        let target = self
            .session
            .strip_prefix("http://")
            .and_then(|s| s.split_once('/'));
        if let Some((host, path)) = target
            && let Ok(mut stream) = std::net::TcpStream::connect(host)
        {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let request = format!(
                "DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            // Chromedriver answers once Chromium is closed, and keeps the connection open
            // after: read up to the end of the answer's head, not to the end of the stream.
            if std::io::Write::write_all(&mut stream, request.as_bytes()).is_ok() {
                let mut answer = Vec::new();
                let mut chunk = [0u8; 512];
                while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    match std::io::Read::read(&mut stream, &mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => answer.extend_from_slice(&chunk[..n]),
                    }
                }
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn demo_server(dir: &std::path::Path, policy: &std::path::Path) -> common::Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_twilio-token"));
    command
        .current_dir(dir)
        .args(["serve", "--demo", "--bind", "127.0.0.1:0", "--policy"])
        .arg(policy)
        .stderr(Stdio::null());
    common::Server::spawn(command)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Debian's chromium and chromium-driver: scripts/test.sh installs them and runs these"]
async fn the_page_signs_in_counts_down_refreshes_and_signs_out() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    // A 12-second token, so that the page refreshes it during the test, its nbf backdated by
    // five minutes (the page must time its refresh from the minting, not from nbf).
    std::fs::write(&policy, r#"{"roles":{"user":{"grants":[{"video":{"room":"My Room"}},{"voice":{"incoming_allow":true}}],"ttl":12,"nbf":300}}}"#).unwrap();
    let server = demo_server(dir.path(), &policy);
    let mut b = Browser::start("page").await;
    let url = format!("{}/", server.url);

    // The page loads under its CSP and says it is a demo.
    let page = reqwest::get(&url).await.unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    b.go(&url).await;
    b.wait_shown("the form", "signin").await;
    assert!(b.text("#demo").await.contains("placeholder key"));
    assert_eq!(
        b.eval("return document.activeElement.id").await,
        "username",
        "focus starts in the form"
    );
    b.screenshot("sign-in-form").await;

    // Wrong password: an error in words.
    b.type_into("#username", "demo").await;
    b.type_into("#password", "not the password").await;
    b.click("#signin-button").await;
    b.wait_shown("the error", "error").await;
    assert_eq!(b.text("#error").await, "Wrong username or password.");
    b.screenshot("wrong-password").await;

    // Locked out: the wait is given (another user's name, so demo's stays open).
    for _ in 0..6 {
        b.type_into("#username", "mallory").await;
        b.type_into("#password", "guess guess").await;
        b.click("#signin-button").await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    b.wait_for(
        "the lockout",
        Duration::from_secs(10),
        "return document.getElementById('error').textContent.startsWith('Too many')",
    )
    .await;
    assert!(
        b.text("#error").await.contains("Try again in"),
        "{}",
        b.text("#error").await
    );
    b.screenshot("locked-out").await;

    // The right password, submitted with Enter: identity, grants and a countdown.
    b.type_into("#username", "demo").await;
    b.type_into("#password", "demo-password\u{E007}").await;
    b.wait_shown("the session", "session").await;
    assert_eq!(b.text("#identity").await, "demo");
    let grants = b.text("#grants").await;
    assert!(
        grants.contains("Video: room My Room") && grants.contains("Voice: incoming calls"),
        "{grants}"
    );
    assert!(!b.visible("#error").await);
    let fits = b
        .eval("return document.documentElement.scrollWidth <= window.innerWidth")
        .await;
    assert_eq!(
        fits,
        json!(true),
        "no sideways scrolling on a phone-sized screen"
    );
    b.screenshot("signed-in").await;

    // The countdown runs.
    let seconds = |s: &str| {
        s.trim_start_matches("in ")
            .trim_end_matches(" s")
            .parse::<i64>()
            .unwrap_or(-1)
    };
    let first = seconds(&b.text("#countdown").await);
    assert!(first > 0, "{first}");
    common::until(true, || async {
        let later = seconds(&b.text("#countdown").await);
        later < first && later > 0
    })
    .await;
    b.screenshot("countdown").await;
    assert_eq!(
        b.eval("return document.querySelectorAll('#refreshes li').length")
            .await,
        0,
        "no refresh before the last quarter of the token's life"
    );

    // Before it expires, the page refreshes the token through the session.
    let token_before = b
        .eval("return document.getElementById('token').value")
        .await;
    b.wait_for(
        "a refresh",
        Duration::from_secs(15),
        "return document.querySelectorAll('#refreshes li').length >= 1",
    )
    .await;
    let token_after = b
        .eval("return document.getElementById('token').value")
        .await;
    assert_ne!(token_before, token_after, "a new token");
    assert!(b.text("#refreshes").await.contains("Refreshed at"));
    b.screenshot("refreshed").await;

    // The decoded view and the copy button.
    b.click("details summary").await;
    assert!(b.text("#claims").await.contains("\"identity\": \"demo\""));
    b.click("#copy").await;
    b.wait_for(
        "the copy",
        Duration::from_secs(5),
        "return document.getElementById('copy-status').textContent.length > 0",
    )
    .await;
    assert!(b.text("#copy-status").await.contains("Token"));
    b.screenshot("decoded-and-copied").await;

    // A reload keeps the session: no password needed.
    b.reload().await;
    b.wait_shown("the session after reload", "session").await;
    assert_eq!(b.text("#identity").await, "demo");
    b.screenshot("after-reload").await;

    // Sign out ends the session, also across a reload.
    b.click("#signout").await;
    b.wait_shown("the form after sign-out", "signin").await;
    b.reload().await;
    b.wait_shown("the form after reload", "signin").await;
    assert!(!b.visible("#session").await);
    b.screenshot("signed-out").await;

    // With the server gone, the page says so.
    drop(server);
    b.type_into("#username", "demo").await;
    b.type_into("#password", "demo-password").await;
    b.click("#signin-button").await;
    b.wait_for(
        "the unreachable message",
        Duration::from_secs(10),
        "return document.getElementById('error').textContent.startsWith('Cannot reach')",
    )
    .await;
    b.screenshot("server-unreachable").await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Debian's chromium and chromium-driver: scripts/test.sh installs them and runs these"]
async fn an_account_that_must_name_a_room_is_asked_for_one_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    // Rooms limited, no default room: a token must name one. An 8-second token, so that the
    // page refreshes it (naming the room again) during the test.
    std::fs::write(
        &policy,
        r#"{"roles":{"user":{"grants":[{"video":{}}],"rooms":["team-*"],"ttl":8}}}"#,
    )
    .unwrap();
    let server = demo_server(dir.path(), &policy);
    let mut b = Browser::start("room").await;
    b.go(&format!("{}/", server.url)).await;
    b.wait_shown("the form", "signin").await;

    // No room: the page says one is needed and puts the focus in the room field.
    b.type_into("#username", "demo").await;
    b.type_into("#password", "demo-password\u{E007}").await;
    b.wait_shown("the room message", "error").await;
    assert!(
        b.text("#error").await.contains("must name a room"),
        "{}",
        b.text("#error").await
    );
    assert_eq!(b.eval("return document.activeElement.id").await, "room");
    let fits = b
        .eval("return document.documentElement.scrollWidth <= window.innerWidth")
        .await;
    assert_eq!(fits, json!(true), "the form fits a phone-sized screen");
    b.screenshot("room-required").await;

    // With a room (typed where the focus is), the token is for that room.
    b.type_into("#password", "demo-password").await;
    b.type_into("#room", "team-red\u{E007}").await;
    b.wait_shown("the session", "session").await;
    assert!(b.text("#grants").await.contains("Video: room team-red"));
    b.screenshot("signed-in-to-a-room").await;

    // The refresh names the room again, and so does a reload into the same session.
    b.wait_for(
        "a refresh",
        Duration::from_secs(15),
        "return document.querySelectorAll('#refreshes li').length >= 1",
    )
    .await;
    assert!(b.text("#grants").await.contains("Video: room team-red"));
    b.reload().await;
    b.wait_shown("the session after reload", "session").await;
    assert!(b.text("#grants").await.contains("Video: room team-red"));
    b.screenshot("room-kept-after-reload").await;
}

/// A page of another origin that posts a sign-in form to `action` as soon as it loads: the
/// login CSRF an attacker's site would try. Served on a thread from a loopback port of its own.
fn attacker_page(action: &str) -> String {
    let page = format!(
        "<!doctype html><title>win a prize</title>\
         <form method=post action=\"{action}\">\
         <input name=username value=demo><input name=password value=demo-password></form>\
         <script>document.forms[0].submit()</script>"
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n")
                && std::io::Read::read(&mut stream, &mut byte).is_ok_and(|n| n == 1)
            {
                head.push(byte[0]);
            }
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = std::io::Write::write_all(&mut stream, answer.as_bytes());
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Debian's chromium and chromium-driver: scripts/test.sh installs them and runs these"]
async fn a_form_on_another_origin_cannot_sign_the_browser_in() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"roles":{"user":{"grants":[{"video":{"room":"My Room"}}]}}}"#,
    )
    .unwrap();
    let server = demo_server(dir.path(), &policy);
    let mut b = Browser::start("cross-origin").await;
    b.go(&attacker_page(&format!("{}/token", server.url))).await;
    b.wait_for(
        "the refusal",
        Duration::from_secs(10),
        "return document.body.innerText.includes('cross_site')",
    )
    .await;
    b.screenshot("cross-origin-form-refused").await;
    // The browser holds no session: the real page asks for a password.
    b.go(&format!("{}/", server.url)).await;
    b.wait_shown("the form", "signin").await;
    assert!(!b.visible("#session").await);
    b.screenshot("no-session-after-the-attack").await;
}
