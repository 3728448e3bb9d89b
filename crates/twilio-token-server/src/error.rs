//! Every way a request can fail, and the one place that maps each to its HTTP status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A failed request. The message is safe to show the client: it never holds a password, a
/// secret, a token or a stored hash.
#[derive(Debug)]
pub enum ApiError {
    /// No credentials, wrong credentials, unknown or disabled user, or no valid session: the
    /// same answer for each, so the response does not tell which.
    Unauthorized,
    /// An identity provider's token failed a check; `check` names it (`audience`, `expired`,
    /// ...) and the message says more, without quoting the token.
    TokenRefused {
        /// The check that failed.
        check: &'static str,
        /// What was wrong.
        message: String,
    },
    /// The identity provider's keys cannot be fetched, and none are cached.
    KeysUnavailable,
    /// Authenticated, but the policy does not allow what was asked (a room, say).
    Forbidden(crate::policy::Refusal),
    /// A browser sent the request for a page of another origin (login CSRF).
    CrossSite,
    /// The body could not be read as the content type it claims.
    BadRequest(String),
    /// The body has a field the server would not honour; the message says why.
    BadField {
        /// The field, as the client named it.
        field: String,
        /// What was wrong, naming the field.
        message: String,
    },
    /// The role may join only some video rooms and has no default one: the request must name
    /// a room, in this field (`room`, or the Video app's `room_name`).
    RoomRequired {
        /// The field that carries the room.
        field: &'static str,
    },
    /// The body is neither JSON nor a form.
    UnsupportedMediaType,
    /// The body is larger than the server accepts.
    PayloadTooLarge,
    /// Too many failed logins for this user or address; try again after this many seconds.
    TooManyRequests {
        /// Seconds until a login may succeed again.
        retry_after: u64,
    },
    /// Through a trusted proxy, this client has as many requests in flight as it may.
    TooManyAtOnce,
    /// `GET /metrics` without the `--metrics-token` it needs.
    MetricsToken,
    /// The client took too long to send its body.
    Timeout,
    /// The password-hashing pool is saturated; try again shortly.
    Busy,
    /// The user database cannot be reached; try again shortly.
    StoreUnavailable,
    /// `/readyz`: this server should not be sent requests now, for this reason.
    NotReady(&'static str),
    /// Something on our side failed; details are in the log, not the response.
    Internal,
}

/// The JSON body of every error response.
#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    /// A stable code: `unauthorized`, `forbidden`, `too_many_requests`, ...
    error: &'static str,
    /// What went wrong, for a person.
    message: String,
    /// For a refused ID token: the check it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<&'static str>,
    /// For a field refused or missing: its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error, message) = match &self {
            ApiError::TokenRefused { message, .. } => {
                (StatusCode::UNAUTHORIZED, "unauthorized", message.clone())
            }
            ApiError::KeysUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the identity provider's keys cannot be fetched; try again shortly".to_owned(),
            ),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "missing or invalid credentials".to_owned(),
            ),
            ApiError::Forbidden(why) => (StatusCode::FORBIDDEN, "forbidden", why.to_string()),
            ApiError::CrossSite => (
                StatusCode::FORBIDDEN,
                "cross_site",
                "a page of another origin may not sign in or out here (see --cors-origin)"
                    .to_owned(),
            ),
            ApiError::BadRequest(why) => (StatusCode::BAD_REQUEST, "bad_request", why.clone()),
            ApiError::BadField { message, .. } => {
                (StatusCode::BAD_REQUEST, "bad_request", message.clone())
            }
            ApiError::RoomRequired { field } => (
                StatusCode::BAD_REQUEST,
                "room_required",
                format!("this account must name a video room, in `{field}`"),
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send JSON, a form, or Basic credentials".to_owned(),
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body is too large".to_owned(),
            ),
            ApiError::TooManyRequests { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!("too many failed logins; try again in {retry_after} s"),
            ),
            ApiError::MetricsToken => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the metrics need the bearer token the server was given (--metrics-token)"
                    .to_owned(),
            ),
            ApiError::TooManyAtOnce => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "too many requests at once from your address".to_owned(),
            ),
            ApiError::Timeout => (
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "the request took too long to arrive".to_owned(),
            ),
            ApiError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the server is busy; try again shortly".to_owned(),
            ),
            ApiError::StoreUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the user database cannot be reached; try again shortly".to_owned(),
            ),
            ApiError::NotReady(why) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                (*why).to_owned(),
            ),
            ApiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error".to_owned(),
            ),
        };
        let check = match &self {
            ApiError::TokenRefused { check, .. } => Some(*check),
            _ => None,
        };
        let field = match &self {
            ApiError::BadField { field, .. } => Some(field.as_str()),
            ApiError::RoomRequired { field } => Some(*field),
            _ => None,
        };
        let body = ErrorBody {
            error,
            message,
            check,
            field,
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        match self {
            ApiError::TokenRefused { .. } => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            ApiError::Unauthorized => {
                // Not `Basic`: for a Basic challenge a browser would stop the page's fetch to
                // ask for a password itself. Basic credentials are still accepted.
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Session realm=\"twilio-token\""),
                );
            }
            ApiError::TooManyRequests { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            ApiError::MetricsToken => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::Busy | ApiError::TooManyAtOnce => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            ApiError::StoreUnavailable | ApiError::NotReady(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            }
            ApiError::KeysUnavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Unavailable(_) => {
                tracing::warn!(error = %e, "user store unavailable");
                ApiError::StoreUnavailable
            }
            _ => {
                tracing::error!(error = %e, "user store failed");
                ApiError::Internal
            }
        }
    }
}

/// Why a server cannot start, or stopped serving.
#[derive(Debug)]
pub enum StartError {
    /// The database failed.
    Store(crate::store::StoreError),
    /// Fetching the identity providers' keys cannot be set up.
    Keys(crate::jwks::Error),
    /// The listener failed.
    Listener(std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Store(e) => e.fmt(f),
            StartError::Keys(e) => e.fmt(f),
            StartError::Listener(e) => write!(f, "the listener failed: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

impl From<crate::store::StoreError> for StartError {
    fn from(e: crate::store::StoreError) -> Self {
        StartError::Store(e)
    }
}

impl From<crate::jwks::Error> for StartError {
    fn from(e: crate::jwks::Error) -> Self {
        StartError::Keys(e)
    }
}
