//! Where users, sessions and the deny list live: one small trait per concern ([`Users`],
//! [`Sessions`], [`Denials`], [`Database`], [`Changes`]) under [`UserStore`], so that the
//! handlers do not know the database, with one implementation per backend, each with its own
//! migrations: [`SqliteStore`] (one file, the embedded default) and [`PgStore`] (PostgreSQL,
//! shared by a fleet of servers). [`Store`] is whichever a `--database-url` names. Failed logins
//! are counted by the store's [`Attempts`]: in memory on SQLite, in the database on PostgreSQL.

use std::future::Future;

use crate::events;

pub mod attempts;
pub mod error;

mod migrations;
mod postgres;
mod sqlite;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// A user as stored: the password only as its argon2id PHC string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Login name, also the token identity.
    pub name: String,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// Which policy role the user's tokens follow.
    pub role: String,
    /// A disabled user cannot log in or refresh.
    pub disabled: bool,
}

pub use attempts::{Attempts, Limit};
pub use error::{Result, StoreError};

/// Users: names, password hashes, roles. Changing a user's password, disabling it or removing it
/// ends its sessions, in the same transaction.
pub trait Users {
    /// Adds a user; [`StoreError::Exists`] if the name is taken.
    fn add_user(
        &self,
        name: &str,
        password_hash: &str,
        role: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// A user by name.
    fn user(&self, name: &str) -> impl Future<Output = Result<Option<User>>> + Send;
    /// Every user, by name.
    fn users(&self) -> impl Future<Output = Result<Vec<User>>> + Send;
    /// Sets a password hash and ends the user's sessions; false if there is no such user.
    fn set_password(
        &self,
        name: &str,
        password_hash: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Disables or enables a user, ending its sessions; false if there is no such user.
    fn set_disabled(&self, name: &str, disabled: bool)
    -> impl Future<Output = Result<bool>> + Send;
    /// Removes a user and its sessions; false if there is no such user.
    fn remove_user(&self, name: &str) -> impl Future<Output = Result<bool>> + Send;
}

/// Login sessions, by the hash of their id.
pub trait Sessions {
    /// Records a session until `expires_at`.
    fn add_session(
        &self,
        id_hash: &[u8],
        user_id: i64,
        expires_at: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The enabled user of an unexpired session.
    fn session_user(
        &self,
        id_hash: &[u8],
        now: i64,
    ) -> impl Future<Output = Result<Option<User>>> + Send;
    /// Ends a session.
    fn remove_session(&self, id_hash: &[u8]) -> impl Future<Output = Result<()>> + Send;
}

/// The deny list: identities refused tokens whatever their credentials.
pub trait Denials {
    /// Puts `identity` on the list. False if it was on it already.
    fn deny(&self, identity: &str) -> impl Future<Output = Result<bool>> + Send;
    /// Takes `identity` off the list; false if it was not on it.
    fn undeny(&self, identity: &str) -> impl Future<Output = Result<bool>> + Send;
    /// The list, sorted.
    fn denied(&self) -> impl Future<Output = Result<Vec<String>>> + Send;
}

/// The database itself: whether it answers, and the secrets the servers sharing it share.
pub trait Database {
    /// Whether the database answers.
    fn ping(&self) -> impl Future<Output = Result<()>> + Send;
    /// A server secret, made by `make` and stored on first use (the same value on every start).
    fn secret(&self, key: &str, make: Vec<u8>) -> impl Future<Output = Result<Vec<u8>>> + Send;
}

/// What other servers sharing the database change, as [`events`].
pub trait Changes {
    /// Whether other servers may share this database. Then what they change reaches this one
    /// only through [`watch`](Self::watch), and no cached session is trusted until it says
    /// [`Listening`](events::Event::Listening). A SQLite file serves one host: its server's
    /// own logouts reach its cache directly, and the command line's changes within the
    /// cache's freshness.
    fn shared(&self) -> bool;
    /// Sends `events` what changes from now on (ended sessions, the deny list) until
    /// `events` closes. The server runs it for its life.
    fn watch(&self, events: events::Sender) -> impl Future<Output = ()> + Send + 'static;
}

/// Everything the server keeps in a database, one trait per concern, and where it counts
/// failed logins: in the database when servers share it, else in this process's memory.
pub trait UserStore:
    Users + Sessions + Denials + Database + Changes + Send + Sync + 'static
{
    /// Where failed logins are counted.
    type Attempts: Attempts;
    /// The failed-login counts.
    fn attempts(&self) -> &Self::Attempts;
}

/// The store a database URL names: `sqlite://PATH` (or `sqlite::memory:`), or
/// `postgres://USER@HOST:PORT/DB` (`postgresql://` too).
#[derive(Debug, Clone)]
pub enum Store {
    /// A SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database.
    Postgres(PgStore),
}

/// How a [`Store`] is opened.
#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    /// Accept a SQLite file that other local users can read.
    pub allow_readable: bool,
    /// How long to wait for a PostgreSQL server to come up.
    pub wait: std::time::Duration,
    /// On SQLite, where login attempts are counted in memory: how many usernames and
    /// addresses at most.
    pub login_keys: usize,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            allow_readable: false,
            wait: std::time::Duration::from_secs(15),
            login_keys: attempts::DEFAULT_CAPACITY,
        }
    }
}

