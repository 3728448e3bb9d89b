//! An identity provider's signing keys: a JWK Set fetched over HTTPS and cached, or read once
//! from a file.
//!
//! The cached copy is used until its `Cache-Control: max-age` runs out (then it is refreshed in
//! the background while the old keys keep working), and refreshed at once when a token names a
//! `kid` the cache does not have: a provider rotating its keys is picked up on the first token
//! signed with the new one. Only one fetch runs at a time, and none starts within the configured
//! interval after the previous one ended, so a flood of tokens with made-up `kid`s costs the
//! provider one request per interval. A provider that is down or slow
//! leaves the cached keys in use; with none cached, requests get a 503 after at most the fetch
//! timeout.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use twilio_token::DecodingKey;
use twilio_token::jwk::{Jwk, JwkSet};

/// Why keys could not be read or fetched. The messages never quote a key or a URL's
/// credentials.
#[derive(Debug)]
pub enum Error {
    /// The configured location is not a URL.
    NotAUrl(String),
    /// The URL is neither https nor http to this machine (shown redacted).
    NotHttps(String),
    /// The keys themselves: not a JWK Set or PEM public key, or none that verifies.
    Keys(String),
    /// The HTTP client could not be started.
    Client(String),
    /// The fetch failed: no answer in time, a failed request or body, a non-2xx status, or a
    /// document too large.
    Fetch(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::NotAUrl(why) => write!(f, "is not a URL: {why}"),
            Error::NotHttps(url) => write!(
                f,
                "{url} must be an https URL (plain http only to a loopback address)"
            ),
            Error::Keys(why) | Error::Fetch(why) => f.write_str(why),
            Error::Client(why) => write!(f, "cannot start the HTTP client: {why}"),
        }
    }
}

impl std::error::Error for Error {}

/// The largest JWK Set document read; providers publish a few kilobytes.
const MAX_DOCUMENT: usize = 256 * 1024;
/// How long fetched keys are fresh when the response says nothing.
const DEFAULT_FRESH: Duration = Duration::from_secs(300);
/// The longest a `max-age` is believed.
const MAX_FRESH: Duration = Duration::from_secs(86_400);

/// Where the keys come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Fetched over HTTPS (or plain http to a loopback address, for tests).
    Url(reqwest::Url),
    /// Read once at start from a JWK Set or PEM public key file.
    Fixed(Arc<JwkSet>),
}

impl Source {
    /// A source for `url`, which must be https, or http to 127.0.0.1, ::1 or localhost.
    pub fn url(url: &str) -> Result<Source, Error> {
        let parsed = reqwest::Url::parse(url).map_err(|e| Error::NotAUrl(e.to_string()))?;
        match allowed(&parsed) {
            true => Ok(Source::Url(parsed)),
            false => Err(Error::NotHttps(redacted(&parsed))),
        }
    }

    /// A source read from `text`: see [`key_file`].
    pub fn file(text: &[u8]) -> Result<Source, Error> {
        key_file(text).map(|set| Source::Fixed(Arc::new(set)))
    }
}

/// The keys in a file: a JWK Set, or one PEM public key (RSA, P-256, P-384 or Ed25519).
pub fn key_file(text: &[u8]) -> Result<JwkSet, Error> {
    if text.trim_ascii_start().starts_with(b"-----BEGIN") {
        let key = DecodingKey::from_public_pem(text).map_err(|e| Error::Keys(e.to_string()))?;
        return Ok(JwkSet::from_keys(vec![Jwk::new(key)]));
    }
    parse(text)
}

/// https anywhere, plain http only to this machine.
fn allowed(url: &reqwest::Url) -> bool {
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    url.scheme() == "https" || (url.scheme() == "http" && loopback)
}

/// A URL for logs and messages: without a password or query, which may hold credentials.
pub fn redacted(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.to_string()
}

fn parse(document: &[u8]) -> Result<JwkSet, Error> {
    let set = JwkSet::from_json(document).map_err(|e| Error::Keys(e.to_string()))?;
    for skipped in set.skipped() {
        tracing::warn!(%skipped, "JWK skipped");
    }
    if set.keys().is_empty() {
        return Err(Error::Keys(
            "the JWK Set has no key that can verify signatures".into(),
        ));
    }
    Ok(set)
}

