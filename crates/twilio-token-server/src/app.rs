//! The routes: `POST /token`, `POST /logout`, `GET /healthz`, `GET /metrics`.

use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};
use twilio_token::region::Region;
use twilio_token::{AccessToken, EncodingKey};

use crate::client::{ClientAddress, Scheme};
use crate::config::{Config, Reloadable};
use crate::credentials::{
    BodyLimits, Credentials, MAX_NAME, MAX_PASSWORD, RequestContext, TokenRequest, VideoApp,
};
use crate::deny::DenyList;
use crate::error::ApiError;
use crate::events::Event;
use crate::exchange::{ExchangeError, Exchanger, Namespaces, Refusal};
use crate::limiter::{LoginLimits, Outcome};
use crate::metrics::{Login, Metrics};
use crate::observe::ObserveLayer;
use crate::page;
use crate::passwords::Hasher;
use crate::policy::{Policy, Refusal as PolicyRefusal, Role};
use crate::routes::Routes;
use crate::session::{IdHash, SessionCache, Sessions};
use crate::store::UserStore;

/// What a reload replaces, at once: a request reads it once and uses that copy throughout.
pub(crate) struct Live {
    pub(crate) policy: Policy,
    signing_key_sid: Arc<str>,
    key: EncodingKey,
    /// The identity providers whose ID tokens are exchanged, if any.
    exchanger: Option<Exchanger>,
    /// Where their users' identities lie, which no password user's may.
    namespaces: Namespaces,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("signing_key_sid", &self.signing_key_sid)
            .finish_non_exhaustive()
    }
}

/// Everything the handlers share.
#[derive(Debug)]
pub struct AppState<S> {
    /// Users and sessions.
    pub store: S,
    live: RwLock<Arc<Live>>,
    account_sid: Arc<str>,
    region: Option<Region>,
    /// The identities refused tokens, as last heard from the store.
    denied: DenyList,
    pub(crate) sessions: Sessions,
    session_cache: Arc<SessionCache>,
    hasher: Hasher,
    limits: LoginLimits,
    max_body: usize,
    /// Origins besides the server's own that may post credentials (the CORS origins).
    allowed_origins: Vec<HeaderValue>,
    request_timeout: std::time::Duration,
    demo: bool,
    /// The counters behind `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Set once the server is told to stop: `/readyz` answers 503 from then on.
    draining: std::sync::atomic::AtomicBool,
    /// What `GET /metrics` must be asked with, if anything.
    metrics_token: Option<crate::config::Secret>,
}

impl<S: UserStore> AppState<S> {
    /// The state for `config`, with the cookie key kept in the store.
    pub async fn new(config: &Config, store: S) -> Result<Self, crate::StartError> {
        let cookie_key = store
            .secret(
                "session-cookie-key",
                crate::passwords::rand_bytes::<32>().to_vec(),
            )
            .await?;
        let metrics = Arc::new(Metrics::default());
        let session_cache = Arc::new(SessionCache::new(config.session_cache));
        // Until its events say they are heard, what other servers revoke is not.
        session_cache.set_trusted(!store.shared());
        let live = Live::new(config.reloadable.clone(), &metrics, None)?;
        let denied = DenyList::new(store.denied().await?);
        Ok(AppState {
            live: RwLock::new(Arc::new(live)),
            account_sid: config.account_sid.as_str().into(),
            region: config.region,
            denied,
            sessions: Sessions::new(&cookie_key, config.secure_cookies, config.session_ttl),
            session_cache,
            hasher: Hasher::new(config.hash_threads),
            limits: config.login_limits,
            max_body: config.max_body,
            allowed_origins: config.cors_origins.clone(),
            demo: config.demo,
            request_timeout: config.request_timeout,
            metrics,
            store,
            draining: std::sync::atomic::AtomicBool::new(false),
            metrics_token: config.metrics_token.clone(),
        })
    }

