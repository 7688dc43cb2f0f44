//! What the storage suites share: each case runs on a new SQLite store and on a
//! new PostgreSQL database of its own (created and dropped here) on the server of
//! `CERTA_TEST_POSTGRES` (default postgres://postgres@127.0.0.1:5432/test); a
//! missing server is a failure, not a skip.

use std::future::Future;

use store::{Backend, Store};

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

    let db = testkit::postgres::Database::create().await;
    let pg = Store::open(Some(&db.url), &dir.path().join("pg")).await.unwrap();
    assert_eq!(pg.backend(), Backend::Postgres);
    case(pg.clone()).await;
    pg.close().await;
    db.drop_now().await;
}
