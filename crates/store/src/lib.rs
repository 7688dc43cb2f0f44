//! # store: Certa's storage
//!
//! One API over the embedded SQLite default (WAL, under the data directory) and
//! PostgreSQL (`--database postgres://...`): domains and mailboxes, IMAP-ready
//! folders and messages, content-addressed blobs, PEC messages with per-recipient
//! state, the durable job queue and the provider log.
//!
//! Queries are written once with `$n` placeholders and plain types (i64, text,
//! bytes) that both backends read alike through sqlx's `Any` driver; the two
//! migration directories differ only in dialect. Every function that changes
//! state takes a connection, so callers compose them in ONE transaction
//! ([`Store::begin`]) and nothing is visible before COMMIT.
//!
//! Times are `i64` milliseconds since the Unix epoch, UTC, always passed in by the
//! caller from its [`Clock`]: nothing here reads the system time.

pub mod activations;
pub mod blobs;
pub mod changes;
pub mod clock;
pub mod jobs;
pub mod lifecycle;
pub mod listing;
pub mod log;
pub mod mailboxes;
pub mod messages;
pub mod pec;
pub mod receipts;
pub mod registry;
pub mod reserved;
pub mod sent;
pub mod sessions;
pub mod staff;
pub mod two_factor;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions};

pub use blobs::{BlobId, BlobStore};
pub use clock::{Clock, OffsetClock, SystemClock};
pub use sqlx;

/// A transaction on either backend.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;
/// A connection (a transaction derefs to one).
pub type Conn = AnyConnection;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("blob store error at {path}: {source}")]
    Blob { path: PathBuf, source: std::io::Error },
    #[error("blob {0} is missing from the blob store")]
    MissingBlob(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{what} not found: {key}")]
    NotFound { what: &'static str, key: String },
    #[error("{0}")]
    Conflict(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The storage of one provider.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    blobs: BlobStore,
    url: String,
    data_dir: std::path::PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

static MIGRATE_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static MIGRATE_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Store {
    /// Opens (creating and migrating as needed) the store under `data_dir`: the
    /// SQLite database `data_dir/certa.db` unless `database` is a `postgres://` URL;
    /// blobs always under `data_dir/blobs`.
    pub async fn open(database: Option<&str>, data_dir: &Path) -> Result<Store> {
        sqlx::any::install_default_drivers();
        std::fs::create_dir_all(data_dir).map_err(|source| Error::Blob {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let url = match database {
            Some(url) => url.to_string(),
            None => format!("sqlite://{}?mode=rwc", data_dir.join("certa.db").display()),
        };
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(Error::Invalid(format!(
                "unsupported database URL {url:?}: use postgres://... or leave it out for SQLite"
            )));
        };
        let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL: readers never block the writer. FULL: every commit is synced, so an
                        // accepted message survives an OS crash or power loss too (NORMAL would
                        // survive only a crash of the process).
                        sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA busy_timeout = 30000").execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        match backend {
            Backend::Sqlite => MIGRATE_SQLITE.run(&pool).await?,
            Backend::Postgres => MIGRATE_POSTGRES.run(&pool).await?,
        }
        let blobs = BlobStore::open(&data_dir.join("blobs"))?;
        Ok(Store {
            pool,
            backend,
            blobs,
            url,
            data_dir: data_dir.to_path_buf(),
        })
    }

    /// Begins a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers wait for each other instead of failing.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// A connection for reads.
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.pool.acquire().await?)
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// The data directory (the node's own files: blobs, keys kept beside the database).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database URL, for messages (never holds a password for SQLite; a
    /// PostgreSQL URL is shown without its password).
    pub fn describe(&self) -> String {
        match self.url.split_once('@') {
            Some((scheme_user, host)) if self.backend == Backend::Postgres => {
                let user = scheme_user.split(':').take(2).collect::<Vec<_>>().join(":");
                format!("{user}@{host}")
            }
            _ => self.url.clone(),
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Milliseconds since the Unix epoch of a UTC instant.
pub fn millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

/// The UTC instant of milliseconds since the Unix epoch.
pub fn instant(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