    /// Makes `/readyz` answer 503 from now on.
    pub fn begin_draining(&self) {
        self.draining
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Replaces the API keys, the policy and the issuers, all at once; requests in flight
    /// finish with the configuration they started with. Identity providers whose keys come
    /// from where they came from before keep the keys fetched.
    pub fn reload(&self, reloadable: Reloadable) -> Result<(), crate::jwks::Error> {
        let previous = self.live();
        let live = Arc::new(Live::new(
            reloadable,
            &self.metrics,
            previous.exchanger.as_ref(),
        )?);
        *self.live.write().unwrap_or_else(|e| e.into_inner()) = live;
        Ok(())
    }

    /// Applies what the store says changed ([`Changes::watch`](crate::store::Changes::watch)).
    pub fn apply(&self, event: Event) {
        match event {
            Event::Listening => self.session_cache.set_trusted(true),
            Event::Deaf => self.session_cache.set_trusted(false),
            Event::UserSessionsEnded(name) => self.session_cache.remove_user(&name),
            Event::SessionEnded(id_hash) => self.session_cache.remove(&id_hash),
            Event::Denied(identities) => self.denied.replace(identities),
        }
    }
}

impl Live {
    /// The configuration `reloadable` gives, keeping `previous`'s key caches where they apply.
    fn new(
        reloadable: Reloadable,
        metrics: &Arc<Metrics>,
        previous: Option<&Exchanger>,
    ) -> Result<Self, crate::jwks::Error> {
        let exchanger = match reloadable.issuers.is_empty() {
            true => None,
            false => {
                let metrics = Arc::clone(metrics);
                let count = Arc::new(move |ok| metrics.jwks_fetch(ok));
                Some(Exchanger::new(&reloadable.issuers, count, previous)?)
            }
        };
        Ok(Live {
            namespaces: Namespaces::new(&reloadable.issuers, &reloadable.policy),
            key: reloadable.keys.encoding_key(),
            signing_key_sid: reloadable.keys.signing_key.as_str().into(),
            policy: reloadable.policy,
            exchanger,
        })
    }
}

impl<S> AppState<S> {
    /// The configuration now.
    pub(crate) fn live(&self) -> Arc<Live> {
        Arc::clone(&self.live.read().unwrap_or_else(|e| e.into_inner()))
    }

    fn is_denied(&self, identity: &str) -> bool {
        self.denied.contains(identity)
    }

    /// The identity of a password user's tokens under `live`: its role's template applied.
    /// Refused for a user on the deny list by name (an operator denies the person they see: with
    /// an identity template, `deny add alice` refuses the user alice as well as the identity
    /// `user_alice`, which [`mint`] checks), for an identity that breaks a product's rule, and
    /// for one that lies where an identity provider's users' identities do.
    fn password_identity<'a>(
        &self,
        live: &Live,
        user: &'a crate::store::User,
        role: &Role,
    ) -> Result<std::borrow::Cow<'a, str>, ApiError> {
        if self.is_denied(&user.name) {
            return Err(refused(&user.name, PolicyRefusal::Denied));
        }
        let identity = role
            .identity(&user.name)
            .map_err(|refusal| refused(&user.name, refusal))?;
        if let Some(issuer) = live.namespaces.owner(&identity) {
            tracing::warn!(user = %user.name.escape_debug(), %issuer, "token refused: the identity lies in this issuer's namespace");
            return Err(ApiError::Forbidden(PolicyRefusal::IdentityInNamespace));
        }
        Ok(identity)
    }
}

impl<S: Send + Sync + 'static> RequestContext for AppState<S> {
    /// Refuses a request that a page of another origin made a browser send (login CSRF: a
    /// cross-site form posted with the attacker's own credentials would leave the victim's browser
    /// signed in as the attacker). A browser says where a request comes from in `Origin` (or, without
    /// it, `Sec-Fetch-Site`); the server's own origin and the CORS origins pass. The server's own
    /// origin is the request's `scheme` (http, or https as a trusted proxy says) with its
    /// `Host` (or a proxy's `X-Forwarded-Host`, which a cross-site form cannot set): an origin of
    /// the same host over the other scheme is another origin. Requests with neither header are
    /// not a browser's, and pass.
    fn check_same_origin(&self, headers: &HeaderMap, scheme: Scheme) -> Result<(), ApiError> {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return match headers.get("sec-fetch-site") {
                Some(site) if site.as_bytes() == b"cross-site" => Err(ApiError::CrossSite),
                _ => Ok(()),
            };
        };
        if self.allowed_origins.contains(origin) {
            return Ok(());
        }
        let authority = origin
            .as_bytes()
            .strip_prefix(scheme.as_str().as_bytes())
            .and_then(|rest| rest.strip_prefix(b"://"));
        let own = |name: &str| {
            headers.get(name).is_some_and(|host| {
                authority.is_some_and(|a| a.eq_ignore_ascii_case(host.as_bytes()))
            })
        };
        match own("host") || own("x-forwarded-host") {
            true => Ok(()),
            false => Err(ApiError::CrossSite),
        }
    }

    fn session(&self, headers: &HeaderMap) -> Option<IdHash> {
        self.sessions.from_request(headers)
    }

    fn video_app(&self) -> bool {
        self.live().policy.video_app()
    }

    fn body_limits(&self) -> BodyLimits {
        BodyLimits {
            max: self.max_body,
            timeout: self.request_timeout,
        }
    }
}

