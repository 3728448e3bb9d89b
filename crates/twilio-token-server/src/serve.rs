//! The listener, kept for what axum's own `serve` cannot do: a deadline and a size cap for
//! request headers, a cap on the connections one client address may hold and on all
//! connections (slow clients cannot hold the server's connections), and a lingering close;
//! plus a graceful shutdown that finishes requests in flight. Everything else (routing,
//! extractors, the middleware that counts and logs) is axum's, in [`crate::app`].
//!
//! It also says who each request is from ([`ClientAddress`], in the request's extensions) and
//! over which scheme ([`crate::client::Scheme`]). A
//! trusted proxy's connections carry many clients: they are not capped as one client's, and
//! instead each forwarded client may have as many requests in flight at once as a direct one
//! may hold connections.
//!
//! The lingering close is nginx's: a connection the server ends while the client may still be
//! sending (a 413 for a body too large, a 431 for a head too large) is shut for writing, and
//! what the client still sends is read and thrown away, up to [`LINGER_BYTES`] or
//! [`Limits::linger`], before the socket is closed. Closing a socket with unread data makes the
//! kernel send a reset, which destroys the answer in the client's buffers before a client that
//! writes its whole body first (most HTTP libraries) has read it. hyper closes its end of the
//! connection itself, so the listener keeps a second handle on each socket for this.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use crate::client::{ClientAddress, TrustedProxies};

/// What the listener allows a client.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// Longest a closing connection is read from (the lingering close) before it is closed.
    pub linger: Duration,
    /// Largest request head (request line and headers), in bytes; larger ones get a 431.
    pub max_header_bytes: usize,
    /// Connections one client address may hold open at once; more are closed on arrival.
    pub per_client: usize,
    /// Connections open at once; past this, new ones wait in the kernel's backlog.
    pub total: usize,
    /// The proxies whose forwarding headers name the client.
    pub trusted_proxies: Arc<TrustedProxies>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(5),
            linger: Duration::from_secs(3),
            max_header_bytes: 32 * 1024,
            per_client: 256,
            total: 16_384,
            trusted_proxies: Arc::default(),
        }
    }
}

/// Open connections (or, through a trusted proxy, requests in flight) per client, counted
/// as the login limits count addresses ([`ClientAddress::limit_key`]).
#[derive(Default)]
struct PerClient(Mutex<HashMap<IpAddr, usize>>);

impl PerClient {
    /// Counts one for `client`, unless it already has `max`.
    fn admit(self: &Arc<Self>, client: ClientAddress, max: usize) -> Option<ClientSlot> {
        let ip = client.limit_key();
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(ClientSlot(Arc::clone(self), ip))
    }
}

/// One admitted connection or request; dropping it frees the client's slot.
struct ClientSlot(Arc<PerClient>, IpAddr);

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.0.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.1);
            }
        }
    }
}

/// How long in-flight requests get to finish once shutdown starts.
const DRAIN: Duration = Duration::from_secs(30);

/// The most a closing connection reads before it is closed.
pub const LINGER_BYTES: usize = 4 << 20;

/// Serves `app` on `listener` until `shutdown` completes, then drains.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    if !limits.trusted_proxies.is_empty() {
        tracing::info!(trusted_proxies = ?limits.trusted_proxies, "client addresses come from these proxies' forwarding headers");
    }
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    let per_client = Arc::new(PerClient::default());
    let total = Arc::new(tokio::sync::Semaphore::new(limits.total));
    tokio::pin!(shutdown);
    loop {
        // At the cap, stop accepting: new connections wait in the backlog, not in memory.
        let permit = tokio::select! {
            permit = Arc::clone(&total).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: back off rather than spin.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let proxied = limits.trusted_proxies.contains(peer.ip());
        let slot = match proxied {
            true => None,
            false => match per_client.admit(peer.ip().into(), limits.per_client) {
                Some(slot) => Some(slot),
                None => {
                    tracing::debug!(client = %peer.ip(), "connection refused: too many from this client");
                    drop(stream);
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let Some((stream, linger)) = with_second_handle(stream) else {
            continue;
        };
        let app = app.clone();
        let (trusted, per_client, max, linger_for) = (
            Arc::clone(&limits.trusted_proxies),
            Arc::clone(&per_client),
            limits.per_client,
            limits.linger,
        );
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            // A direct client is its peer, over http: what the extractors take when nothing
            // else is said, so only a proxied request carries more.
            let in_flight = proxied.then(|| {
                let client = trusted.client(peer.ip(), request.headers());
                let scheme = trusted.scheme(peer.ip(), request.headers());
                let extensions = request.extensions_mut();
                extensions.insert(client);
                extensions.insert(scheme);
                per_client.admit(client, max).ok_or(client)
            });
            let app = app.clone();
            async move {
                if let Some(Err(client)) = in_flight {
                    tracing::debug!(%client, "request refused: too many at once from this client");
                    return Ok(crate::error::ApiError::TooManyAtOnce.into_response());
                }
                let response = app.oneshot(request.map(axum::body::Body::new)).await;
                drop(in_flight);
                response
            }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // Resets and timeouts end connections; they are not the server's errors.
            let ended = connection.await;
            // A client that timed out sending its head is slow, not sending a body: no linger.
            if !ended.is_err_and(|e| e.is_timeout()) {
                lingering_close(linger, linger_for).await;
            }
            drop((slot, permit));
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing requests in flight");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(DRAIN) => tracing::warn!("connections still open after {DRAIN:?}; closing"),
    }
    Ok(())
}

/// The stream, and a second handle on its socket for [`lingering_close`].
fn with_second_handle(stream: TcpStream) -> Option<(TcpStream, std::net::TcpStream)> {
    let made = stream.into_std().and_then(|stream| {
        let second = stream.try_clone()?;
        Ok((TcpStream::from_std(stream)?, second))
    });
    made.inspect_err(|e| tracing::warn!(error = %e, "connection dropped: cannot set it up"))
        .ok()
}

/// Shuts `stream` for writing, then reads and discards what the client still sends until it
/// closes its end, or [`LINGER_BYTES`] or `longest` is reached.
async fn lingering_close(stream: std::net::TcpStream, longest: Duration) {
    // The peer may already be gone; then there is nothing to wait for.
    if stream.shutdown(std::net::Shutdown::Write).is_err() {
        return;
    }
    let Ok(mut stream) = TcpStream::from_std(stream) else {
        return;
    };
    let deadline = tokio::time::Instant::now() + longest;
    let mut discarded = 0;
    let mut buf = vec![0u8; 16 * 1024];
    while discarded < LINGER_BYTES {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => discarded += n,
            _ => break,
        }
    }
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when
/// the future is first polled: call it before announcing that the server is ready, so that a
/// signal sent as soon as it is never meets the default action, which kills the process.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        async fn received(signal: Option<Signal>) {
            match signal {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        let terminate = signal(SignalKind::terminate()).ok();
        let interrupt = signal(SignalKind::interrupt()).ok();
        async move {
            tokio::select! {
                () = received(terminate) => {},
                () = received(interrupt) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
