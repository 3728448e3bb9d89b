//! The server's configuration, checked once at start: a missing or malformed setting stops the
//! server with a message naming the setting, and never printing a secret.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use axum::http::HeaderValue;
use twilio_token::access_token::MAX_TTL;
use twilio_token::region::{Region, UnknownRegion};
use twilio_token::sid;

use crate::client::NotAProxy;
use crate::exchange::{Issuer, IssuersError, parse_issuers};
pub use crate::keys::Secret;
use crate::keys::{KeysError, KeysFile};
use crate::limiter::LoginLimits;
use crate::policy::{Policy, PolicyError};
use crate::store::Limit;

/// The settings as given (flags, environment, `.env`), before checking.
#[derive(Debug, Default, Clone)]
pub struct Settings {
    /// `TWILIO_ACCOUNT_SID`.
    pub account_sid: Option<String>,
    /// `TWILIO_API_KEY_SID`.
    pub api_key_sid: Option<String>,
    /// `TWILIO_API_KEY_SECRET`.
    pub api_key_secret: Option<Secret>,
    /// `--api-keys`: a keys file's text and its path (instead of the two above).
    pub api_keys: Option<(String, String)>,
    /// `TWILIO_REGION`: the Region of the API keys.
    pub region: Option<String>,
    /// `--bind`.
    pub bind: String,
    /// `--policy`: a policy file's text and its path (for messages).
    pub policy: Option<(String, String)>,
    /// `--issuers`: an issuers file's text and its path (`jwks_file`s are relative to it).
    pub issuers: Option<(String, String)>,
    /// `--cors-origin`, each one an origin like `https://app.example.com`.
    pub cors_origins: Vec<String>,
    /// `--insecure-cookies`: leave `Secure` off the session cookie (local http only).
    pub insecure_cookies: bool,
    /// `--session-ttl` in seconds.
    pub session_ttl: u64,
    /// `--max-ttl`: the longest token any role may get.
    pub max_ttl: u32,
    /// `--demo`: the page says tokens are signed with a placeholder key.
    pub demo: bool,
    /// `--max-connections-per-client`.
    pub max_connections_per_client: usize,
    /// `--drain-seconds`: how long a server told to stop keeps serving, `/readyz` saying 503.
    pub drain_seconds: u64,
    /// `--trusted-proxies`: `CIDR[,CIDR...]` of the proxies whose forwarding headers name the
    /// client.
    pub trusted_proxies: Option<String>,
    /// `--metrics-token`: the bearer token `GET /metrics` needs.
    pub metrics_token: Option<Secret>,
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub bind: SocketAddr,
    /// The Twilio account.
    pub account_sid: String,
    /// The Region of the API keys (`twr`), unless a role names its own.
    pub region: Option<Region>,
    /// What a reload (SIGHUP) reads again: the API keys, the policy, the issuers.
    pub reloadable: Reloadable,
    /// Where the reloadable parts come from.
    pub sources: Sources,
    /// Origins allowed to call with credentials (CORS); none means same-origin only.
    pub cors_origins: Vec<HeaderValue>,
    /// Whether the session cookie is `Secure`.
    pub secure_cookies: bool,
    /// Seconds a session lives.
    pub session_ttl: i64,
    /// How long a refresh trusts a session it read from the store (another process's password
    /// change or disable reaches the server within this time).
    pub session_cache: Duration,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Longest a request may take.
    pub request_timeout: Duration,
    /// Header deadline and size, and connection caps.
    pub limits: crate::serve::Limits,
    /// Failed logins allowed per username (from one address, and from all) and per client
    /// address.
    pub login_limits: LoginLimits,
    /// Threads that hash passwords at once.
    pub hash_threads: usize,
    /// Whether tokens are signed with the demo's placeholder key.
    pub demo: bool,
    /// How long a server told to stop keeps serving (with `/readyz` at 503, so that a load
    /// balancer moves its clients away) before it stops accepting and finishes what is in flight.
    pub drain: Duration,
    /// The bearer token `GET /metrics` needs, if any.
    pub metrics_token: Option<Secret>,
}