/// The application, with CORS for the configured origins only, and every response counted,
/// logged and marked `nosniff` by one layer ([`ObserveLayer`]). (Header deadlines are the listener's; body
/// deadlines are `POST /token`'s body read.)
pub fn router<S: UserStore>(state: Arc<AppState<S>>, config: &Config) -> Router {
    let mut app = routes::<S>().router;
    if !config.cors_origins.is_empty() {
        // Named origins only: credentials are never offered to a wildcard.
        app = app.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(config.cors_origins.clone()))
                .allow_methods([Method::POST, Method::GET])
                .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
                .allow_credentials(true)
                .max_age(std::time::Duration::from_secs(600)),
        );
    }
    app.layer(ObserveLayer::new(Arc::clone(&state.metrics)))
        .with_state(state)
}

/// Every route, the page's included: what `GET /openapi.json` documents (a test holds the two
/// together).
pub fn routes<S: UserStore>() -> Routes<Arc<AppState<S>>> {
    Routes::default()
        .route(Method::POST, "/token", token::<S>)
        .route(Method::POST, "/logout", logout::<S>)
        .route(Method::GET, "/healthz", || async { "ok\n" })
        .route(Method::GET, "/readyz", readyz::<S>)
        .route(Method::GET, "/api/info", info::<S>)
        .route(Method::GET, "/metrics", metrics::<S>)
        .route(Method::GET, "/openapi.json", openapi)
        .merge(page::routes())
}

/// The server's OpenAPI 3.1 document.
pub const OPENAPI: &str = include_str!("../assets/openapi.json");

/// `GET /openapi.json`.
async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// `GET /readyz`: whether a load balancer should send this server requests: not while it
/// drains before stopping, nor while its database or (on PostgreSQL) its revocation listener
/// is not up. (`/healthz` says only that
/// the process serves.)
async fn readyz<S: UserStore>(State(state): State<Arc<AppState<S>>>) -> Response {
    if state.draining.load(std::sync::atomic::Ordering::Relaxed) {
        return ApiError::NotReady("the server is stopping").into_response();
    }
    if state.store.shared() && !state.session_cache.trusted() {
        return ApiError::NotReady("the revocation listener is not up").into_response();
    }
    let ping = tokio::time::timeout(std::time::Duration::from_secs(1), state.store.ping());
    match ping.await {
        Ok(Ok(())) => "ready\n".into_response(),
        _ => ApiError::NotReady("the user database does not answer").into_response(),
    }
}

/// `GET /api/info`: what the page needs to know about the server.
async fn info<S: UserStore>(State(state): State<Arc<AppState<S>>>) -> impl IntoResponse {
    #[derive(serde::Serialize)]
    struct Info {
        demo: bool,
    }
    axum::Json(Info { demo: state.demo })
}

/// `GET /metrics`: with `--metrics-token`, only for a request that carries it (as a bearer
/// token), since login, lockout and exchange volumes are no one else's business.
async fn metrics<S: UserStore>(
    State(state): State<Arc<AppState<S>>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = &state.metrics_token {
        use subtle::ConstantTimeEq;
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
            .unwrap_or_default();
        if !bool::from(given.ct_eq(token.expose().as_bytes())) {
            return Err(ApiError::MetricsToken);
        }
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response())
}

/// `POST /token`: a password login, an identity provider's ID token, or, without credentials,
/// a refresh through the session cookie (see [`TokenRequest`]).
async fn token<S: UserStore>(
    State(state): State<Arc<AppState<S>>>,
    client: ClientAddress,
    request: TokenRequest,
) -> Result<Response, ApiError> {
    let live = state.live();
    let ask = Ask {
        room: request.room.as_deref(),
        video_app: request.video_app.as_ref(),
        display_name: None,
    };
    match request.credentials {
        Credentials::Session(session) => refresh(&state, &live, session, &ask).await,
        Credentials::Password { username, password } => {
            Box::pin(login(&state, &live, client, username, password, &ask)).await
        }
        Credentials::IdToken(token) => Box::pin(exchange(&state, &live, &token, &ask)).await,
        Credentials::Incomplete => {
            state.metrics.login(Login::Failed);
            Err(ApiError::Unauthorized)
        }
    }
}

