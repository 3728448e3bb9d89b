//! The listener: HTTP/1.1 with a deadline for request headers (slow clients cannot hold
//! connections open), and a graceful shutdown that finishes requests in flight.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Told of every request once it is answered: method, path, status and latency. Here, rather
/// than in a middleware, it costs no allocation per request.
pub type Observer = Arc<dyn Fn(&Method, &str, StatusCode, Duration) + Send + Sync>;

/// An observer that does nothing.
pub fn unobserved() -> Observer {
    Arc::new(|_: &Method, _: &str, _: StatusCode, _: Duration| {})
}

/// How long in-flight requests get to finish once shutdown starts.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `shutdown` completes, then drains.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    observe: Observer,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
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
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let observe = observe.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            let started = Instant::now();
            let method = request.method().clone();
            let uri = request.uri().clone();
            let response = app.clone().oneshot(request.map(axum::body::Body::new));
            let observe = observe.clone();
            async move {
                let response = response.await;
                if let Ok(response) = &response {
                    observe(&method, uri.path(), response.status(), started.elapsed());
                }
                response
            }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // Resets and timeouts end connections; they are not the server's errors.
            let _ = connection.await;
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

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
