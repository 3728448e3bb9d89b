//! The twilio-token server: a browser or mobile app asks `POST /token` with its user's
//! credentials and gets a Twilio access token back, or a 401.
//!
//! Users live in SQLite or PostgreSQL with argon2id password hashes; which grants a token carries is policy,
//! not code; a successful login also sets a signed, HttpOnly session cookie so the app can
//! refresh its token without keeping the password. An app that signs its users in with an
//! identity provider can instead send the provider's ID token as `Authorization: Bearer`.
//!
//! # Layout
//!
//! - [`config`]: settings, checked at start and again on each reload (SIGHUP), naming
//!   whatever is wrong; [`keys`]: the API keys file, for rotating keys.
//! - [`app`]: the routes and handlers; [`error`]: every failure and its HTTP status.
//! - [`store`]: the [`UserStore`] trait, its SQLite and PostgreSQL implementations, and
//!   [`Store`], whichever a database URL names.
//! - [`passwords`]: argon2id on a bounded blocking pool.
//! - [`session`]: signed session cookies; [`limiter`]: failed-login limits; [`client`]: who
//!   a request is from, behind trusted proxies too.
//! - [`credentials`]: what `POST /token` is asked with, as one extractor.
//! - [`policy`]: roles, grant templates and allowed rooms; [`metrics`]: `/metrics`;
//!   [`observe`]: the layer that counts, logs and marks every response.
//! - [`exchange`]: identity providers' ID tokens traded for access tokens; [`jwks`]: their
//!   keys, fetched and cached.
//! - [`page`]: the browser page at `/`, embedded, under a strict Content-Security-Policy.
//! - [`serve`]: the listener, for what axum's own cannot do (header deadlines, per-client
//!   connection limits, lingering close), and graceful shutdown (after the drain period that
//!   [`run`] gives a server told to stop).

pub mod app;
pub mod client;
pub mod config;
pub mod credentials;
pub mod error;
pub mod exchange;
pub mod jwks;
pub mod keys;
pub mod limiter;
pub mod metrics;
pub mod observe;
pub mod page;
pub mod passwords;
pub mod policy;
pub mod serve;
pub mod session;
pub mod store;

use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::{Config, Settings};
pub use store::{PgStore, SqliteStore, Store, UserStore};

/// Runs the server for `config` on `listener` until `shutdown` completes.
pub async fn run<S: UserStore>(
    config: &Config,
    store: S,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    run_announced(config, store, listener, shutdown, || {}).await
}

/// [`run`], calling `ready` once the server is set up: from then on a SIGHUP reloads. (Until
/// its handler is installed, a SIGHUP kills the process, so a server must not say it is up
/// before this.)
pub async fn run_announced<S: UserStore>(
    config: &Config,
    store: S,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
    ready: impl FnOnce(),
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let state = Arc::new(app::AppState::new(config, store).await?);
    if let Some(path) = &config.sources.api_keys {
        keys::warn_if_readable(path);
    }
    if let Ok(address) = listener.local_addr()
        && !address.ip().is_loopback()
        && config.limits.trusted_proxies.is_empty()
    {
        tracing::warn!(
            %address,
            "listening beyond loopback and trusting no proxy: behind a load balancer every client \
             has the balancer's address, and one client's failed logins lock out all; name the \
             balancer with --trusted-proxies"
        );
    }
    let router = app::router(Arc::clone(&state), config);
    let background = [
        tokio::spawn(reload_on_hangup(
            hangups(),
            Arc::downgrade(&state),
            config.sources.clone(),
        )),
        tokio::spawn(watch_deny_list(Arc::downgrade(&state))),
    ];
    ready();
    let drain = config.drain;
    // Told to stop, the server first says so at /readyz and keeps serving for the drain
    // period, so that a load balancer moves its clients away before anything is refused.
    let shutdown = async move {
        shutdown.await;
        state.begin_draining();
        tracing::info!("draining for {drain:?}: /readyz answers 503");
        tokio::time::sleep(drain).await;
    };
    let served = serve::serve(listener, router, config.limits.clone(), shutdown).await;
    background.iter().for_each(tokio::task::JoinHandle::abort);
    served?;
    Ok(())
}

/// How often the deny list is read from the store: a `deny add` on any server reaches every
/// server within this time (and the time a read takes).
pub const DENY_LIST_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);

/// Reads the deny list from the store every [`DENY_LIST_INTERVAL`] while the server runs. A
/// failed read keeps the list last read, and says so once.
async fn watch_deny_list<S: UserStore>(state: std::sync::Weak<app::AppState<S>>) {
    let mut failing = false;
    loop {
        tokio::time::sleep(DENY_LIST_INTERVAL).await;
        let Some(state) = state.upgrade() else { return };
        match state.refresh_denied().await {
            Ok(()) if failing => {
                failing = false;
                tracing::info!("the deny list is read again");
            }
            Ok(()) => {}
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "cannot read the deny list; keeping the last one read");
            }
            Err(_) => {}
        }
    }
}

/// The SIGHUPs from now on; `None` (and a warning) if they cannot be listened for.
#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = Option<()>;

/// Installs the SIGHUP handler at once (not when a task first runs), so that a SIGHUP sent
/// any time after this reloads instead of killing the process.
fn hangups() -> Hangups {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let hangups = signal(SignalKind::hangup()).ok();
        if hangups.is_none() {
            tracing::warn!("cannot listen for SIGHUP: reloads are off");
        }
        hangups
    }
    #[cfg(not(unix))]
    None
}

/// On each SIGHUP, reads the API keys, the policy and the issuers again and swaps them in at
/// once; a configuration that does not load changes nothing and is logged (never a secret).
async fn reload_on_hangup<S: UserStore>(
    hangups: Hangups,
    state: std::sync::Weak<app::AppState<S>>,
    sources: config::Sources,
) {
    #[cfg(unix)]
    {
        let Some(mut hangups) = hangups else { return };
        while hangups.recv().await.is_some() {
            let Some(state) = state.upgrade() else { return };
            if let Some(path) = &sources.api_keys {
                keys::warn_if_readable(path);
            }
            let reloaded = sources.reload().map_err(|e| e.to_string()).and_then(|r| {
                let signing = r.keys.signing_key.clone();
                state.reload(r).map(|()| signing).map_err(|e| e.to_string())
            });
            match reloaded {
                Ok(signing_key) => {
                    tracing::info!(%signing_key, "reloaded the API keys, policy and issuers");
                }
                Err(e) => {
                    tracing::error!(error = %e, "reload failed; the running configuration stays");
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (hangups, state, sources);
}
