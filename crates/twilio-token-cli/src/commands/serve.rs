//! `twilio-token serve`: the token server.

use std::path::PathBuf;

use twilio_token_server::config::{ReloadError, Secret};
use twilio_token_server::store::Users;
use twilio_token_server::{Config, Reloader, Settings, Store};

use crate::Failure;

/// Arguments of `serve`.
#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, env = "TWILIO_TOKEN_BIND", default_value = "127.0.0.1:5000")]
    bind: String,
    #[command(flatten)]
    database: super::Database,
    #[command(flatten)]
    credentials: super::Credentials,
    /// API keys file: several keys and the one that signs, for rotating keys without downtime
    /// (instead of TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET; read again on SIGHUP).
    #[arg(long, env = "TWILIO_TOKEN_API_KEYS", value_name = "FILE")]
    api_keys: Option<PathBuf>,
    /// The Twilio Region of the API keys (us1, ie1, au1): tokens carry it as `twr`.
    #[arg(long, env = "TWILIO_REGION")]
    region: Option<String>,
    /// Policy file: which grants each role's tokens carry (default: a video grant for "My
    /// Room"; read again on SIGHUP).
    #[arg(long, env = "TWILIO_TOKEN_POLICY", value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Issuers file: the identity providers whose ID tokens `POST /token` exchanges for access
    /// tokens (`Authorization: Bearer`); none by default; read again on SIGHUP.
    #[arg(long, env = "TWILIO_TOKEN_ISSUERS", value_name = "FILE")]
    issuers: Option<PathBuf>,
    /// An origin allowed to call with credentials (CORS); repeat, or comma-separate in the
    /// environment.
    #[arg(
        long = "cors-origin",
        env = "TWILIO_TOKEN_CORS_ORIGINS",
        value_delimiter = ','
    )]
    cors_origins: Vec<String>,
    /// Leave `Secure` off the session cookie, for plain http other than localhost.
    #[arg(long, env = "TWILIO_TOKEN_INSECURE_COOKIES")]
    insecure_cookies: bool,
    /// Seconds a login session lasts.
    #[arg(long, env = "TWILIO_TOKEN_SESSION_TTL", default_value_t = 12 * 3600)]
    session_ttl: u64,
    /// The longest token lifetime any role may have, in seconds (at most 86400).
    #[arg(long, env = "TWILIO_TOKEN_MAX_TTL", default_value_t = 86_400)]
    max_ttl: u32,
    /// Connections one client address may hold open at once (more are closed on arrival).
    #[arg(
        long,
        env = "TWILIO_TOKEN_MAX_CONNECTIONS_PER_CLIENT",
        default_value_t = 256
    )]
    max_connections_per_client: usize,
    /// The proxies (load balancers) in front of the server, as CIDR ranges or addresses:
    /// only for a connection from one of them is the client's address read from
    /// `X-Forwarded-For` (or `Forwarded`), for the login limits, the per-client connection
    /// cap and the logs.
    #[arg(
        long,
        env = "TWILIO_TOKEN_TRUSTED_PROXIES",
        value_name = "CIDR[,CIDR...]"
    )]
    trusted_proxies: Option<String>,
    /// A bearer token that `GET /metrics` then needs (`Authorization: Bearer TOKEN`); without
    /// it, the metrics answer anyone who reaches the port. Prefer the environment variable: a
    /// flag's value shows in the process list.
    #[arg(long, env = "TWILIO_TOKEN_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Seconds a server told to stop (SIGTERM, Ctrl-C) keeps serving with /readyz at 503, so
    /// that a load balancer moves its clients away, before it finishes what is in flight and exits.
    #[arg(long, env = "TWILIO_TOKEN_DRAIN_SECONDS", default_value_t = 5)]
    drain_seconds: u64,
    /// Log lines as text (coloured only on a terminal) or as one JSON object per line.
    #[arg(long, env = "TWILIO_TOKEN_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Run with a throwaway database, a demo user and a placeholder key: no Twilio account
    /// needed, and the tokens are useless to Twilio.
    #[arg(long)]
    demo: bool,
}

/// How log lines are written.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// For people.
    Text,
    /// For log shippers: one JSON object per line, the event's fields at its top level.
    Json,
}

const DEMO_USER: &str = "demo";
const DEMO_PASSWORD: &str = "demo-password";

