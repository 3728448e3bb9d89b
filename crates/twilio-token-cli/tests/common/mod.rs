//! What the test files that run `twilio-token serve` share.

// Each test file uses the part it needs.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

#[path = "../../../twilio-token-server/tests/suite/support/shared.rs"]
mod shared;
// Each test file uses the part it needs.
#[allow(unused_imports)]
pub use shared::{fixture, fixture_key, jwks, raw, session_cookie, verify};

/// The test account, API key and secret every server under test signs with.
pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const KEY: &str = "SK0123456789abcdef0123456789abcdef";
pub const SECRET: &str = "3b9cfb2d8a7e41f0a1c5e6d7f8091a2b";

/// The `twilio-token` binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_twilio-token"))
}

/// The PostgreSQL server the tests run against as well (a URL without a database, e.g.
/// `postgres://postgres@127.0.0.1:5433`), when `TWILIO_TOKEN_TEST_POSTGRES` names one:
/// scripts/test.sh starts one and runs the server's suites a second time with it.
pub fn postgres() -> Option<String> {
    std::env::var("TWILIO_TOKEN_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
}

/// For a test that means nothing without PostgreSQL (marked `#[ignore]`, run by the
/// PostgreSQL pass): fails, rather than passing untested, when none is named.
pub fn require_postgres() {
    assert!(
        postgres().is_some(),
        "this test needs TWILIO_TOKEN_TEST_POSTGRES (scripts/test.sh starts a server and sets it)"
    );
}

thread_local! {
    /// Set by a test of SQLite's own files, for the thread that runs it.
    static SQLITE_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// For a test of SQLite's own files: from now on, the calling test's [`database`] is a SQLite
/// file on the PostgreSQL pass too, so that the test runs its assertions on both passes.
pub fn sqlite_only() {
    SQLITE_ONLY.set(true);
}

/// The test database of `dir`: a SQLite file in it or, on PostgreSQL, a database of its own
/// (created on first use, named after `dir`).
pub fn database(dir: &Path) -> String {
    let Some(server) = postgres().filter(|_| !SQLITE_ONLY.get()) else {
        return format!("sqlite://{}", dir.join("users.db").display());
    };
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut hasher);
    let name = format!("t{:016x}", hasher.finish());
    static CREATED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut created = CREATED.lock().unwrap_or_else(|e| e.into_inner());
    if !created.contains(&name) {
        let out = psql(
            &format!("{server}/postgres"),
            &format!("CREATE DATABASE {name}"),
        );
        assert!(
            out.status.success() || String::from_utf8_lossy(&out.stderr).contains("already exists"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        created.push(name.clone());
    }
    format!("{server}/{name}")
}

/// `psql URL -c SQL`, its output unaligned.
pub fn psql(url: &str, sql: &str) -> std::process::Output {
    Command::new("psql")
        .args([url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql is installed (scripts/test.sh installs PostgreSQL)")
}

/// Everything the test database of `dir` holds, as text: the SQLite file's bytes, or the rows
/// of the PostgreSQL database's tables.
pub fn stored(dir: &Path) -> String {
    match postgres() {
        None => ["users.db", "users.db-wal"]
            .iter()
            .map(|f| {
                String::from_utf8_lossy(&std::fs::read(dir.join(f)).unwrap_or_default())
                    .into_owned()
            })
            .collect(),
        Some(_) => {
            let out = psql(
                &database(dir),
                "SELECT string_agg(t::text, E'\\n') FROM (SELECT u::text AS t FROM users u \
                 UNION ALL SELECT s::text FROM sessions s UNION ALL SELECT k::text FROM settings k) x",
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    }
}

/// `twilio-token users ...` against the test database, with `stdin` as its input.
pub fn users(dir: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    spawn_users(dir, args, stdin).wait_with_output().unwrap()
}

/// [`users`], started and given its input but not waited for, so that several can race.
pub fn spawn_users(dir: &Path, args: &[&str], stdin: &str) -> std::process::Child {
    let mut child = Command::new(bin())
        .arg("users")
        .args(args)
        .args(["--database-url", &database(dir)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child
}

/// Adds a user to the test database.
pub fn add_user(dir: &Path, name: &str, password: &str, role: &str) {
    let out = users(
        dir,
        &["add", name, "--role", role, "--password-stdin"],
        &format!("{password}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `twilio-token serve` in `dir`, on a free loopback port, with the test database and
/// credentials; add flags, environment and stderr, then [`Server::spawn`] it.
pub fn serve_command(dir: &Path) -> Command {
    let mut command = Command::new(bin());
    command
        .current_dir(dir)
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url"])
        .arg(database(dir))
        .env("TWILIO_ACCOUNT_SID", ACCOUNT)
        .env("TWILIO_API_KEY_SID", KEY)
        .env("TWILIO_API_KEY_SECRET", SECRET);
    command
}

/// A running `twilio-token serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Server {
    /// Spawns `command` (a `serve --bind 127.0.0.1:0 ...`) and waits for its `listening on`
    /// line.
    pub fn spawn(mut command: Command) -> Server {
        let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{line:?}"))
            .to_owned();
        Server { child, url }
    }

    /// The address of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `scripts/postgres.sh COMMAND DIR` (start, stop, resume a PostgreSQL server of a test's own):
/// its output.
pub fn postgres_script(command: &str, dir: &Path) -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/postgres.sh");
    let out = Command::new("bash")
        .arg(script)
        .args([command, &dir.display().to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Asks `ask` until it answers `want`, for at most five seconds: for what a server does within
/// a bound, without sleeping the bound out.
pub async fn until<T: PartialEq + std::fmt::Debug, F: Future<Output = T>>(
    want: T,
    mut ask: impl FnMut() -> F,
) {
    let started = std::time::Instant::now();
    loop {
        let got = ask().await;
        if got == want {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "still {got:?}, not {want:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
