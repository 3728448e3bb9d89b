//! `twilio-token`: mint, inspect and verify Twilio tokens from the shell.
//!
//! A thin front end over the `twilio-token` library: each subcommand is one file in
//! `commands/`. Exit status: 0 success, 1 the token or spec is invalid (or a file cannot be
//! read), 2 the command line or configuration is wrong (clap's own status for usage errors),
//! 3 `decode --explain` found a problem Twilio would refuse the token for.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "twilio-token",
    version,
    about = "Mint, inspect and verify Twilio JWTs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Mint an access token (credentials from flags, the environment or ./.env).
    Access(Box<commands::access::Args>),
    /// Mint any token type from a JSON spec (a file, or - for stdin).
    Mint(commands::mint::Args),
    /// Decode a token and, given a key, verify it strictly.
    Decode(commands::decode::Args),
    /// Run the token server (POST /token).
    Serve(Box<commands::serve::Args>),
    /// Manage the server's users.
    Users(commands::users::Args),
    /// Refuse tokens to identities, on every server sharing the database.
    Deny(commands::deny::Args),
    /// Ask a server whether it is ready (its /readyz): exit 0 if so, for health checks.
    Health(commands::health::Args),
}

/// Why a command failed; the variant decides the exit status.
pub enum Failure {
    /// The command line or configuration is wrong: exit 2.
    Usage(String),
    /// The input is invalid or the work failed: exit 1.
    Invalid(String),
}

impl Failure {
    /// The same failure, as a configuration error (exit 2).
    fn into_usage(self) -> Failure {
        match self {
            Failure::Usage(m) | Failure::Invalid(m) => Failure::Usage(m),
        }
    }
}

/// `decode --explain` found a problem Twilio would refuse the token for.
const EXIT_REFUSED: u8 = 3;

impl From<twilio_token::Error> for Failure {
    fn from(e: twilio_token::Error) -> Self {
        Failure::Invalid(describe(&e))
    }
}

/// A library error in one line, with the Twilio error code where there is one.
pub fn describe(e: &twilio_token::Error) -> String {
    match e.twilio_code() {
        Some(code) => format!("{e} (Twilio error {code})"),
        None => e.to_string(),
    }
}

fn main() -> ExitCode {
    if let Err(message) = load_dotenv() {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Access(args) => commands::access::run(*args),
        Command::Mint(args) => commands::mint::run(args),
        Command::Decode(args) => match commands::decode::run(args) {
            Ok(Some(refused)) => {
                eprintln!("error: {refused}");
                return ExitCode::from(EXIT_REFUSED);
            }
            Ok(None) => Ok(()),
            Err(failure) => Err(failure),
        },
        Command::Serve(args) => commands::serve::run(*args),
        Command::Users(args) => commands::users::run(args),
        Command::Deny(args) => commands::deny::run(args),
        Command::Health(args) => commands::health::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Invalid(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

/// Why `./.env` was not loaded.
#[derive(Debug)]
enum DotenvError {
    /// A line cannot be parsed, near this byte of it.
    Unparsable(usize),
    /// The file exists but cannot be read.
    Unreadable,
}

impl std::fmt::Display for DotenvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DotenvError::Unparsable(index) => write!(
                f,
                "./.env cannot be parsed (near byte {index} of the offending line); check its quoting"
            ),
            DotenvError::Unreadable => f.write_str("./.env cannot be read"),
        }
    }
}

/// Loads `./.env` into the environment (variables already set win, as flags win over both).
fn load_dotenv() -> Result<(), DotenvError> {
    match dotenvy::from_path(".env") {
        Ok(()) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        // The parse error quotes the offending line, which may hold a secret: say only where.
        Err(dotenvy::Error::LineParse(_, index)) => Err(DotenvError::Unparsable(index)),
        Err(_) => Err(DotenvError::Unreadable),
    }
}
