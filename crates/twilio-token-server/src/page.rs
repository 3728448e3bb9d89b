//! The browser page, embedded in the binary: plain HTML, CSS and a small script, no CDN and
//! no build step. Its responses carry a strict Content-Security-Policy: the page loads only
//! its own script and style, talks only to this server, and cannot be framed.

use axum::http::{HeaderValue, Method, header};
use axum::response::IntoResponse;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::routes::Routes;

const INDEX: &str = include_str!("../assets/index.html");
const SCRIPT: &str = include_str!("../assets/app.js");
const STYLE: &str = include_str!("../assets/app.css");

/// The policy the page's responses carry.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `GET /`.
pub async fn index() -> impl IntoResponse {
    asset("text/html; charset=utf-8", INDEX)
}

/// `GET /app.js`.
pub async fn script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /app.css`.
pub async fn style() -> impl IntoResponse {
    asset("text/css; charset=utf-8", STYLE)
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

/// The page's routes (`/`, `/app.js`, `/app.css`), each response with the CSP and its
/// companions (`nosniff`, which every response carries, is
/// [`ObserveLayer`](crate::observe::ObserveLayer)'s).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Routes<S> {
    let set =
        |name, value| SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value));
    Routes::default()
        .route(Method::GET, "/", index)
        .route(Method::GET, "/app.js", script)
        .route(Method::GET, "/app.css", style)
        .layer(set(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(set(header::REFERRER_POLICY, "no-referrer"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
}
