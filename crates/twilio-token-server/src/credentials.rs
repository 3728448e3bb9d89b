//! What `POST /token` is asked with, as one extractor: a password (a JSON or form body, or
//! `Authorization: Basic`), an identity provider's ID token (`Authorization: Bearer`), or
//! nothing, for a refresh through the session cookie. Every way a request can be malformed is
//! an [`ApiError`], mapped to its status in one place.
//!
//! With the policy's `video_app` switch on, it also takes the request of Twilio's React video
//! app (twilio-video-app-react): a JSON body `{"user_identity", "room_name", "create_room",
//! "create_conversation"}` and an `Authorization` header holding a Firebase ID token without
//! the `Bearer` word. The identity still comes from the ID token (or the session); a
//! `user_identity` that is neither that identity nor the ID token's display name (`name`, what
//! the app really sends) is refused, and `room_name` is the room asked for. With the
//! switch off, a body holding any of the app's fields is refused, naming it, rather than
//! answered as if the field were not there.
//!
//! A JSON body holds only the fields below: any other is refused, naming it. A form may hold
//! others (an HTML form also sends its buttons and hidden inputs), and they are ignored.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use base64_simd::STANDARD as B64;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::client::Scheme;
use crate::error::ApiError;
use crate::session::IdHash;

/// Longest username and password looked at; longer ones are refused before any hashing.
pub const MAX_NAME: usize = 256;
/// See [`MAX_NAME`].
pub const MAX_PASSWORD: usize = 1024;

/// A token request: who asks, and for which video room (the policy decides).
#[derive(Debug)]
pub struct TokenRequest {
    /// The credentials.
    pub credentials: Credentials,
    /// The room asked for, if any (the policy takes an empty one as none).
    pub room: Option<String>,
    /// Whether it was asked the Video app's way, and the identity that app named.
    pub video_app: Option<VideoApp>,
}

/// A request of Twilio's React video app.
#[derive(Debug)]
pub struct VideoApp {
    /// The identity the app says its user has, in fact its display name (never used: checked
    /// against the real identity and the ID token's `name`).
    pub user_identity: Option<String>,
}

/// Who a token request says it is.
#[derive(Debug)]
pub enum Credentials {
    /// A username and password, from the body or Basic authorization, both non-empty.
    Password {
        /// The username.
        username: String,
        /// The password.
        password: String,
    },
    /// Half a set of credentials: refused as no credentials are.
    Incomplete,
    /// An identity provider's ID token.
    IdToken(String),
    /// No credentials: the session cookie's key, if the request has a validly signed one.
    Session(Option<IdHash>),
}

/// What a body may carry, as JSON or a form.
#[derive(Debug, Default, Deserialize)]
struct Fields {
    username: Option<String>,
    password: Option<String>,
    room: Option<String>,
    /// The Video app's fields (its `create_room` and `create_conversation` are left to the
    /// policy's grants).
    user_identity: Option<String>,
    room_name: Option<String>,
    create_room: Option<bool>,
    create_conversation: Option<bool>,
    /// Any other fields, by name.
    #[serde(flatten)]
    others: BTreeMap<String, IgnoredAny>,
}

impl Fields {
    /// The first of the Video app's fields the body holds (null is absent), if any.
    fn video_app_field(&self) -> Option<&'static str> {
        [
            ("user_identity", self.user_identity.is_some()),
            ("room_name", self.room_name.is_some()),
            ("create_room", self.create_room.is_some()),
            ("create_conversation", self.create_conversation.is_some()),
        ]
        .into_iter()
        .find_map(|(name, held)| held.then_some(name))
    }
}

/// What reading a token request needs of the server.
pub trait RequestContext {
    /// Refuses a request that a page of another origin made a browser send (login CSRF).
    fn check_same_origin(&self, headers: &HeaderMap, scheme: Scheme) -> Result<(), ApiError>;
    /// The session the request's cookie names, if the cookie is one of this server's.
    fn session(&self, headers: &HeaderMap) -> Option<IdHash>;
    /// Whether the request of Twilio's React video app is accepted.
    fn video_app(&self) -> bool;
    /// How large a body may be, and how long it may take to arrive.
    fn body_limits(&self) -> BodyLimits;
}

/// How large a request body may be, and how long it may take to arrive.
pub struct BodyLimits {
    /// Bytes at most.
    pub max: usize,
    /// The time the whole body has.
    pub timeout: std::time::Duration,
}

