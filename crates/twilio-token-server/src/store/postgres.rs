//! The PostgreSQL store: one database that every server of a fleet shares, migrations applied
//! on open (sqlx's migrator takes an advisory lock, so servers started together migrate once).

use std::future::Future;
use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPoolOptions, PgRow};
use sqlx::{Connection, PgPool, Row};

use super::{
    Attempts, Changes, Database, Denials, Limit, Result, Sessions, StoreError, User, UserStore,
    Users, migrations, now,
};
use crate::events::{self, Event};

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://USER[:PASSWORD]@HOST:PORT/DB`), waiting
    /// with backoff up to `wait` for the server to come up, and brings its schema up to date.
    /// No error names the password.
    pub async fn open(url: &str, wait: Duration) -> Result<Self> {
        let options = PgConnectOptions::from_str(url).map_err(|_| {
            StoreError::Database("the URL is not a postgres://USER@HOST:PORT/DB URL".into())
        })?;
        let place = format!(
            "PostgreSQL at {}:{} (database {:?})",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default()
        );
        let started = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            match PgConnection::connect_with(&options).await {
                Ok(connection) => {
                    let _ = connection.close().await;
                    break;
                }
                Err(e) if started.elapsed() + pause < wait => {
                    tracing::warn!(error = %e, "waiting for {place}");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                Err(e) => {
                    return Err(StoreError::Database(format!(
                        "cannot reach {place} (waited {:.1} s): {e}",
                        started.elapsed().as_secs_f64()
                    )));
                }
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // A database that is gone is an answer in time (a 503), not a hang.
            .acquire_timeout(Duration::from_secs(2))
            .connect_lazy_with(options);
        let mut migrator = migrations::POSTGRES
            .migrator()
            .await
            .map_err(|e| StoreError::Database(e.to_string()))?;
        // An older server in a rolling deploy meets migrations it does not know: they only add.
        migrator.set_ignore_missing(true);
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(e.to_string()))?;
        Ok(PgStore { pool })
    }

    /// Closes the pool, finishing what is in flight.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn user_from(row: &PgRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        role: row.try_get("role")?,
        disabled: row.try_get("disabled")?,
    })
}

impl Users for PgStore {
    async fn add_user(&self, name: &str, password_hash: &str, role: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (name, password_hash, role, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(name)
        .bind(password_hash)
        .bind(role)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn user(&self, name: &str) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT id, name, password_hash, role, disabled FROM users WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from).transpose()
    }

    async fn users(&self) -> Result<Vec<User>> {
        // Byte order, as SQLite sorts, whatever the database's locale.
        let rows = sqlx::query(
            "SELECT id, name, password_hash, role, disabled FROM users ORDER BY name COLLATE \"C\"",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from).collect()
    }

    async fn set_password(&self, name: &str, password_hash: &str) -> Result<bool> {
        let update =
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE name = $3")
                .bind(password_hash);
        self.update_ending_sessions(update, name).await
    }

    async fn set_disabled(&self, name: &str, disabled: bool) -> Result<bool> {
        let update = sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE name = $3")
            .bind(disabled);
        self.update_ending_sessions(update, name).await
    }

    async fn remove_user(&self, name: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        end_sessions(&mut tx, name).await?;
        let removed = sqlx::query("DELETE FROM users WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(removed == 1)
    }
}

impl Sessions for PgStore {
    async fn add_session(&self, id_hash: &[u8], user_id: i64, expires_at: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // Expired sessions and long-past login windows go as new sessions come, so that
        // neither table grows without bound.
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM login_limits WHERE window_start < now() - interval '1 day'")
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO sessions (id_hash, user_id, expires_at) VALUES ($1, $2, $3)")
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
             JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND NOT u.disabled",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from).transpose()
    }