/// Why no keys could be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable;

/// How fetched keys are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchPolicy {
    /// The shortest time between two fetches.
    pub min_interval: Duration,
    /// The longest a fetch may take.
    pub timeout: Duration,
}

#[derive(Debug, Default)]
struct Cached {
    keys: Option<Arc<JwkSet>>,
    fresh_until: Option<Instant>,
    last_attempt: Option<Instant>,
    refreshing: bool,
}

/// One issuer's keys.
#[derive(Debug)]
pub struct KeyCache {
    source: Source,
    client: reqwest::Client,
    policy: FetchPolicy,
    cached: RwLock<Cached>,
    /// Held while a fetch runs, so there is only one at a time.
    fetching: tokio::sync::Mutex<()>,
}

/// What one fetch counted, for `/metrics`.
pub type FetchCounter = Arc<dyn Fn(bool) + Send + Sync>;

impl KeyCache {
    /// A cache for `source`.
    pub fn new(source: Source, client: reqwest::Client, policy: FetchPolicy) -> Arc<Self> {
        let cached = match &source {
            Source::Fixed(set) => Cached {
                keys: Some(Arc::clone(set)),
                ..Cached::default()
            },
            Source::Url(_) => Cached::default(),
        };
        Arc::new(KeyCache {
            source,
            client,
            policy,
            cached: RwLock::new(cached),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// Whether this cache fetches from `source` as `policy` says: a key file is read anew each
    /// time, so only a URL's cache serves again.
    pub fn serves(&self, source: &Source, policy: FetchPolicy) -> bool {
        match (&self.source, source) {
            (Source::Url(mine), Source::Url(theirs)) => mine == theirs && self.policy == policy,
            _ => false,
        }
    }

    /// The keys to verify with: the cached ones (starting a background refresh when they are
    /// stale), or, with none cached, a fetch now.
    pub async fn keys(self: &Arc<Self>, count: &FetchCounter) -> Result<Arc<JwkSet>, Unavailable> {
        let (keys, stale) = {
            let cached = self.cached.read().unwrap_or_else(|e| e.into_inner());
            let stale = cached
                .fresh_until
                .is_some_and(|t| Instant::now() >= t && !cached.refreshing);
            (cached.keys.clone(), stale)
        };
        match keys {
            Some(keys) => {
                if stale && self.may_fetch() {
                    self.cached
                        .write()
                        .unwrap_or_else(|e| e.into_inner())
                        .refreshing = true;
                    let this = Arc::clone(self);
                    let count = Arc::clone(count);
                    tokio::spawn(async move {
                        // Cleared however the refresh ends, so that a later one can start.
                        let _done = Refreshing(&this);
                        let _ = this.refresh(&count).await;
                    });
                }
                Ok(keys)
            }
            None => self.refresh(count).await,
        }
    }

    /// After a token named a `kid` that `seen` lacks: fetches again, unless a fetch ran too
    /// recently, and returns the keys if they changed.
    pub async fn refresh_for_unknown_kid(
        self: &Arc<Self>,
        seen: &Arc<JwkSet>,
        count: &FetchCounter,
    ) -> Option<Arc<JwkSet>> {
        let keys = self.refresh(count).await.ok()?;
        (!Arc::ptr_eq(&keys, seen)).then_some(keys)
    }

    fn may_fetch(&self) -> bool {
        let cached = self.cached.read().unwrap_or_else(|e| e.into_inner());
        matches!(self.source, Source::Url(_))
            && cached
                .last_attempt
                .is_none_or(|t| t.elapsed() >= self.policy.min_interval)
    }

    /// Fetches the keys, unless another fetch ran within the minimum interval (then the
    /// current keys are the answer). Fetches never overlap.
    async fn refresh(&self, count: &FetchCounter) -> Result<Arc<JwkSet>, Unavailable> {
        let Source::Url(url) = &self.source else {
            return self.current();
        };
        let _one_at_a_time = self.fetching.lock().await;
        if !self.may_fetch() {
            return self.current();
        }
        let fetched = fetch(&self.client, url, self.policy.timeout).await;
        // The interval runs from the end of a fetch, so slow fetches cannot run back to back.
        self.cached
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .last_attempt = Some(Instant::now());
        let url = redacted(url);
        match fetched {
            Ok((set, fresh_for)) => {
                count(true);
                let set = Arc::new(set);
                let mut cached = self.cached.write().unwrap_or_else(|e| e.into_inner());
                cached.keys = Some(Arc::clone(&set));
                cached.fresh_until = Some(Instant::now() + fresh_for.max(self.policy.min_interval));
                tracing::info!(%url, keys = set.keys().len(), "fetched the JWK Set");
                Ok(set)
            }
            Err(e) => {
                count(false);
                // The message names the URL and what failed; a JWKS holds no secret.
                tracing::warn!(%url, error = %e, "cannot fetch the JWK Set; keeping the cached keys");
                self.current()
            }
        }
    }

    fn current(&self) -> Result<Arc<JwkSet>, Unavailable> {
        let cached = self.cached.read().unwrap_or_else(|e| e.into_inner());
        cached.keys.clone().ok_or(Unavailable)
    }
}

/// Clears the cache's `refreshing` flag when dropped.
struct Refreshing<'a>(&'a KeyCache);

impl Drop for Refreshing<'_> {
    fn drop(&mut self) {
        self.0
            .cached
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .refreshing = false;
    }
}

/// Fetches a JWK Set from `url` within `timeout`: the set, and how long it is fresh (its
/// `Cache-Control: max-age`, or five minutes).
pub async fn fetch(
    client: &reqwest::Client,
    url: &reqwest::Url,
    timeout: Duration,
) -> Result<(JwkSet, Duration), Error> {
    let fetch_error = Error::Fetch;
    let work = async {
        let mut response = client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| fetch_error(format!("request failed: {}", request_error(e))))?;
        if !response.status().is_success() {
            return Err(fetch_error(format!(
                "the server answered {}",
                response.status()
            )));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_DOCUMENT as u64)
        {
            return Err(fetch_error("the document is larger than 256 KiB".into()));
        }
        let fresh_for = max_age(response.headers()).unwrap_or(DEFAULT_FRESH);
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| fetch_error(format!("reading the body failed: {}", e.without_url())))?
        {
            if body.len() + chunk.len() > MAX_DOCUMENT {
                return Err(fetch_error("the document is larger than 256 KiB".into()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((parse(&body)?, fresh_for.min(MAX_FRESH)))
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| fetch_error(format!("no answer within {} ms", timeout.as_millis())))?
}

/// A failed request, without its URL; a refused redirect says why.
fn request_error(e: reqwest::Error) -> String {
    let why = match e.is_redirect() {
        true => std::error::Error::source(&e).map(|why| format!(": {why}")),
        false => None,
    };
    format!("{}{}", e.without_url(), why.unwrap_or_default())
}

/// `max-age` from `Cache-Control`; `no-cache` or `no-store` anywhere in it counts as zero.
fn max_age(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::CACHE_CONTROL)?.to_str().ok()?;
    let mut age = None;
    for directive in value.split(',').map(|d| d.trim().to_ascii_lowercase()) {
        if directive == "no-cache" || directive == "no-store" {
            return Some(Duration::ZERO);
        }
        if let Some(seconds) = directive.strip_prefix("max-age=") {
            age = seconds
                .trim_matches('"')
                .parse()
                .ok()
                .map(Duration::from_secs);
        }
    }
    age
}

/// The HTTP client for key fetches: rustls with the WebPKI roots, no cookies, and at most three
/// redirects, each checked by `redirect_refused`.
pub fn client() -> Result<reqwest::Client, Error> {
    let redirects = reqwest::redirect::Policy::custom(|attempt| {
        // The first of `previous` is the configured URL; the last one answered the redirect.
        let from = attempt.previous().last().cloned();
        if attempt.previous().len() > 3 {
            attempt.stop()
        } else if let Some(why) = from.and_then(|from| redirect_refused(&from, attempt.url())) {
            attempt.error(why)
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder()
        .redirect(redirects)
        .user_agent(concat!("twilio-token/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Client(e.to_string()))
}

/// Why a redirect from `from` to `to` is not followed, if it is not: it may not change the
/// scheme (so https never becomes http, even to loopback, where a configured http URL is
/// allowed), and must lead where the configuration itself could point.
fn redirect_refused(from: &reqwest::Url, to: &reqwest::Url) -> Option<&'static str> {
    if from.scheme() != to.scheme() {
        Some("a redirect may not change the scheme (https stays https)")
    } else if !allowed(to) {
        Some("a redirect may only lead to https (plain http only to a loopback address)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http_is_fetched() {
        assert!(Source::url("https://idp.example/.well-known/jwks.json").is_ok());
        assert!(Source::url("http://127.0.0.1:8080/jwks").is_ok());
        assert!(Source::url("http://localhost/jwks").is_ok());
        assert!(Source::url("http://idp.example/jwks").is_err());
        assert!(Source::url("file:///etc/passwd").is_err());
        assert!(Source::url("not a url").is_err());
        let e = Source::url("http://user:hunter2@idp.example/jwks?token=s3cret")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2") && !e.contains("s3cret"), "{e}");
    }

    #[test]
    fn max_age_is_read_from_cache_control() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(max_age(&headers), None);
        headers.insert("cache-control", "public, max-age=600".parse().unwrap());
        assert_eq!(max_age(&headers), Some(Duration::from_secs(600)));
        headers.insert("cache-control", "no-store".parse().unwrap());
        assert_eq!(max_age(&headers), Some(Duration::ZERO));
        headers.insert("cache-control", "max-age=soon".parse().unwrap());
        assert_eq!(max_age(&headers), None);
        headers.insert("cache-control", "max-age=600, no-cache".parse().unwrap());
        assert_eq!(max_age(&headers), Some(Duration::ZERO));
    }

    /// A loopback stand-in: `/jwks` is a key set, `/to/URL` answers 302 to URL.
    fn provider() -> String {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let mut stream = stream.unwrap();
                let mut request = [0; 4096];
                let n = stream.read(&mut request).unwrap_or(0);
                let request = String::from_utf8_lossy(&request[..n]);
                let path = request.split(' ').nth(1).unwrap_or("/");
                let answer = match path.strip_prefix("/to/") {
                    Some(to) => format!(
                        "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    ),
                    None => {
                        let body = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
                        format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                    }
                };
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        base
    }

    #[test]
    fn a_redirect_may_not_change_the_scheme_nor_leave_the_allowed_urls() {
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        let refused = |from: &str, to: &str| redirect_refused(&url(from), &url(to));
        // https to http is refused even to loopback, where a configured http URL is allowed.
        let e = refused("https://127.0.0.1/jwks", "http://127.0.0.1/jwks").unwrap();
        assert!(e.contains("scheme"), "{e}");
        assert!(refused("https://idp.example/jwks", "http://idp.example/jwks").is_some());
        assert!(refused("http://127.0.0.1/jwks", "https://idp.example/jwks").is_some());
        assert!(refused("http://127.0.0.1/a", "http://idp.example/jwks").is_some());
        assert!(refused("https://idp.example/a", "https://keys.example/jwks").is_none());
        assert!(refused("http://127.0.0.1:1/a", "http://localhost:2/jwks").is_none());
    }

    #[tokio::test]
    async fn key_fetches_follow_only_redirects_that_keep_the_scheme() {
        let base = provider();
        let client = client().unwrap();
        let get = |path: String| {
            let client = client.clone();
            async move {
                let url = reqwest::Url::parse(&path).unwrap();
                fetch(&client, &url, Duration::from_secs(5)).await
            }
        };
        let (set, _) = get(format!("{base}/jwks")).await.unwrap();
        assert_eq!(set.keys().len(), 1);
        // Loopback http to loopback http: followed.
        let (set, _) = get(format!("{base}/to/{base}/jwks")).await.unwrap();
        assert_eq!(set.keys().len(), 1);
        // To another scheme, or to plain http beyond loopback: refused before any connection,
        // saying why.
        let https = base.replacen("http://", "https://", 1);
        for (to, why) in [
            (format!("{https}/jwks"), "scheme"),
            ("http://idp.example/jwks".to_owned(), "loopback"),
        ] {
            let e = get(format!("{base}/to/{to}"))
                .await
                .unwrap_err()
                .to_string();
            assert!(e.contains("redirect") && e.contains(why), "{to}: {e}");
        }
    }
}