impl<T: RequestContext + Send + Sync + 'static> FromRequest<Arc<T>> for TokenRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &Arc<T>) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let headers = &parts.headers;
        let scheme = parts
            .extensions
            .get::<Scheme>()
            .copied()
            .unwrap_or_default();
        state.check_same_origin(headers, scheme)?;
        // A bare refresh, the most frequent request, reads no body and keeps its future small:
        // the body's read is boxed apart.
        let has_body = declares_body(headers);
        if !has_body && !headers.contains_key(header::AUTHORIZATION) {
            return Ok(TokenRequest {
                credentials: Credentials::Session(state.session(headers)),
                room: None,
                video_app: None,
            });
        }
        let video_app_on = state.video_app();
        // Without a body (`Authorization` alone), no read and no timer.
        let body = match has_body {
            true => Box::pin(read_body(&**state, headers, body)).await?,
            false => Bytes::new(),
        };
        let fields = parse_body(headers, &body)?;
        let video_app = match fields.video_app_field() {
            None => None,
            Some(_) if video_app_on => Some(VideoApp {
                user_identity: fields.user_identity,
            }),
            Some(field) => {
                return Err(ApiError::BadField {
                    field: field.into(),
                    message: format!(
                        "`{field}` is a field of Twilio's video app, which this server's policy does not accept"
                    ),
                });
            }
        };
        // Without the switch, `room_name` was refused above.
        let room = fields.room_name.or(fields.room);
        let credentials = match authorization(headers, video_app_on)? {
            Some(Authorization::Bearer(token)) => Credentials::IdToken(token),
            Some(Authorization::Basic(username, password)) => password_pair(username, password),
            None => match (fields.username, fields.password) {
                (None, None) => Credentials::Session(state.session(headers)),
                (username, password) => {
                    password_pair(username.unwrap_or_default(), password.unwrap_or_default())
                }
            },
        };
        Ok(TokenRequest {
            credentials,
            room,
            video_app,
        })
    }
}

fn password_pair(username: String, password: String) -> Credentials {
    match username.is_empty() || password.is_empty() {
        true => Credentials::Incomplete,
        false => Credentials::Password { username, password },
    }
}

/// Whether the request says it has a body: a non-zero `Content-Length`, or chunks.
fn declares_body(headers: &HeaderMap) -> bool {
    match headers.get(header::CONTENT_LENGTH) {
        Some(length) => length.as_bytes() != b"0",
        None => headers.contains_key(header::TRANSFER_ENCODING),
    }
}

/// The request body, within the size limit and the time limit.
async fn read_body(
    state: &impl RequestContext,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limits = state.body_limits();
    if declared.is_some_and(|n| n > limits.max as u64) {
        return Err(ApiError::PayloadTooLarge);
    }
    match tokio::time::timeout(limits.timeout, axum::body::to_bytes(body, limits.max)).await {
        Err(_) => Err(ApiError::Timeout),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) if is_length_limit(&e) => Err(ApiError::PayloadTooLarge),
        Ok(Err(_)) => Err(ApiError::BadRequest(
            "the request body could not be read".into(),
        )),
    }
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}

fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<Fields, ApiError> {
    if body.is_empty() {
        return Ok(Fields::default());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match content_type.as_str() {
        "application/json" => {
            let fields: Fields = serde_json::from_slice(body).map_err(|e| {
                ApiError::BadRequest(format!("malformed JSON body ({})", json_error_class(&e)))
            })?;
            match fields.others.keys().next() {
                Some(name) => Err(unknown_field(name)),
                None => Ok(fields),
            }
        }
        "application/x-www-form-urlencoded" => serde_urlencoded::from_bytes(body)
            .map_err(|_| ApiError::BadRequest("malformed form body".into())),
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

/// A JSON body's field the server does not know, named (escaped, and cut short: it is the
/// client's text) but never its value, which may be a password.
fn unknown_field(name: &str) -> ApiError {
    let field: String = name.chars().take(64).collect();
    ApiError::BadField {
        message: format!("unknown field {field:?} in the JSON body"),
        field,
    }
}

/// Names serde_json's error class without quoting the input (which may hold a password).
fn json_error_class(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "fields of the wrong type",
        serde_json::error::Category::Eof => "truncated",
    }
}

/// What an `Authorization` header carries.
enum Authorization {
    Basic(String, String),
    Bearer(String),
}

/// The request's `Authorization`, if it has one. `bare_token`: a value without a scheme is
/// an ID token (the Video app's way).
fn authorization(headers: &HeaderMap, bare_token: bool) -> Result<Option<Authorization>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || ApiError::BadRequest("malformed Authorization header".into());
    let value = value.to_str().map_err(|_| malformed())?;
    let Some((scheme, credentials)) = value.split_once(' ') else {
        return match bare_token && !value.is_empty() {
            true => Ok(Some(Authorization::Bearer(value.to_owned()))),
            false => Err(malformed()),
        };
    };
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Ok(Some(Authorization::Bearer(credentials.to_owned())));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(ApiError::BadRequest(
            "only Basic and Bearer authorization are accepted".into(),
        ));
    }
    let decoded = B64.decode_to_vec(credentials).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (user, password) = decoded.split_once(':').ok_or_else(malformed)?;
    Ok(Some(Authorization::Basic(
        user.to_owned(),
        password.to_owned(),
    )))
}
