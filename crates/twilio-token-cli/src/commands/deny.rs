//! `twilio-token deny`: the identities refused tokens whatever their credentials (a banned
//! user, or an identity that arrives by token exchange and has no user to disable). The list
//! lives in the database, so every server sharing it refuses within a second.

use twilio_token_server::UserStore;
use twilio_token_server::store::StoreError;

use crate::Failure;

/// Arguments of `deny`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    database: super::Database,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Refuse IDENTITY tokens: its password logins, session refreshes and token exchanges
    /// get 403.
    Add {
        /// The identity, as tokens carry it.
        identity: String,
    },
    /// Give IDENTITY tokens again.
    Remove {
        /// The identity.
        identity: String,
    },
    /// List the denied identities.
    List,
}

/// Runs one deny-list command.
pub fn run(args: Args) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Invalid(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let store = args.database.open(&args.database.database_url).await?;
        let db = |e: StoreError| Failure::Invalid(e.to_string());
        let result = match args.command {
            Command::Add { identity } => {
                if identity.is_empty() || identity.chars().any(char::is_control) {
                    Err(Failure::Usage(
                        "IDENTITY must be non-empty, without control characters".into(),
                    ))
                } else if store.deny(&identity).await.map_err(db)? {
                    eprintln!("denied {identity}");
                    Ok(())
                } else {
                    eprintln!("{identity} was denied already");
                    Ok(())
                }
            }
            Command::Remove { identity } => match store.undeny(&identity).await.map_err(db)? {
                true => {
                    eprintln!("{identity} is no longer denied");
                    Ok(())
                }
                false => Err(Failure::Invalid(format!("{identity:?} is not denied"))),
            },
            Command::List => store.denied().await.map_err(db).map(|list| {
                for identity in list {
                    println!("{identity}");
                }
            }),
        };
        store.close().await;
        result
    })
}
