//! How a store fails.

/// A store failure (the database is unreachable, a constraint failed, ...).
#[derive(Debug)]
pub enum StoreError {
    /// A user of that name exists already.
    Exists,
    /// A database file other local users can read or write (it holds password hashes, session
    /// hashes and the cookie key).
    Readable {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// A database file, or its `-wal` or `-shm`, that belongs to another user than the
    /// database's owner.
    Foreign {
        /// The file.
        path: String,
        /// Its owner's uid.
        uid: u32,
        /// The uid of the database's owner.
        owner: u32,
    },
    /// The database cannot be reached (it is down, or every connection is busy): worth
    /// trying again shortly.
    Unavailable(String),
    /// The database failed.
    Database(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Exists => f.write_str("a user of that name exists already"),
            StoreError::Readable { path, mode } => write!(
                f,
                "{path} is open to other local users (mode {mode:03o}); it holds password hashes \
                 and the cookie key: chmod 600 it"
            ),
            StoreError::Foreign { path, uid, owner } => write!(
                f,
                "{path} belongs to another user (uid {uid}, the database's owner is uid \
                 {owner}); it would hold password hashes and the cookie key: remove it"
            ),
            StoreError::Unavailable(e) => write!(f, "database unavailable: {e}"),
            StoreError::Database(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Exists,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
            // PostgreSQL shutting down or restarting (admin_shutdown, cannot_connect_now...).
            sqlx::Error::Database(d) if d.code().is_some_and(|c| c.starts_with("57P")) => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Database(e.to_string()),
        }
    }
}

/// The result of a store operation.
pub type Result<T> = std::result::Result<T, StoreError>;