    async fn remove_session(&self, id_hash: &[u8]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&mut *tx)
            .await?;
        let hex: String = id_hash.iter().map(|b| format!("{b:02x}")).collect();
        notify(&mut tx, &format!("session:{hex}")).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Denials for PgStore {
    async fn deny(&self, identity: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("INSERT INTO denied_identities (identity, added_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(identity)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        notify(&mut tx, DENIED).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn undeny(&self, identity: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("DELETE FROM denied_identities WHERE identity = $1")
            .bind(identity)
            .execute(&mut *tx)
            .await?;
        notify(&mut tx, DENIED).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn denied(&self) -> Result<Vec<String>> {
        let rows = sqlx::query_scalar("SELECT identity FROM denied_identities ORDER BY identity")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows)
    }
}

impl Database for PgStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn secret(&self, key: &str, make: Vec<u8>) -> Result<Vec<u8>> {
        // Servers started together agree: the first insert wins, every one reads it back.
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(make)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("value")?)
    }
}

impl Changes for PgStore {
    fn shared(&self) -> bool {
        true
    }

    fn watch(&self, events: events::Sender) -> impl Future<Output = ()> + Send + 'static {
        let store = self.clone();
        async move {
            while !events.is_closed() {
                // A connection of its own (not through PgBouncer's transaction pooling, which
                // breaks LISTEN); once it listens, nothing changed from then on is missed.
                let listening = async {
                    let mut listener = PgListener::connect_with(&store.pool).await?;
                    listener.listen(CHANGES).await?;
                    Ok::<_, sqlx::Error>(listener)
                };
                let mut listener = match listening.await {
                    Ok(listener) => listener,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for changes; sessions are read from the database");
                        tokio::time::sleep(Duration::from_millis(250)).await;
                        continue;
                    }
                };
                // What changed while no one listened: the deny list is read again (and no
                // session was cached).
                let mut changes = vec![Change::Event(Event::Listening), Change::DenyList];
                // try_recv: None or an error means the connection was lost, and notifications
                // with it, so the sessions are untrusted until a new listener is up.
                'listening: loop {
                    for event in std::mem::take(&mut changes) {
                        let event = match event {
                            Change::DenyList => match store.denied().await {
                                Ok(list) => Event::Denied(list),
                                // Unread, the change would be missed: listen anew, which
                                // reads the list again.
                                Err(_) => break 'listening,
                            },
                            Change::Event(event) => event,
                        };
                        if events.send(event).await.is_err() {
                            return;
                        }
                    }
                    match listener.try_recv().await {
                        Ok(Some(notification)) => changes = parse(notification.payload()),
                        _ => break,
                    }
                }
                if events.send(Event::Deaf).await.is_err() {
                    return;
                }
                tracing::warn!(
                    "lost the change listener; sessions are read from the database until it is back"
                );
            }
        }
    }
}

impl Attempts for PgStore {
    async fn reserve_attempt(&self, key: &str, limit: Limit) -> Result<Option<u64>> {
        // One statement, under the row's lock: a new window, or one more attempt in the
        // current window while it holds fewer than the limit; no row back means refused. The
        // window is the database's clock, the same for every server.
        let window = limit.window.as_secs_f64();
        let counted = sqlx::query(
            "INSERT INTO login_limits AS l (key, window_start, attempts) VALUES ($1, now(), 1) \
             ON CONFLICT (key) DO UPDATE SET \
               window_start = CASE WHEN l.window_start <= now() - make_interval(secs => $2) \
                              THEN now() ELSE l.window_start END, \
               attempts = CASE WHEN l.window_start <= now() - make_interval(secs => $2) \
                          THEN 1 ELSE l.attempts + 1 END \
             WHERE l.window_start <= now() - make_interval(secs => $2) OR l.attempts < $3 \
             RETURNING attempts",
        )
        .bind(key)
        .bind(window)
        .bind(i32::try_from(limit.failures).unwrap_or(i32::MAX))
        .fetch_optional(&self.pool)
        .await?;
        if counted.is_some() {
            return Ok(None);
        }
        let wait: Option<f64> = sqlx::query_scalar(
            "SELECT extract(epoch FROM window_start + make_interval(secs => $2) - now())::float8 \
             FROM login_limits WHERE key = $1",
        )
        .bind(key)
        .bind(window)
        .fetch_optional(&self.pool)
        .await?;
        Ok(Some(wait.map_or(1, |w| w.ceil().max(1.0) as u64)))
    }

