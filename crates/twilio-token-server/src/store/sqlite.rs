//! The SQLite store: one file, WAL journal, migrations applied on open.

use std::future::Future;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::attempts::{DEFAULT_CAPACITY, Limiter};
use super::{
    Changes, Database, Denials, Result, Sessions, StoreError, User, UserStore, Users, migrations,
    now,
};
use crate::events::{self, Event};

/// How often a server on SQLite reads the deny list: a `deny add` reaches it within this time
/// (and the time a read takes).
pub const DENY_LIST_INTERVAL: Duration = Duration::from_millis(500);

/// The SQLite store: one file, WAL journal, migrations applied on open.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Login attempts, in this process's memory: a SQLite file serves one server.
    attempts: Arc<Limiter>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or `sqlite::memory:`)
    /// and brings its schema up to date. A new file is made readable by its owner only; an
    /// existing one that other users can read is refused ([`StoreError::Readable`]).
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, false, DEFAULT_CAPACITY).await
    }

    /// [`open`](Self::open), accepting a file that other users can read when `allow_readable`,
    /// and counting login attempts for at most `login_keys` usernames and addresses.
    pub async fn open_with(url: &str, allow_readable: bool, login_keys: usize) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?;
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // SQLite's migrator takes no lock, and switching a new file to WAL can fail under
        // another process doing the same: processes that open one file at once take turns,
        // holding an advisory lock on its directory until migrated. (Not on the file itself:
        // closing any descriptor of a database file drops the SQLite locks the process holds.)
        let _turn = match in_memory {
            true => None,
            false => {
                private_file(options.get_filename(), allow_readable)?;
                Some(take_turn(options.get_filename()).await?)
            }
        };
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Several processes (a `users add` beside a running server) share the file.
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        migrations::SQLITE
            .migrator()
            .await
            .map_err(|e| StoreError::Database(e.to_string()))?
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(e.to_string()))?;
        Ok(SqliteStore {
            pool,
            attempts: Arc::new(Limiter::new(login_keys)),
        })
    }

    /// Closes the pool, finishing what is in flight.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Waits for, then holds (until dropped), the lock on the directory of `path`.
async fn take_turn(path: &Path) -> Result<std::fs::File> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => Path::new(".").to_owned(),
    };
    let locked = tokio::task::spawn_blocking(move || {
        let dir = std::fs::File::open(dir)?;
        dir.lock().map(|()| dir)
    });
    locked
        .await
        .map_err(|e| StoreError::Database(e.to_string()))?
        .map_err(|e| StoreError::Database(format!("cannot lock the database's directory: {e}")))
}

/// Creates the database file readable by its owner only (SQLite gives the `-wal` and `-shm`
/// files it creates the same mode), and checks that the file and any `-wal` or `-shm` already
/// there are private and the database owner's. SQLite adopts side files it finds, even beside
/// a new database: ones another local user made first would get the hashes and the cookie key.
fn private_file(path: &Path, allow_readable: bool) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(StoreError::Database(format!(
                "cannot create {}: {e}",
                path.display()
            )));
        }
    }
    if allow_readable {
        return Ok(());
    }
    // The main file is this process's (just created) or one it may open that is private (so
    // its owner's, or root's to open): the side files must have that owner too.
    let owner = std::fs::metadata(path)
        .map_err(|e| StoreError::Database(format!("cannot read {}: {e}", path.display())))?
        .uid();
    let name = path.as_os_str().to_owned();
    for suffix in ["", "-wal", "-shm"] {
        let mut file = name.clone();
        file.push(suffix);
        // Not followed: a link is judged as itself, so one to another's file is refused.
        if let Ok(metadata) = std::fs::symlink_metadata(&file) {
            let shown = Path::new(&file).display().to_string();
            if metadata.uid() != owner {
                return Err(StoreError::Foreign {
                    path: shown,
                    uid: metadata.uid(),
                    owner,
                });
            }
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(StoreError::Readable { path: shown, mode });
            }
        }
    }
    Ok(())
}

fn user_from(row: &sqlx::sqlite::SqliteRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        role: row.try_get("role")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
    })
}

const USER_COLUMNS: &str = "id, name, password_hash, role, disabled";

