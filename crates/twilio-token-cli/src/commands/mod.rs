//! One module per subcommand.

pub mod access;
pub mod decode;
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
