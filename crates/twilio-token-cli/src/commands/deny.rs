//! `twilio-token deny`: the identities refused tokens whatever their credentials (a banned
//! user, or an identity that arrives by token exchange and has no user to disable). The list
//! lives in the database: every server sharing it hears of a change at once on PostgreSQL,
//! within half a second on SQLite.

use twilio_token_server::policy::Policy;
use twilio_token_server::store::{Denials, Users};
use twilio_token_server::store::{StoreError, User};

use crate::Failure;

/// Arguments of `deny`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    database: super::Database,
    /// The server's policy file, to show which users an entry covers by their identity (an
    /// identity template makes alice's identity e.g. `user_alice`).
    #[arg(long, env = "TWILIO_TOKEN_POLICY", value_name = "FILE", global = true)]
    policy: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Refuse IDENTITY tokens: its password logins, session refreshes and token exchanges
    /// get 403. A password user is refused by name as well as by identity.
    Add {
        /// The identity, as tokens carry it, or a password user's name.
        identity: String,
    },
    /// Give IDENTITY tokens again.
    Remove {
        /// The identity.
        identity: String,
    },
    /// List the denied identities, each with the users it covers.
    List,
}

/// Runs one deny-list command.
pub fn run(args: Args) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Invalid(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        // Without the server's policy, the built-in one: an identity is the user's name.
        let policy = super::read_policy(args.policy.as_deref())?.unwrap_or_else(Policy::tutorial);
        let store = args.database.open(&args.database.database_url).await?;
        let db = |e: StoreError| Failure::Invalid(e.to_string());
        let result = match args.command {
            Command::Add { identity } => {
                if identity.is_empty() || identity.chars().any(char::is_control) {
                    Err(Failure::Usage(
                        "IDENTITY must be non-empty, without control characters".into(),
                    ))
                } else {
                    let added = store.deny(&identity).await.map_err(db)?;
                    let users = store.users().await.map_err(db)?;
                    let covers = covered(&identity, &users, &policy);
                    let covers = match covers.is_empty() {
                        true => "no user of this database".to_owned(),
                        false => covers,
                    };
                    match added {
                        true => eprintln!("denied {identity}: {covers}"),
                        false => eprintln!("{identity} was denied already: {covers}"),
                    }
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
            Command::List => {
                let list = store.denied().await.map_err(db)?;
                let users = store.users().await.map_err(db)?;
                for identity in list {
                    match covered(&identity, &users, &policy) {
                        covers if covers.is_empty() => println!("{identity}"),
                        covers => println!("{identity}\t{covers}"),
                    }
                }
                Ok(())
            }
        };
        store.close().await;
        result
    })
}

/// The users a deny-list `entry` refuses, as the server matches them (by name or by identity):
/// e.g. `user alice (identity user_alice)`, comma-separated; empty if none.
fn covered(entry: &str, users: &[User], policy: &Policy) -> String {
    users
        .iter()
        .filter_map(|user| {
            let identity = policy.identity(&user.role, &user.name).ok();
            let by_identity = identity.as_deref() == Some(entry);
            (user.name == entry || by_identity).then(|| match identity {
                Some(identity) if identity != user.name => {
                    format!("user {} (identity {identity})", user.name)
                }
                _ => format!("user {}", user.name),
            })
        })
        .collect::<Vec<_>>()
        .join(", ")
}
