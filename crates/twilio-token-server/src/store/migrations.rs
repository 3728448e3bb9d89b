//! Each backend's migrations, embedded in the binary: the SQL files under `migrations/`, read at
//! compile time and handed to sqlx's migrator as `sqlx::migrate!` would hand them. Not the macro
//! itself: sqlx's compile-time macros build every database driver (SQLite's C source included) a
//! second time, for the compiler, in every build of the crate.
//!
//! A new migration is a file in the backend's folder and its name in the list below; a test
//! checks that the list is the folder, read the way sqlx reads it.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{MigrateError, Migration, MigrationSource, MigrationType, Migrator};

/// One backend's migration files: each name (`<VERSION>_<DESCRIPTION>.sql`) with its SQL.
#[derive(Debug, Clone, Copy)]
pub(super) struct Embedded(&'static [(&'static str, &'static str)]);

macro_rules! embed {
    ($folder:literal: $($file:literal),+ $(,)?) => {
        Embedded(&[$((
            $file,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/", $folder, "/", $file)),
        )),+])
    };
}

pub(super) const SQLITE: Embedded = embed!("sqlite":
    "0001_users_and_sessions.sql",
    "0002_denied_identities.sql",
);

pub(super) const POSTGRES: Embedded = embed!("postgres":
    "0001_users_and_sessions.sql",
    "0002_login_limits.sql",
    "0003_denied_identities.sql",
);

impl Embedded {
    /// The migrator for these files.
    pub(super) async fn migrator(self) -> Result<Migrator, MigrateError> {
        Migrator::new(self).await
    }
}

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        Box::pin(async move {
            let mut migrations = self
                .0
                .iter()
                .map(|&(name, sql)| migration(name, sql))
                .collect::<Result<Vec<_>, _>>()?;
            migrations.sort_by_key(|m| m.version);
            Ok(migrations)
        })
    }
}

/// A file read as sqlx reads a migration folder: the version before the first `_`, then the
/// description with `_` as spaces; `-- no-transaction` at the top opts out of a transaction.
fn migration(name: &str, sql: &'static str) -> Result<Migration, BoxDynError> {
    let bad_name = || format!("migration file {name:?} is not named <VERSION>_<DESCRIPTION>.sql");
    let (version, rest) = name.split_once('_').ok_or_else(bad_name)?;
    let version = version.parse().map_err(|_| bad_name())?;
    let migration_type = MigrationType::from_filename(rest);
    let description = rest
        .strip_suffix(migration_type.suffix())
        .ok_or_else(bad_name)?
        .replace('_', " ");
    Ok(Migration::new(
        version,
        Cow::Owned(description),
        migration_type,
        Cow::Borrowed(sql),
        sql.starts_with("-- no-transaction"),
    ))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The embedded list is the folder, read the way `sqlx::migrate!` reads it: same files,
    /// versions, descriptions and checksums, so databases migrated before still match.
    #[tokio::test]
    async fn the_lists_are_the_folders() {
        for (folder, embedded) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(folder);
            let from_folder = Migrator::new(path.as_path()).await.unwrap();
            let ours = embedded.migrator().await.unwrap();
            // Every field: version, description, type, SQL, checksum, no_tx.
            let seen_all = |m: &Migrator| m.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>();
            assert_eq!(seen_all(&ours), seen_all(&from_folder), "{folder}");
            assert!(ours.iter().count() >= 2, "{folder}");
        }
    }

    #[test]
    fn a_misnamed_file_is_an_error() {
        for name in ["users.sql", "x_users.sql", "0004_users.txt"] {
            let error = migration(name, "").err().unwrap().to_string();
            assert!(error.contains(name), "{error}");
        }
    }
}