impl Store {
    /// Opens the database at `url` and brings its schema up to date.
    pub async fn open(url: &str, options: OpenOptions) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Store::Postgres(PgStore::open(url, options.wait).await?));
        }
        if url.starts_with("sqlite:") {
            let store =
                SqliteStore::open_with(url, options.allow_readable, options.login_keys).await?;
            return Ok(Store::Sqlite(store));
        }
        Err(StoreError::Database(
            "the URL is neither sqlite://PATH nor postgres://USER@HOST:PORT/DB".into(),
        ))
    }

    /// Closes the store, finishing what is in flight.
    pub async fn close(&self) {
        match self {
            Store::Sqlite(s) => s.close().await,
            Store::Postgres(p) => p.close().await,
        }
    }
}

/// Calls the same method on whichever backend the store is.
macro_rules! delegate {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match $self {
            Store::Sqlite(s) => s.$method($($arg),*).await,
            Store::Postgres(p) => p.$method($($arg),*).await,
        }
    };
}

impl Users for Store {
    async fn add_user(&self, name: &str, password_hash: &str, role: &str) -> Result<()> {
        delegate!(self.add_user(name, password_hash, role))
    }
    async fn user(&self, name: &str) -> Result<Option<User>> {
        delegate!(self.user(name))
    }
    async fn users(&self) -> Result<Vec<User>> {
        delegate!(self.users())
    }
    async fn set_password(&self, name: &str, password_hash: &str) -> Result<bool> {
        delegate!(self.set_password(name, password_hash))
    }
    async fn set_disabled(&self, name: &str, disabled: bool) -> Result<bool> {
        delegate!(self.set_disabled(name, disabled))
    }
    async fn remove_user(&self, name: &str) -> Result<bool> {
        delegate!(self.remove_user(name))
    }
}

impl Sessions for Store {
    async fn add_session(&self, id_hash: &[u8], user_id: i64, expires_at: i64) -> Result<()> {
        delegate!(self.add_session(id_hash, user_id, expires_at))
    }
    async fn session_user(&self, id_hash: &[u8], now: i64) -> Result<Option<User>> {
        delegate!(self.session_user(id_hash, now))
    }
    async fn remove_session(&self, id_hash: &[u8]) -> Result<()> {
        delegate!(self.remove_session(id_hash))
    }
}

impl Denials for Store {
    async fn deny(&self, identity: &str) -> Result<bool> {
        delegate!(self.deny(identity))
    }
    async fn undeny(&self, identity: &str) -> Result<bool> {
        delegate!(self.undeny(identity))
    }
    async fn denied(&self) -> Result<Vec<String>> {
        delegate!(self.denied())
    }
}

impl Database for Store {
    async fn ping(&self) -> Result<()> {
        delegate!(self.ping())
    }
    async fn secret(&self, key: &str, make: Vec<u8>) -> Result<Vec<u8>> {
        delegate!(self.secret(key, make))
    }
}

impl Changes for Store {
    fn shared(&self) -> bool {
        matches!(self, Store::Postgres(_))
    }
    fn watch(&self, events: events::Sender) -> impl Future<Output = ()> + Send + 'static {
        let store = self.clone();
        async move {
            match store {
                Store::Sqlite(s) => s.watch(events).await,
                Store::Postgres(p) => p.watch(events).await,
            }
        }
    }
}

impl Attempts for Store {
    async fn reserve_attempt(&self, key: &str, limit: Limit) -> Result<Option<u64>> {
        match self {
            Store::Sqlite(s) => s.attempts().reserve_attempt(key, limit).await,
            Store::Postgres(p) => p.reserve_attempt(key, limit).await,
        }
    }
    async fn release_attempt(&self, key: &str) -> Result<()> {
        match self {
            Store::Sqlite(s) => s.attempts().release_attempt(key).await,
            Store::Postgres(p) => p.release_attempt(key).await,
        }
    }
    async fn clear_attempts(&self, key: &str) -> Result<()> {
        match self {
            Store::Sqlite(s) => s.attempts().clear_attempts(key).await,
            Store::Postgres(p) => p.clear_attempts(key).await,
        }
    }
}

impl UserStore for Store {
    type Attempts = Store;
    fn attempts(&self) -> &Store {
        self
    }
}

fn now() -> i64 {
    twilio_token::now()
}