/// Runs until Ctrl-C or SIGTERM; SIGHUP reloads the API keys, the policy and the issuers.
pub fn run(args: Args) -> Result<(), Failure> {
    init_logs(args.log_format);
    let read = |flag: &str, path: &Option<PathBuf>| -> Result<_, Failure> {
        let Some(path) = path else { return Ok(None) };
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Usage(format!("{flag} {}: {e}", path.display())))?;
        Ok(Some((text, path.display().to_string())))
    };
    let policy = read("--policy", &args.policy)?;
    let issuers = read("--issuers", &args.issuers)?;
    let api_keys = read("--api-keys", &args.api_keys)?;
    let mut settings = Settings {
        account_sid: args.credentials.account_sid,
        api_key_sid: args.credentials.api_key_sid,
        api_key_secret: args.credentials.api_key_secret.map(Secret::new),
        api_keys,
        region: args.region,
        bind: args.bind,
        policy,
        issuers,
        cors_origins: args.cors_origins,
        insecure_cookies: args.insecure_cookies,
        session_ttl: args.session_ttl,
        max_ttl: args.max_ttl,
        demo: args.demo,
        max_connections_per_client: args.max_connections_per_client,
        drain_seconds: args.drain_seconds,
        trusted_proxies: args.trusted_proxies,
        metrics_token: args.metrics_token.map(Secret::new),
    };
    let mut database_url = args.database.database_url.clone();
    let demo_dir = if args.demo {
        let dir = demo_dir()?;
        database_url = format!("sqlite://{}", dir.join("demo.db").display());
        settings.account_sid = Some(format!("AC{}", "0".repeat(32)));
        settings.api_key_sid = Some(format!("SK{}", "0".repeat(32)));
        settings.api_keys = None;
        let random: [u8; 16] = twilio_token_server::passwords::rand_bytes();
        settings.api_key_secret = Some(Secret::new(
            random.iter().map(|b| format!("{b:02x}")).collect(),
        ));
        // The demo is plain http on this machine.
        settings.insecure_cookies = true;
        Some(dir)
    } else {
        None
    };
    let config = Config::from_settings(settings).map_err(|e| Failure::Usage(e.to_string()))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Invalid(format!("cannot start the runtime: {e}")))?;
    let result = runtime.block_on(async {
        let store = args.database.open(&database_url).await?;
        if demo_dir.is_some() {
            let hash = twilio_token_server::passwords::hash(DEMO_PASSWORD);
            store
                .add_user(DEMO_USER, &hash, "user")
                .await
                .map_err(|e| Failure::Invalid(format!("cannot create the demo user: {e}")))?;
        }
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|e| Failure::Usage(format!("--bind {}: {e}", config.bind)))?;
        let address = listener
            .local_addr()
            .map_err(|e| Failure::Invalid(e.to_string()))?;
        // Installed now, before the server says it listens: a SIGHUP sent when the line
        // appears reloads rather than kills (as SIGTERM, whose handler shutdown_signal
        // installs when called, drains).
        let hangups = hangups();
        let announce = |reloader| {
            tokio::spawn(reload_on_hangup(hangups, reloader));
            if let Some(dir) = &demo_dir {
                eprintln!("{}", demo_banner(dir));
            }
            println!("listening on http://{address}");
        };
        twilio_token_server::run_announced(
            &config,
            store.clone(),
            listener,
            twilio_token_server::serve::shutdown_signal(),
            announce,
        )
        .await
        .map_err(|e| Failure::Invalid(format!("server failed: {e}")))?;
        store.close().await;
        Ok(())
    });
    if let Some(dir) = demo_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

/// The SIGHUPs from now on; `None` (and a warning) if they cannot be listened for.
#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = Option<()>;

fn hangups() -> Hangups {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let hangups = signal(SignalKind::hangup()).ok();
        if hangups.is_none() {
            tracing::warn!("cannot listen for SIGHUP: reloads are off");
        }
        hangups
    }
    #[cfg(not(unix))]
    None
}

/// On each SIGHUP, reads the API keys, the policy and the issuers again (off the runtime's
/// threads: it reads files); one that does not load changes nothing and is logged, never a
/// secret.
async fn reload_on_hangup(hangups: Hangups, reloader: Reloader<Store>) {
    #[cfg(unix)]
    {
        let Some(mut hangups) = hangups else { return };
        let reloader = std::sync::Arc::new(reloader);
        while hangups.recv().await.is_some() {
            let reloader = std::sync::Arc::clone(&reloader);
            match tokio::task::spawn_blocking(move || reloader.reload()).await {
                Ok(Ok(signing_key)) => {
                    tracing::info!(%signing_key, "reloaded the API keys, policy and issuers");
                }
                Ok(Err(ReloadError::Stopped)) => return,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "reload failed; the running configuration stays");
                }
                Err(e) => tracing::error!(error = %e, "reload failed"),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (hangups, reloader);
}

/// Logs to stderr, at `RUST_LOG`'s levels (default `info`). Never a secret, password, token or
/// cookie: the server logs none, whatever the format.
fn init_logs(format: LogFormat) {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
}

/// A new directory for the demo's database, private to this user (0700) and named at random:
/// with a name others can predict, another local user could make it first, or put `-wal` and
/// `-shm` files of their own in it.
fn demo_dir() -> Result<std::path::PathBuf, Failure> {
    use std::os::unix::fs::DirBuilderExt;
    let random: [u8; 16] = twilio_token_server::passwords::rand_bytes();
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let dir = std::env::temp_dir().join(format!("twilio-token-demo-{suffix}"));
    // `create` fails if anything is there already: the directory is this process's own.
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| Failure::Invalid(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

fn demo_banner(dir: &std::path::Path) -> String {
    let line = "=".repeat(78);
    format!(
        "{line}\n  DEMO MODE: tokens are signed with a PLACEHOLDER key (SK000...).\n  \
         Twilio will reject them. For real tokens, set TWILIO_ACCOUNT_SID, TWILIO_API_KEY_SID\n  \
         and TWILIO_API_KEY_SECRET (environment or ./.env) and run without --demo.\n  \
         Demo user: {DEMO_USER} / {DEMO_PASSWORD}   Throwaway database: {}\n{line}",
        dir.display()
    )
}
