//! The ceiling of this stack: a bare axum handler answering a fixed 420-byte JSON body, served
//! by the same listener as the token server. `scripts/loadtest.sh` measures it beside the
//! server. Prints `listening on http://ADDR`.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::{get, post};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let body: &'static str = Box::leak(
        format!(
            "{{\"token\":\"{}\",\"identity\":\"alice\",\"expires_at\":1700003600}}",
            "x".repeat(365)
        )
        .into_boxed_str(),
    );
    assert_eq!(body.len(), 420);
    let json = move || async move { ([("content-type", "application/json")], body) };
    let app = Router::new()
        .route("/token", post(json))
        .route("/healthz", get(|| async { "ok\n" }));
    let bind: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into())
        .parse()
        .expect("HOST:PORT");
    let listener = tokio::net::TcpListener::bind(bind).await?;
    println!("listening on http://{}", listener.local_addr()?);
    twilio_token_server::serve::serve(
        listener,
        app,
        twilio_token_server::serve::Limits::default(),
        twilio_token_server::serve::shutdown_signal(),
    )
    .await
}