/// A setting that is missing or malformed, by name (never quoting a secret).
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting is not set: its environment variable.
    Missing(&'static str),
    /// Half of the single API key is not set: the variable missing.
    MissingKey(&'static str),
    /// `--api-keys` and the single API key are both set.
    TwoKeySources,
    /// No API key is configured.
    NoKeys,
    /// A SID setting is not a SID of its kind: the setting and the SID's prefix.
    MalformedSid(&'static str, &'static str),
    /// `--region` names no Twilio Region.
    Region(String, UnknownRegion),
    /// `--bind` is not HOST:PORT.
    Bind(String),
    /// `--max-ttl` is 0 or over Twilio's limit.
    MaxTtl,
    /// A `--cors-origin` is not an origin.
    CorsOrigin(String),
    /// `--max-connections-per-client` is 0.
    MaxConnections,
    /// `--drain-seconds` is over an hour.
    DrainSeconds,
    /// `--session-ttl` is 0 or over 90 days.
    SessionTtl,
    /// `--trusted-proxies` holds something else.
    TrustedProxies(NotAProxy),
    /// A file a flag names cannot be read: the flag, the path and why.
    Unreadable(&'static str, String, std::io::Error),
    /// The keys file at this path is refused.
    Keys(String, KeysError),
    /// The policy file at this path is refused.
    Policy(String, PolicyError),
    /// The issuers file at this path is refused.
    Issuers(String, IssuersError),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Missing(name) => {
                write!(f, "{name} is not set (flag, environment or ./.env)")
            }
            ConfigError::MissingKey(name) => write!(
                f,
                "{name} is not set: set TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET (flag, \
                 environment or ./.env), or --api-keys FILE"
            ),
            ConfigError::TwoKeySources => f.write_str(
                "--api-keys and TWILIO_API_KEY_SID/TWILIO_API_KEY_SECRET are both set: give the keys one way",
            ),
            ConfigError::NoKeys => f.write_str("no API keys are configured"),
            ConfigError::MalformedSid(name, prefix) => {
                write!(f, "{name} is malformed: expected {prefix} followed by 32 hex digits")
            }
            ConfigError::Region(name, e) => write!(f, "--region (TWILIO_REGION) {name:?}: {e}"),
            ConfigError::Bind(bind) => {
                write!(f, "--bind {bind:?} is not HOST:PORT (e.g. 127.0.0.1:5000)")
            }
            ConfigError::MaxTtl => write!(f, "--max-ttl must be 1..={MAX_TTL} seconds"),
            ConfigError::CorsOrigin(o) => write!(
                f,
                "--cors-origin {o:?} is not an origin like https://app.example.com (no wildcards, no path)"
            ),
            ConfigError::MaxConnections => {
                f.write_str("--max-connections-per-client must be at least 1")
            }
            ConfigError::DrainSeconds => f.write_str("--drain-seconds must be at most 3600"),
            ConfigError::SessionTtl => f.write_str("--session-ttl must be 1 s to 90 days"),
            ConfigError::TrustedProxies(e) => write!(f, "--trusted-proxies: {e}"),
            ConfigError::Unreadable(flag, path, e) => write!(f, "{flag} {path}: {e}"),
            ConfigError::Keys(path, e) => write!(f, "--api-keys {path}: {e}"),
            ConfigError::Policy(path, e) => write!(f, "--policy {path}: {e}"),
            ConfigError::Issuers(path, e) => write!(f, "--issuers {path}: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Checks every setting.
    pub fn from_settings(s: Settings) -> Result<Config, ConfigError> {
        let account_sid = s
            .account_sid
            .filter(|v| !v.is_empty())
            .ok_or(ConfigError::Missing("TWILIO_ACCOUNT_SID"))?;
        sid::validate("sid", &account_sid, "AC")
            .map_err(|_| ConfigError::MalformedSid("TWILIO_ACCOUNT_SID", "AC"))?;
        let single_key = match (s.api_keys.is_some(), s.api_key_sid, s.api_key_secret) {
            (true, None, None) => None,
            (true, _, _) => return Err(ConfigError::TwoKeySources),
            (false, sid, secret) => {
                let sid = sid
                    .filter(|v| !v.is_empty())
                    .ok_or(ConfigError::MissingKey("TWILIO_API_KEY_SID"))?;
                let secret = secret
                    .filter(|v| !v.expose().is_empty())
                    .ok_or(ConfigError::MissingKey("TWILIO_API_KEY_SECRET"))?;
                sid::validate("sid", &sid, "SK")
                    .map_err(|_| ConfigError::MalformedSid("TWILIO_API_KEY_SID", "SK"))?;
                Some(KeysFile {
                    signing_key: sid.clone(),
                    keys: vec![(sid, secret)],
                })
            }
        };
        let region = match s.region.as_deref().filter(|r| !r.is_empty()) {
            None => None,
            Some(name) => Some(
                name.parse()
                    .map_err(|e| ConfigError::Region(name.into(), e))?,
            ),
        };
        let bind = s
            .bind
            .parse()
            .map_err(|_| ConfigError::Bind(s.bind.clone()))?;
        if s.max_ttl == 0 || s.max_ttl > MAX_TTL {
            return Err(ConfigError::MaxTtl);
        }
        let path = |file: &Option<(String, String)>| file.as_ref().map(|(_, p)| p.clone());
        let sources = Sources {
            api_keys: path(&s.api_keys),
            policy: path(&s.policy),
            issuers: path(&s.issuers),
            single_key,
            max_ttl: s.max_ttl,
        };
        let reloadable = sources.load(s.api_keys, s.policy, s.issuers)?;
        let cors_origins = s
            .cors_origins
            .iter()
            .map(|o| {
                let valid = (o.starts_with("https://") || o.starts_with("http://"))
                    && !o.contains('*')
                    && !o.ends_with('/');
                valid
                    .then(|| HeaderValue::from_str(o).ok())
                    .flatten()
                    .ok_or_else(|| ConfigError::CorsOrigin(o.clone()))
            })
            .collect::<Result<_, _>>()?;
        if s.max_connections_per_client == 0 {
            return Err(ConfigError::MaxConnections);
        }
        if s.drain_seconds > 3600 {
            return Err(ConfigError::DrainSeconds);
        }
        if s.session_ttl == 0 || s.session_ttl > 90 * 86_400 {
            return Err(ConfigError::SessionTtl);
        }
        let trusted_proxies = s
            .trusted_proxies
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(ConfigError::TrustedProxies)?;
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(Config {
            bind,
            account_sid,
            region,
            reloadable,
            sources,
            cors_origins,
            secure_cookies: !s.insecure_cookies,
            session_ttl: s.session_ttl as i64,
            session_cache: Duration::from_secs(1),
            max_body: 4096,
            request_timeout: Duration::from_secs(10),
            limits: crate::serve::Limits {
                per_client: s.max_connections_per_client,
                trusted_proxies: std::sync::Arc::new(trusted_proxies),
                ..crate::serve::Limits::default()
            },
            login_limits: LoginLimits {
                per_user_address: in_15_minutes(5),
                per_user: in_15_minutes(50),
                per_address: in_15_minutes(50),
            },
            hash_threads: cores,
            demo: s.demo,
            drain: Duration::from_secs(s.drain_seconds),
            metrics_token: s.metrics_token.filter(|t| !t.expose().is_empty()),
        })
    }
}

/// The parts of the configuration that a reload replaces, all at once or not at all.
#[derive(Debug, Clone)]
pub struct Reloadable {
    /// The API keys and the one that signs.
    pub keys: KeysFile,
    /// Which grants each role gets.
    pub policy: Policy,
    /// The identity providers whose ID tokens `POST /token` exchanges (none: no exchange).
    pub issuers: Vec<Issuer>,
}

/// Where the reloadable configuration is read from.
#[derive(Debug, Clone)]
pub struct Sources {
    /// `--api-keys`.
    pub api_keys: Option<String>,
    /// `--policy`.
    pub policy: Option<String>,
    /// `--issuers`.
    pub issuers: Option<String>,
    /// The one key of `TWILIO_API_KEY_SID` and `TWILIO_API_KEY_SECRET` (the environment is not
    /// read again).
    single_key: Option<KeysFile>,
    max_ttl: u32,
}

impl Sources {
    /// Reads the files again, for a reload. Any error leaves the caller's configuration as it
    /// was.
    pub fn reload(&self) -> Result<Reloadable, ConfigError> {
        let read = |flag: &'static str, path: &Option<String>| -> Result<_, ConfigError> {
            let Some(path) = path else { return Ok(None) };
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::Unreadable(flag, path.clone(), e))?;
            Ok(Some((text, path.clone())))
        };
        self.load(
            read("--api-keys", &self.api_keys)?,
            read("--policy", &self.policy)?,
            read("--issuers", &self.issuers)?,
        )
    }

    fn load(
        &self,
        api_keys: Option<(String, String)>,
        policy: Option<(String, String)>,
        issuers: Option<(String, String)>,
    ) -> Result<Reloadable, ConfigError> {
        let keys = match (api_keys, &self.single_key) {
            (Some((text, path)), _) => {
                KeysFile::parse(&text).map_err(|e| ConfigError::Keys(path, e))?
            }
            (None, Some(key)) => key.clone(),
            (None, None) => return Err(ConfigError::NoKeys),
        };
        let policy = match policy {
            None => Policy::tutorial(),
            Some((text, path)) => {
                Policy::from_json(&text, self.max_ttl).map_err(|e| ConfigError::Policy(path, e))?
            }
        };
        let issuers = match issuers {
            None => Vec::new(),
            Some((text, path)) => load_issuers(&text, &path, &policy)?,
        };
        Ok(Reloadable {
            keys,
            policy,
            issuers,
        })
    }
}

/// A limit of `failures` in a 15-minute window, each login limit's.
fn in_15_minutes(failures: usize) -> Limit {
    Limit {
        failures,
        window: Duration::from_secs(15 * 60),
    }
}

/// Reads the issuers file at `path`, whose text is `text`, for `policy` (its `jwks_file`s are
/// relative to it).
pub fn load_issuers(text: &str, path: &str, policy: &Policy) -> Result<Vec<Issuer>, ConfigError> {
    let dir = std::path::Path::new(path)
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let read = |file: &str| std::fs::read(dir.join(file));
    parse_issuers(text, read, policy).map_err(|e| ConfigError::Issuers(path.into(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Settings {
        Settings {
            account_sid: Some("AC0123456789abcdef0123456789abcdef".into()),
            api_key_sid: Some("SK0123456789abcdef0123456789abcdef".into()),
            api_key_secret: Some(Secret::new("hunter2-secret".into())),
            bind: "127.0.0.1:5000".into(),
            session_ttl: 3600,
            max_ttl: 86400,
            max_connections_per_client: 256,
            ..Settings::default()
        }
    }

    fn error(change: impl FnOnce(&mut Settings)) -> String {
        let mut s = good();
        change(&mut s);
        Config::from_settings(s).unwrap_err().to_string()
    }

    #[test]
    fn each_bad_setting_is_named_and_no_secret_is_shown() {
        assert!(Config::from_settings(good()).is_ok());
        type Change = dyn Fn(&mut Settings);
        let cases: [(&Change, &str); 13] = [
            (
                &|s| s.trusted_proxies = Some("10.0.0.0/8,proxy".into()),
                "--trusted-proxies: \"proxy\"",
            ),
            (&|s| s.account_sid = None, "TWILIO_ACCOUNT_SID"),
            (
                &|s| s.api_key_sid = Some("SKxxx".into()),
                "TWILIO_API_KEY_SID",
            ),
            (
                &|s| s.api_key_secret = Some(Secret::new(String::new())),
                "TWILIO_API_KEY_SECRET is not set: set TWILIO_API_KEY_SID and \
                 TWILIO_API_KEY_SECRET (flag, environment or ./.env), or --api-keys FILE",
            ),
            (&|s| s.bind = "localhost".into(), "--bind"),
            (
                &|s| s.policy = Some(("{".into(), "p.json".into())),
                "--policy p.json",
            ),
            (&|s| s.cors_origins = vec!["*".into()], "--cors-origin"),
            (
                &|s| s.issuers = Some((r#"{"issuers":[]}"#.into(), "i.json".into())),
                "--issuers i.json",
            ),
            (&|s| s.max_ttl = 90_000, "--max-ttl"),
            (&|s| s.session_ttl = 0, "--session-ttl"),
            (
                &|s| s.region = Some("eu1".into()),
                "--region (TWILIO_REGION) \"eu1\": not a Twilio Region",
            ),
            (
                &|s| s.api_keys = Some(("{}".into(), "keys.json".into())),
                "--api-keys and TWILIO_API_KEY_SID",
            ),
            (
                &|s| {
                    s.api_key_sid = None;
                    s.api_key_secret = None;
                    s.api_keys = Some((
                        r#"{"signing_key":"x","keys":[]}"#.into(),
                        "keys.json".into(),
                    ));
                },
                "--api-keys keys.json: signing_key",
            ),
        ];
        for (change, name) in cases {
            let e = error(change);
            assert!(e.contains(name), "{e}");
            assert!(!e.contains("hunter2"), "{e}");
        }
        assert!(!format!("{:?}", Config::from_settings(good()).unwrap()).contains("hunter2"));
    }
}

/// Why a reload changed nothing.
#[derive(Debug)]
pub enum ReloadError {
    /// A file does not load; the message names it and what is wrong, never a secret.
    Config(ConfigError),
    /// Fetching the identity providers' keys cannot be set up.
    Keys(crate::jwks::Error),
    /// The server has stopped.
    Stopped,
}

impl fmt::Display for ReloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReloadError::Config(e) => e.fmt(f),
            ReloadError::Keys(e) => e.fmt(f),
            ReloadError::Stopped => f.write_str("the server has stopped"),
        }
    }
}

impl std::error::Error for ReloadError {}

impl From<ConfigError> for ReloadError {
    fn from(e: ConfigError) -> Self {
        ReloadError::Config(e)
    }
}

impl From<crate::jwks::Error> for ReloadError {
    fn from(e: crate::jwks::Error) -> Self {
        ReloadError::Keys(e)
    }
}
