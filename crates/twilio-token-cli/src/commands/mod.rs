//! One module per subcommand.

pub mod access;
pub mod decode;
pub mod deny;
pub mod health;
pub mod mint;
pub mod serve;
pub mod users;

use std::io::Read;

/// The Twilio credentials, from flags, the environment or `./.env` (the tutorial's names).
#[derive(clap::Args)]
pub struct Credentials {
    /// Account SID (AC...).
    #[arg(long, env = "TWILIO_ACCOUNT_SID")]
    pub account_sid: Option<String>,
    /// API key SID (SK...) that signs tokens.
    #[arg(long, env = "TWILIO_API_KEY_SID")]
    pub api_key_sid: Option<String>,
    /// API key secret; prefer the environment or .env to a flag other users can see.
    #[arg(long, env = "TWILIO_API_KEY_SECRET", hide_env_values = true)]
    pub api_key_secret: Option<String>,
}

use crate::Failure;

/// The user database, shared by `serve` and `users`.
#[derive(clap::Args)]
pub struct Database {
    /// The user database: sqlite://PATH, or postgres://USER[:PASSWORD]@HOST:PORT/DB for a
    /// fleet of servers sharing one database.
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://twilio-token.db",
        global = true
    )]
    pub database_url: String,
    /// Open a database file that other local users can read (refused otherwise: it holds
    /// password hashes and the cookie-signing key).
    #[arg(long, env = "TWILIO_TOKEN_ALLOW_READABLE_DATABASE", global = true)]
    pub allow_readable_database: bool,
    /// Seconds to wait for a PostgreSQL server that is not up yet before giving up.
    #[arg(
        long,
        env = "TWILIO_TOKEN_DATABASE_WAIT",
        default_value_t = 15,
        value_name = "SECONDS",
        global = true
    )]
    pub database_wait: u64,
}

impl Database {
    /// Opens the store at `url` (this database's, or the demo's). No message holds the URL,
    /// which may hold a password.
    pub async fn open(&self, url: &str) -> Result<twilio_token_server::Store, Failure> {
        use twilio_token_server::store::StoreError;
        let options = twilio_token_server::store::OpenOptions {
            allow_readable: self.allow_readable_database,
            wait: std::time::Duration::from_secs(self.database_wait),
            ..Default::default()
        };
        twilio_token_server::Store::open(url, options)
            .await
            .map_err(|e| {
                let hint = match e {
                    StoreError::Readable { .. } => " (or --allow-readable-database if intended)",
                    _ => "",
                };
                Failure::Usage(format!(
                    "--database-url: cannot open the database: {e}{hint}"
                ))
            })
    }
}

/// The server's policy file at `--policy` (`TWILIO_TOKEN_POLICY`), if one is named, read as
/// `serve` reads it.
pub fn read_policy(
    path: Option<&std::path::Path>,
) -> Result<Option<twilio_token_server::policy::Policy>, Failure> {
    let Some(path) = path else { return Ok(None) };
    let invalid =
        |e: &dyn std::fmt::Display| Failure::Usage(format!("--policy {}: {e}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| invalid(&e))?;
    twilio_token_server::policy::Policy::from_json(&text, twilio_token::access_token::MAX_TTL)
        .map(Some)
        .map_err(|e| invalid(&e))
}

/// The text of `path`, or of standard input for `-`.
pub fn read_input(path: &str, what: &str) -> Result<String, Failure> {
    let mut text = String::new();
    let read = if path == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| Failure::Invalid(format!("cannot read {what} from {path}: {e}")))?;
    Ok(text)
}