/// What a token request asks for, besides saying who it is.
#[derive(Clone, Copy)]
struct Ask<'a> {
    room: Option<&'a str>,
    /// Asked the way Twilio's React video app asks.
    video_app: Option<&'a VideoApp>,
    /// An exchanged ID token's display name (`name`), which the video app sends as its
    /// `user_identity`.
    display_name: Option<&'a str>,
}

/// An identity provider's ID token, exchanged for an access token for its identity.
async fn exchange<S>(
    state: &AppState<S>,
    live: &Live,
    token: &str,
    ask: &Ask<'_>,
) -> Result<Response, ApiError> {
    let Some(exchanger) = &live.exchanger else {
        state.metrics.exchange(Err(Some(Refusal::Issuer)));
        return Err(ApiError::TokenRefused {
            check: "issuer",
            message: "this server trusts no identity provider (see --issuers)".into(),
        });
    };
    let exchanged = match exchanger.exchange(token, &live.policy).await {
        Ok(exchanged) => exchanged,
        Err(ExchangeError::KeysUnavailable) => {
            state.metrics.exchange(Err(None));
            return Err(ApiError::KeysUnavailable);
        }
        Err(ExchangeError::Refused(refusal, message)) => {
            state.metrics.exchange(Err(Some(refusal)));
            tracing::info!(check = refusal.as_str(), message = %message.escape_debug(), "ID token refused");
            return Err(ApiError::TokenRefused {
                check: refusal.as_str(),
                message,
            });
        }
    };
    state.metrics.exchange(Ok(()));
    let ask = Ask {
        display_name: exchanged.name.as_deref(),
        ..*ask
    };
    mint(state, live, &exchanged.identity, exchanged.role, &ask)
}

async fn login<S: UserStore>(
    state: &AppState<S>,
    live: &Live,
    address: ClientAddress,
    username: String,
    password: String,
    ask: &Ask<'_>,
) -> Result<Response, ApiError> {
    // Counted before anything is hashed, so guesses sent at once cannot all pass the check.
    let limits = &state.limits;
    let reservation = limits
        .reserve(state.store.attempts(), &username, address)
        .await?
        .map_err(|wait| {
            state.metrics.login(Login::Limited);
            tracing::warn!(user = %username.escape_debug(), %address, "login refused by the rate limit");
            ApiError::TooManyRequests { retry_after: wait }
        })?;
    // No user has such a name (`users add` refuses control characters), and PostgreSQL cannot
    // even be asked about a NUL.
    if username.len() > MAX_NAME || password.len() > MAX_PASSWORD || username.contains('\0') {
        limits
            .settle(state.store.attempts(), reservation, Outcome::Failed)
            .await?;
        return Err(failed(state, &username, address));
    }
    let checked = check_password(state, &username, password).await;
    let outcome = match &checked {
        Ok(Some(_)) => Outcome::Succeeded,
        Ok(None) => Outcome::Failed,
        Err(_) => Outcome::NotChecked,
    };
    limits
        .settle(state.store.attempts(), reservation, outcome)
        .await?;
    let Some(user) = checked? else {
        return Err(failed(state, &username, address));
    };
    state.metrics.login(Login::Ok);

    // Minted before the session is made: a user the policy or the deny list refuses gets none.
    let role = role_of(live, &user)?;
    let identity = state.password_identity(live, &user, role)?;
    let mut response = mint(state, live, &identity, role, ask)?;
    let session = state.sessions.create();
    let expires = twilio_token::now() + state.sessions.ttl;
    state
        .store
        .add_session(&session.id_hash, user.id, expires)
        .await?;
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session.set_cookie);
    tracing::info!(user = %user.name.escape_debug(), "login");
    Ok(response)
}

/// The policy role of a password user, resolved once for the request.
fn role_of<'p>(live: &'p Live, user: &crate::store::User) -> Result<&'p Role, ApiError> {
    live.policy
        .role(&user.role)
        .map_err(|refusal| refused(&user.name, refusal))
}

/// A refusal of the policy's for `user`, logged.
fn refused(user: &str, refusal: PolicyRefusal) -> ApiError {
    tracing::info!(user = %user.escape_debug(), reason = %refusal, "token refused");
    ApiError::Forbidden(refusal)
}

/// The enabled user whose password this is, or `None`.
async fn check_password<S: UserStore>(
    state: &AppState<S>,
    username: &str,
    password: String,
) -> Result<Option<crate::store::User>, ApiError> {
    let user = state.store.user(username).await?;
    // Unknown users are checked against a dummy hash: the same answer in about the same time.
    let phc = user.as_ref().map(|u| u.password_hash.clone());
    let matches = state
        .hasher
        .verify(password, phc)
        .await
        .map_err(|_| ApiError::Busy)?;
    state.metrics.password_check();
    Ok(user.filter(|u| matches && !u.disabled))
}

