//! What the storage suites share: each case runs on a new SQLite store and on a
//! new PostgreSQL database of its own (created and dropped here) on the server of
//! `CERTA_TEST_POSTGRES` (default postgres://postgres@127.0.0.1:5432/test); a
//! missing server is a failure, not a skip.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;
use store::{Backend, Store};

pub fn admin_url() -> String {
    std::env::var("CERTA_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A fresh PostgreSQL database: (its URL, its name).
pub async fn fresh_postgres() -> (String, String) {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "certa_test_{}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let admin = admin_url();
    let mut c = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is required for the storage tests ({admin}): {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    (format!("{base}/{name}"), name)
}

pub async fn drop_postgres(name: &str) {
    if let Ok(mut c) = sqlx::PgConnection::connect(&admin_url()).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await;
    }
}

/// Runs `case` on a new SQLite store and on a new PostgreSQL store.
pub async fn on_both<F, Fut>(case: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(None, &dir.path().join("sqlite")).await.unwrap();
    assert_eq!(sqlite.backend(), Backend::Sqlite);
    case(sqlite.clone()).await;
    sqlite.close().await;

    let (url, name) = fresh_postgres().await;
    let pg = Store::open(Some(&url), &dir.path().join("pg")).await.unwrap();
    assert_eq!(pg.backend(), Backend::Postgres);
    case(pg.clone()).await;
    pg.close().await;
    drop_postgres(&name).await;
}
