//! `twilio-token users`: manage the server's users.

use std::io::BufRead;

use twilio_token_server::exchange::Namespaces;
use twilio_token_server::policy::{Policy, Refusal};
use twilio_token_server::store::StoreError;
use twilio_token_server::store::Users;
use twilio_token_server::{Store, passwords};

use crate::Failure;

/// Arguments of `users`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    database: super::Database,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Add a user (password from a prompt, or --password-stdin).
    Add {
        /// Login name, also the token identity.
        name: String,
        /// The policy role whose grants the user's tokens carry.
        #[arg(long, default_value = "user")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// The server's policy file: the user's identity must keep the identity rules of the
        /// products the role's grants are for (default: the built-in policy's video grant).
        #[arg(long, env = "TWILIO_TOKEN_POLICY", value_name = "FILE")]
        policy: Option<std::path::PathBuf>,
        /// The server's issuers file: the user's identity must not lie in an identity
        /// provider's namespace, where one of its users' identities could be.
        #[arg(long, env = "TWILIO_TOKEN_ISSUERS", value_name = "FILE")]
        issuers: Option<std::path::PathBuf>,
    },
    /// Change a user's password (ends its sessions).
    Passwd {
        /// Login name.
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove a user (and its sessions).
    Remove {
        /// Login name.
        name: String,
    },
    /// List the users.
    List,
    /// Disable a user (ends its sessions; it can no longer log in).
    Disable {
        /// Login name.
        name: String,
    },
    /// Copy every user (password hash, role, disabled or not) from one database into another,
    /// e.g. a SQLite file into PostgreSQL. Users the destination has already are left as they
    /// are, so running it twice adds nothing; sessions are not copied (users log in again).
    Copy {
        /// The database to copy from.
        #[arg(long, value_name = "URL")]
        from: String,
        /// The database to copy into.
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Enable a disabled user.
    Enable {
        /// Login name.
        name: String,
    },
}

/// Runs one user command.
pub fn run(args: Args) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Invalid(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        if let Command::Copy { from, to } = &args.command {
            return copy(&args.database, from, to).await;
        }
        let store = args.database.open(&args.database.database_url).await?;
        let result = command(&store, args.command).await;
        store.close().await;
        result
    })
}

/// The store at `url`, its errors naming `flag`.
async fn open_as(database: &super::Database, flag: &str, url: &str) -> Result<Store, Failure> {
    database.open(url).await.map_err(|failure| match failure {
        Failure::Usage(e) | Failure::Invalid(e) => {
            Failure::Usage(e.replacen("--database-url", flag, 1))
        }
    })
}

/// `users copy`: every user of `from` that `to` lacks.
async fn copy(database: &super::Database, from: &str, to: &str) -> Result<(), Failure> {
    let source = open_as(database, "--from", from).await?;
    let destination = open_as(database, "--to", to).await?;
    let db = |e: StoreError| Failure::Invalid(e.to_string());
    let (mut copied, mut present) = (0, 0);
    for user in source.users().await.map_err(db)? {
        match destination
            .add_user(&user.name, &user.password_hash, &user.role)
            .await
        {
            Ok(()) => {
                if user.disabled {
                    destination
                        .set_disabled(&user.name, true)
                        .await
                        .map_err(db)?;
                }
                copied += 1;
            }
            Err(StoreError::Exists) => {
                present += 1;
                let there = destination.user(&user.name).await.map_err(db)?;
                if there.is_some_and(|t| {
                    (&t.password_hash, &t.role, t.disabled)
                        != (&user.password_hash, &user.role, user.disabled)
                }) {
                    eprintln!("kept {} as the destination has it (it differs)", user.name);
                }
            }
            Err(e) => return Err(db(e)),
        }
    }
    source.close().await;
    destination.close().await;
    eprintln!("copied {copied} users; {present} were there already");
    Ok(())
}

async fn command(store: &Store, command: Command) -> Result<(), Failure> {
    let db = |e: StoreError| Failure::Invalid(e.to_string());
    let found = |name: &str, found: bool| {
        if found {
            Ok(())
        } else {
            Err(Failure::Invalid(format!("no user named {name:?}")))
        }
    };
    match command {
        Command::Add {
            name,
            role,
            password_stdin,
            policy,
            issuers,
        } => {
            check_name(&name)?;
            check_role(&role)?;
            if let Some(policy) = policy_for(&role, policy.as_deref())? {
                let identity = check_identity(&name, &role, &policy)?;
                check_unique(store, &name, &identity, &policy, issuers.as_deref()).await?;
            }
            let hash = passwords::hash(&read_password(password_stdin)?);
            store
                .add_user(&name, &hash, &role)
                .await
                .map_err(|e| match e {
                    StoreError::Exists => {
                        Failure::Invalid(format!("a user named {name:?} exists already"))
                    }
                    e => db(e),
                })?;
            eprintln!("added {name} (role {role})");
        }
        Command::Passwd {
            name,
            password_stdin,
        } => {
            let hash = passwords::hash(&read_password(password_stdin)?);
            found(&name, store.set_password(&name, &hash).await.map_err(db)?)?;
            eprintln!("changed the password of {name}; its sessions are ended");
        }
        Command::Remove { name } => {
            found(&name, store.remove_user(&name).await.map_err(db)?)?;
            eprintln!("removed {name}");
        }
        Command::List => {
            for user in store.users().await.map_err(db)? {
                let status = if user.disabled { "disabled" } else { "enabled" };
                println!("{}\t{}\t{status}", user.name, user.role);
            }
        }
        Command::Disable { name } => {
            found(&name, store.set_disabled(&name, true).await.map_err(db)?)?;
            eprintln!("disabled {name}; its sessions are ended");
        }
        Command::Enable { name } => {
            found(&name, store.set_disabled(&name, false).await.map_err(db)?)?;
            eprintln!("enabled {name}");
        }
        Command::Copy { .. } => {
            return Err(Failure::Usage(
                "users copy opens its own --from and --to".into(),
            ));
        }
    }
    Ok(())
}

