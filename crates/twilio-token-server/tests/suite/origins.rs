//! Which pages may use the server from a browser, in process ([`twilio_token_server::run`] on a
//! loopback port): CORS answers only the origins named, and a page of another origin may not
//! sign in or out (the server's own origin, a named CORS origin, a trusted proxy's forwarded
//! host and clients that are not browsers may).

use crate::support;

use reqwest::StatusCode;
use reqwest::header::SET_COOKIE;
use serde_json::Value;
use support::{config, serve, store};
use twilio_token_server::passwords;
use twilio_token_server::store::Users;

const APP: &str = "https://app.example.com";

#[tokio::test]
async fn cors_is_for_named_origins_only() {
    let server = serve(config(|s| s.cors_origins = vec![APP.into()]), store().await).await;
    let client = reqwest::Client::new();
    let preflight = |origin: &str| {
        client
            .request(
                reqwest::Method::OPTIONS,
                format!("http://{}/token", server.address),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight(APP).await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], APP);
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    server.stop().await;
}

#[tokio::test]
async fn a_page_of_another_origin_cannot_sign_in_or_out() {
    let store = store().await;
    let hash = passwords::hash("attacker's own password");
    store.add_user("mallory", &hash, "user").await.unwrap();
    // The test client stands for a proxy that ends TLS, too.
    let config = config(|s| {
        s.cors_origins = vec![APP.into()];
        s.trusted_proxies = Some("127.0.0.1".into());
    });
    let server = serve(config, store).await;
    let own = format!("http://{}", server.address);
    let client = reqwest::Client::new();
    let form = [
        ("username", "mallory"),
        ("password", "attacker's own password"),
    ];
    let post = |path: &str, headers: &[(&str, &str)]| {
        let mut request = client.post(format!("{own}{path}")).form(&form);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    // A cross-site form post, the way a browser sends it.
    for headers in [
        &[("origin", "https://evil.example")][..],
        &[("origin", "null")],
        &[
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ],
        &[("sec-fetch-site", "cross-site")],
        // The server's own host over the scheme the proxy did not say.
        &[
            ("origin", "https://tokens.example.com"),
            ("x-forwarded-host", "tokens.example.com"),
        ],
    ] {
        for path in ["/token", "/logout"] {
            let response = post(path, headers).await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{path} {headers:?}"
            );
            assert!(response.headers().get(SET_COOKIE).is_none());
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], "cross_site", "{body}");
        }
    }
    // The server's own origin, a named CORS origin, a proxy's forwarded host, and clients that
    // are not browsers (no Origin) sign in.
    for headers in [
        &[("origin", own.as_str()), ("sec-fetch-site", "same-origin")][..],
        &[("origin", APP)],
        &[
            ("origin", "https://tokens.example.com"),
            ("x-forwarded-host", "tokens.example.com"),
            ("x-forwarded-proto", "https"),
        ],
        &[("sec-fetch-site", "same-origin")],
        &[],
    ] {
        let response = post("/token", headers).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{headers:?}");
    }
    let response = post("/logout", &[("origin", own.as_str())]).await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    server.stop().await;
}
