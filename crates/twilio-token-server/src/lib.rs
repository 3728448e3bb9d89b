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
//! - [`config`]: settings, checked at start and again on each reload ([`Reloader`]), naming
//!   whatever is wrong; [`keys`]: the API keys file, for rotating keys.
//! - [`app`]: the routes and handlers; [`error`]: every failure and its HTTP status, and
//!   why a server cannot start.
//! - [`store`]: one trait per concern (users, sessions, the deny list, the database, its
//!   changes) under [`UserStore`], their SQLite and PostgreSQL implementations, and [`Store`],
//!   whichever a database URL names.
//! - [`passwords`]: argon2id on a bounded blocking pool.
//! - [`session`]: signed session cookies and the session cache; [`deny`]: the deny list;
//!   [`events`]: what other servers change (ended sessions, the deny list), as the store
//!   reports it and the server applies it; [`limiter`]: failed-login limits; [`client`]: who
//!   a request is from, behind trusted proxies too.
//! - [`credentials`]: what `POST /token` is asked with, as one extractor.
//! - [`policy`]: roles, grant templates and allowed rooms; [`metrics`]: `/metrics`;
//!   [`observe`]: the layer that counts, logs and marks every response.
//! - [`exchange`]: identity providers' ID tokens traded for access tokens; [`jwks`]: their
//!   keys, fetched and cached.
//! - [`page`]: the browser page at `/`, embedded, under a strict Content-Security-Policy;
//!   [`routes`]: a router that keeps the list of its routes, for the OpenAPI document.
//! - [`serve`]: the listener, for what axum's own cannot do (header deadlines, per-client
//!   connection limits, lingering close), and graceful shutdown (after the drain period that
//!   [`run`] gives a server told to stop).

pub mod app;
pub mod client;
pub mod config;
pub mod credentials;
pub mod deny;
pub mod error;
pub mod events;
pub mod exchange;
pub mod jwks;
pub mod keys;
pub mod limiter;
pub mod metrics;
pub mod observe;
pub mod page;
pub mod passwords;
pub mod policy;
pub mod routes;
pub mod serve;
pub mod session;
pub mod store;

use std::sync::{Arc, Weak};

use tokio::net::TcpListener;

pub use config::{Config, Settings};
pub use error::StartError;
pub use store::{PgStore, SqliteStore, Store, UserStore};

/// Runs the server for `config` on `listener` until `shutdown` completes.
pub async fn run<S: UserStore>(
    config: &Config,
    store: S,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), StartError> {
    run_announced(config, store, listener, shutdown, |_| {}).await
}

/// [`run`], calling `ready` once the server is set up, with the handle that reloads its
/// configuration files (the binary calls it on SIGHUP).
pub async fn run_announced<S: UserStore>(
    config: &Config,
    store: S,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
    ready: impl FnOnce(Reloader<S>),
) -> Result<(), StartError> {
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
    // The store says what other servers change; one follower applies it, for the server's life.
    let (sender, mut receiver) = events::channel();
    let listening = Arc::new(tokio::sync::Notify::new());
    let background = [tokio::spawn(state.store.watch(sender)), {
        let state = Arc::downgrade(&state);
        let listening = Arc::clone(&listening);
        tokio::spawn(async move {
            while let Some(event) = receiver.recv().await {
                let Some(state) = state.upgrade() else { return };
                let heard = event == events::Event::Listening;
                state.apply(event);
                if heard {
                    listening.notify_one();
                }
            }
        })
    }];
    // A server sharing its database is ready once it hears the others' changes: wait a little
    // for that before saying it is up, so that /readyz answers 200 from then on (a database
    // that does not answer leaves it at 503, as it should).
    if state.store.shared() {
        let _ = tokio::time::timeout(LISTEN_WAIT, listening.notified()).await;
    }
    ready(Reloader {
        state: Arc::downgrade(&state),
        sources: config.sources.clone(),
    });
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
    served.map_err(StartError::Listener)
}

/// How long a server sharing its database waits to hear the others' changes before it says it
/// is up.
const LISTEN_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads a running server's configuration files again: the API keys, the policy and the
/// issuers. [`run_announced`] hands one out once the server is up.
pub struct Reloader<S> {
    state: Weak<app::AppState<S>>,
    sources: config::Sources,
}

impl<S: UserStore> Reloader<S> {
    /// Reads the files and swaps what they say in at once (requests in flight finish with what
    /// they started with; identity providers whose keys come from where they did keep the keys
    /// fetched). A configuration that does not load changes nothing. Returns the SID of the
    /// key that signs from now on. Reads files: call it off the async runtime's threads.
    pub fn reload(&self) -> Result<String, config::ReloadError> {
        let state = self.state.upgrade().ok_or(config::ReloadError::Stopped)?;
        if let Some(path) = &self.sources.api_keys {
            keys::warn_if_readable(path);
        }
        let reloadable = self.sources.reload()?;
        let signing_key = reloadable.keys.signing_key.clone();
        state.reload(reloadable)?;
        Ok(signing_key)
    }
}
