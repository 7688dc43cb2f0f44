//! A PostgreSQL database of its own for each test, on the server of
//! `CERTA_TEST_POSTGRES` (default postgres://postgres@127.0.0.1:5432/test): created
//! here, dropped when the test is done. A missing server is a failure, never a skip.

use std::sync::atomic::{AtomicU32, Ordering};

use store::sqlx::{self, Connection};

/// The server's administration URL.
pub fn admin_url() -> String {
    std::env::var("CERTA_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A new, empty database.
pub struct Database {
    /// Its URL, for `Store::open`.
    pub url: String,
    name: String,
}

impl Database {
    /// Creates a database named after this process, the time and a counter.
    pub async fn create() -> Database {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "certa_test_{}_{}_{}",
            std::process::id(),
            crate::servers::now(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let admin = admin_url();
        let mut c = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL is required for this test ({admin}): {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Database {
            url: format!("{base}/{name}"),
            name,
        }
    }

    /// Drops the database, whoever is still connected to it.
    pub async fn drop_now(self) {
        if let Ok(mut c) = sqlx::PgConnection::connect(&admin_url()).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut c)
            .await;
        }
    }
}