    async fn release_attempt(&self, key: &str) -> Result<()> {
        sqlx::query(
            "UPDATE login_limits SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0",
        )
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn clear_attempts(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_limits WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl UserStore for PgStore {
    type Attempts = PgStore;
    fn attempts(&self) -> &PgStore {
        self
    }
}

impl PgStore {
    /// Runs `update` (whose `updated_at` and `name` are still to bind) on the user `name` and
    /// ends its sessions, in one transaction; false if there is no such user.
    async fn update_ending_sessions<'q>(
        &self,
        update: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
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

/// Ends the sessions of the user `name`, and tells every server so when `tx` commits.
async fn end_sessions(tx: &mut sqlx::PgConnection, name: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE name = $1)")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    notify(tx, &format!("user:{name}")).await
}

/// The channel on which every server hears of ended sessions and deny-list changes. (Its name
/// is older than the deny list's notifications, and kept for servers of an older release
/// during a rolling deploy.)
const CHANGES: &str = "twilio_token_revoked";

/// The payload of a deny-list change; the list itself is read again.
const DENIED: &str = "denied";

/// Tells every listening server of a change when `connection`'s transaction commits
/// (PostgreSQL delivers a notification only on commit, and never one of a rolled-back
/// transaction). Only revocations and deny-list changes notify: a notifying commit takes a
/// global lock.
async fn notify(connection: &mut sqlx::PgConnection, what: &str) -> Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANGES)
        .bind(what)
        .execute(connection)
        .await?;
    Ok(())
}

/// What a notification says changed.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    /// An event, as it is.
    Event(Event),
    /// The deny list changed: it is read, then sent as [`Event::Denied`].
    DenyList,
}

/// The changes a notification's payload stands for.
fn parse(payload: &str) -> Vec<Change> {
    if payload == DENIED {
        return vec![Change::DenyList];
    }
    if let Some(name) = payload.strip_prefix("user:") {
        return vec![Change::Event(Event::UserSessionsEnded(name.to_owned()))];
    }
    if let Some(hex) = payload.strip_prefix("session:") {
        let mut id_hash = [0u8; 32];
        let decoded = hex.len() == 64
            && hex.is_ascii()
            && (0..32).all(|i| {
                u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                    .map(|b| id_hash[i] = b)
                    .is_ok()
            });
        if decoded {
            return vec![Change::Event(Event::SessionEnded(id_hash))];
        }
    }
    // Unreadable: forget every cached session rather than keep what it may have ended.
    vec![Change::Event(Event::Deaf), Change::Event(Event::Listening)]
}

#[cfg(test)]
mod tests {
    use super::{Change, Event, parse};

    #[test]
    fn notifications_are_read_as_events() {
        assert_eq!(parse("denied"), [Change::DenyList]);
        assert_eq!(
            parse("user:alice"),
            [Change::Event(Event::UserSessionsEnded("alice".into()))]
        );
        let hex = "ab".repeat(32);
        assert_eq!(
            parse(&format!("session:{hex}")),
            [Change::Event(Event::SessionEnded([0xab; 32]))]
        );
        let wide = format!("session:{}", "é".repeat(32));
        for unreadable in [
            "session:zz",
            "session:ab",
            &format!("session:{hex}0"),
            &wide,
            "other",
        ] {
            assert_eq!(
                parse(unreadable),
                [Change::Event(Event::Deaf), Change::Event(Event::Listening)],
                "{unreadable}"
            );
        }
    }
}
