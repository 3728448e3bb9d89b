//! The one cross-cutting layer: every response is counted in the metrics, logged (method,
//! path, status and latency; never headers or bodies) and marked `nosniff`. A tower layer with
//! its own future, so that observing a request allocates nothing.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::extract::Request;
use axum::http::{HeaderValue, Method, Uri, header};
use axum::response::Response;

use crate::metrics::Metrics;

/// Wraps a service in [`Observe`].
#[derive(Clone)]
pub struct ObserveLayer {
    metrics: Arc<Metrics>,
}

impl ObserveLayer {
    /// A layer counting into `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        ObserveLayer { metrics }
    }
}

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            metrics: Arc::clone(&self.metrics),
        }
    }
}

/// A service whose responses are observed.
#[derive(Clone)]
pub struct Observe<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S> tower::Service<Request> for Observe<S>
where
    S: tower::Service<Request, Response = Response>,
    S::Future: Unpin,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Observed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Observed<S::Future> {
        Observed {
            started: Instant::now(),
            method: request.method().clone(),
            uri: request.uri().clone(),
            metrics: Arc::clone(&self.metrics),
            inner: self.inner.call(request),
        }
    }
}

/// The future of an observed response.
pub struct Observed<F> {
    inner: F,
    started: Instant,
    method: Method,
    uri: Uri,
    metrics: Arc<Metrics>,
}

impl<F, E> Future for Observed<F>
where
    F: Future<Output = Result<Response, E>> + Unpin,
{
    type Output = Result<Response, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut response = ready!(Pin::new(&mut this.inner).poll(cx))?;
        response.headers_mut().insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        let latency = this.started.elapsed();
        this.metrics.observe(latency);
        // A URI's path holds no control characters (the parser refuses them), so no client
        // can write a line of its own into the log through it.
        tracing::info!(method = %this.method, path = %this.uri.path(), status = response.status().as_u16(), micros = latency.as_micros() as u64, "request");
        Poll::Ready(Ok(response))
    }
}