impl Users for SqliteStore {
    async fn add_user(&self, name: &str, password_hash: &str, role: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (name, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(name)
        .bind(password_hash)
        .bind(role)
        .bind(now())
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn user(&self, name: &str) -> Result<Option<User>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from).transpose()
    }

    async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from).collect()
    }

    async fn set_password(&self, name: &str, password_hash: &str) -> Result<bool> {
        let update =
            sqlx::query("UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?")
                .bind(password_hash);
        self.update_ending_sessions(update, name).await
    }

    async fn set_disabled(&self, name: &str, disabled: bool) -> Result<bool> {
        let update = sqlx::query("UPDATE users SET disabled = ?, updated_at = ? WHERE name = ?")
            .bind(i64::from(disabled));
        self.update_ending_sessions(update, name).await
    }

    async fn remove_user(&self, name: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        end_sessions(&mut tx, name).await?;
        let removed = sqlx::query("DELETE FROM users WHERE name = ?")
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(removed == 1)
    }
}

impl Sessions for SqliteStore {
    async fn add_session(&self, id_hash: &[u8], user_id: i64, expires_at: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // Expired sessions go as new ones come, so the table does not grow without bound.
        sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(now())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO sessions (id_hash, user_id, expires_at) VALUES (?, ?, ?)")
            .bind(id_hash)
            .bind(user_id)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session_user(&self, id_hash: &[u8], now: i64) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.password_hash, u.role, u.disabled FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? AND s.expires_at > ? AND u.disabled = 0",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from).transpose()
    }

    async fn remove_session(&self, id_hash: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Denials for SqliteStore {
    async fn deny(&self, identity: &str) -> Result<bool> {
        let done = sqlx::query(
            "INSERT OR IGNORE INTO denied_identities (identity, added_at) VALUES (?, ?)",
        )
        .bind(identity)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn undeny(&self, identity: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM denied_identities WHERE identity = ?")
            .bind(identity)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn denied(&self) -> Result<Vec<String>> {
        let rows = sqlx::query_scalar("SELECT identity FROM denied_identities ORDER BY identity")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows)
    }
}

impl Database for SqliteStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn secret(&self, key: &str, make: Vec<u8>) -> Result<Vec<u8>> {
        sqlx::query("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)")
            .bind(key)
            .bind(make)
            .execute(&self.pool)
            .await?;
        let row = sqlx::query("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("value")?)
    }
}

impl Changes for SqliteStore {
    fn shared(&self) -> bool {
        false
    }

    fn watch(&self, events: events::Sender) -> impl Future<Output = ()> + Send + 'static {
        let store = self.clone();
        async move {
            // SQLite has no notifications: the deny list, which `twilio-token deny` changes
            // from another process, is read again every DENY_LIST_INTERVAL.
            let mut last = None;
            let mut failing = false;
            while !events.is_closed() {
                tokio::time::sleep(DENY_LIST_INTERVAL).await;
                match store.denied().await {
                    Ok(list) => {
                        if std::mem::take(&mut failing) {
                            tracing::info!("the deny list is read again");
                        }
                        if last.as_ref() != Some(&list) {
                            last = Some(list.clone());
                            if events.send(Event::Denied(list)).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        if !std::mem::replace(&mut failing, true) {
                            tracing::warn!(error = %e, "cannot read the deny list; keeping the last one read");
                        }
                    }
                }
            }
        }
    }
}

impl UserStore for SqliteStore {
    type Attempts = Limiter;
    fn attempts(&self) -> &Limiter {
        &self.attempts
    }
}

impl SqliteStore {
    /// Runs `update` (whose `updated_at` and `name` are still to bind) on the user `name` and
    /// ends its sessions, in one transaction; false if there is no such user.
    async fn update_ending_sessions<'q>(
        &self,
        update: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
        name: &'q str,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let changed = update
            .bind(now())
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        end_sessions(&mut tx, name).await?;
        tx.commit().await?;
        Ok(changed == 1)
    }
}

async fn end_sessions(tx: &mut sqlx::SqliteConnection, name: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE name = ?)")
        .bind(name)
        .execute(tx)
        .await?;
    Ok(())
}