fn failed<S>(state: &AppState<S>, username: &str, address: ClientAddress) -> ApiError {
    state.metrics.login(Login::Failed);
    tracing::info!(user = %username.escape_debug(), %address, "login failed");
    ApiError::Unauthorized
}

async fn refresh<S: UserStore>(
    state: &AppState<S>,
    live: &Live,
    session: Option<IdHash>,
    ask: &Ask<'_>,
) -> Result<Response, ApiError> {
    let Some(id_hash) = session else {
        return Err(ApiError::Unauthorized);
    };
    let user = match state.session_cache.get(&id_hash) {
        Some(user) => user,
        None => {
            let now = twilio_token::now();
            let Some(user) = state.store.session_user(&id_hash, now).await? else {
                // Expired, ended, or its user disabled: tell the browser to drop it.
                let mut response = ApiError::Unauthorized.into_response();
                response
                    .headers_mut()
                    .insert(header::SET_COOKIE, state.sessions.clear());
                return Ok(response);
            };
            let user = Arc::new(user);
            state.session_cache.put(id_hash, Arc::clone(&user));
            user
        }
    };
    state.metrics.refresh();
    let role = role_of(live, &user)?;
    let identity = state.password_identity(live, &user, role)?;
    mint(state, live, &identity, role, ask)
}

/// The body of a minted token's response.
#[derive(serde::Serialize)]
struct TokenResponse<'a> {
    token: &'a str,
    identity: &'a str,
    expires_at: i64,
    /// For the Video app's request: the type of room it will join.
    #[serde(skip_serializing_if = "Option::is_none")]
    room_type: Option<&'a str>,
}

/// The access token for `identity`, as `role` says, unless the deny list refuses that
/// identity: the one place a token is built.
fn mint<S>(
    state: &AppState<S>,
    live: &Live,
    identity: &str,
    role: &Role,
    ask: &Ask<'_>,
) -> Result<Response, ApiError> {
    if state.is_denied(identity) {
        return Err(refused(identity, PolicyRefusal::Denied));
    }
    // The identity never comes from the request. The video app's `user_identity` is only
    // checked: it must be the identity, or the ID token's own display name, which the app sends
    // (and which stays a name: two users may share it).
    let claimed = ask.video_app.and_then(|app| app.user_identity.as_deref());
    let known = |claimed: &str| claimed == identity || Some(claimed) == ask.display_name;
    if claimed.is_some_and(|claimed| !claimed.is_empty() && !known(claimed)) {
        return Err(refused(identity, PolicyRefusal::IdentityMismatch));
    }
    let mut token = AccessToken::with_key(
        &*state.account_sid,
        &*live.signing_key_sid,
        live.key.clone(),
    )
    .identity(identity);
    if let Some(region) = state.region {
        token = token.region(region.as_str());
    }
    let now = twilio_token::now();
    let token = role
        .token(token, ask.room, now)
        .map_err(|refusal| match refusal {
            PolicyRefusal::RoomRequired => ApiError::RoomRequired {
                field: match ask.video_app {
                    Some(_) => "room_name",
                    None => "room",
                },
            },
            refusal => ApiError::Forbidden(refusal),
        })?;
    let jwt = token.to_jwt_at(now).map_err(|e| {
        tracing::error!(error = %e, "minting failed");
        ApiError::Internal
    })?;
    state.metrics.token(token.grants().iter().map(|g| g.key()));
    // Sized for the token, so that writing the body never grows it.
    let mut body = Vec::with_capacity(jwt.len() + identity.len() * 6 + 96);
    serde_json::to_writer(
        &mut body,
        &TokenResponse {
            token: &jwt,
            identity,
            expires_at: now + i64::from(role.ttl()),
            room_type: ask.video_app.map(|_| role.room_type()),
        },
    )
    .map_err(|_| ApiError::Internal)?;
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /logout`: ends the session (if any) and clears the cookie.
async fn logout<S: UserStore>(
    State(state): State<Arc<AppState<S>>>,
    scheme: Scheme,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.check_same_origin(&headers, scheme)?;
    if let Some(id_hash) = state.sessions.from_request(&headers) {
        state.session_cache.remove(&id_hash);
        state.store.remove_session(&id_hash).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, state.sessions.clear())],
    )
        .into_response())
}