/// A name that works as a Basic-auth user and, within the rules of its role's products, a
/// Twilio identity.
fn check_name(name: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name.len() <= twilio_token_server::credentials::MAX_NAME
        && !name
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == ':');
    if !ok {
        return Err(Failure::Usage(
            "NAME must be 1 to 256 bytes without spaces, control characters or ':'".into(),
        ));
    }
    // Whatever the role and policy: a name that displays as another's is refused.
    twilio_token::identity::check_name(name, [])
        .map_err(|rule| Failure::Usage(format!("{name:?} cannot be a user's name: {rule}")))
}

/// The policy the user's identity is checked against: `--policy`, or the built-in one
/// (which has the role "user" alone: other roles wait for the server's).
fn policy_for(role: &str, path: Option<&std::path::Path>) -> Result<Option<Policy>, Failure> {
    let built_in = || (role == "user").then(Policy::tutorial);
    Ok(super::read_policy(path)?.or_else(built_in))
}

/// The identity of the user's tokens, refused if Twilio would refuse it: if it breaks a rule
/// of a product its role's grants are for.
fn check_identity(name: &str, role: &str, policy: &Policy) -> Result<String, Failure> {
    match policy.identity(role, name) {
        Ok(identity) => Ok(identity.into_owned()),
        Err(Refusal::NoPolicy) => Err(Failure::Usage(format!(
            "--role {role:?} is not in the policy"
        ))),
        Err(Refusal::Identity(rule)) => {
            // The rule is the template's result's to keep, which is what to show.
            let (before, after) = policy.affixes(role).unwrap_or_default();
            let identity = format!("{before}{name}{after}");
            Err(Failure::Usage(match identity == name {
                true => {
                    format!("{name:?} cannot be the identity of role {role:?}'s tokens: {rule}")
                }
                false => format!(
                    "{name:?} would have the identity {identity:?} ({} characters) in role \
                     {role:?}'s tokens: {rule}",
                    identity.chars().count()
                ),
            }))
        }
        Err(other) => Err(Failure::Usage(other.to_string())),
    }
}

/// Refuses an identity that another principal has or could be given: another user's (their
/// roles' templates applied), or one in an identity provider's namespace. In Chat, Video and
/// Voice the identity is the principal: two people with one would read each other's
/// conversations and take each other's calls.
async fn check_unique(
    store: &Store,
    name: &str,
    identity: &str,
    policy: &Policy,
    issuers: Option<&std::path::Path>,
) -> Result<(), Failure> {
    let users = store
        .users()
        .await
        .map_err(|e| Failure::Invalid(e.to_string()))?;
    for user in users.iter().filter(|u| u.name != name) {
        if policy
            .identity(&user.role, &user.name)
            .is_ok_and(|theirs| theirs == identity)
        {
            return Err(Failure::Invalid(format!(
                "{name:?} would have the identity {identity:?}, which user {:?} (role {}) has \
                 already",
                user.name, user.role
            )));
        }
    }
    let Some(path) = issuers else { return Ok(()) };
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Usage(format!("--issuers {shown}: {e}")))?;
    let issuers = twilio_token_server::config::load_issuers(&text, &shown, policy)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    match Namespaces::new(&issuers, policy).owner(identity) {
        Some(issuer) => Err(Failure::Invalid(format!(
            "{name:?} would have the identity {identity:?}, which lies in the namespace of \
             issuer {issuer:?}: one of its users could be given it"
        ))),
        None => Ok(()),
    }
}

fn check_role(role: &str) -> Result<(), Failure> {
    if !role.is_empty()
        && role
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        Ok(())
    } else {
        Err(Failure::Usage(
            "--role must be letters, digits, '_' or '-'".into(),
        ))
    }
}

/// The new password: the first line of stdin, or typed twice at a prompt.
fn read_password(from_stdin: bool) -> Result<String, Failure> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::Invalid(format!("cannot read the password from stdin: {e}")))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let no_tty = |_| {
            Failure::Usage("no terminal to ask for the password on; use --password-stdin".into())
        };
        let first = rpassword::prompt_password("password: ").map_err(no_tty)?;
        let again = rpassword::prompt_password("again: ").map_err(no_tty)?;
        if first != again {
            return Err(Failure::Invalid("the passwords differ".into()));
        }
        first
    };
    match password.chars().count() {
        0..8 => Err(Failure::Invalid(
            "a password needs at least 8 characters".into(),
        )),
        8..=1024 => Ok(password),
        _ => Err(Failure::Invalid(
            "a password may have at most 1024 characters".into(),
        )),
    }
}
