//! The webmail's sessions. A session is stored under the SHA-256 of its token,
//! so the database never holds what a browser presents; the caller (the office)
//! makes the token, decides the timeouts and passes `now`.

use crate::{Conn, Result};

/// What a session is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The password was right; the second factor is awaited.
    Password,
    /// Logged in.
    Full,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Password => "password",
            Stage::Full => "full",
        }
    }

    fn parse(s: &str) -> Stage {
        // Anything but a completed login is treated as one still awaiting a factor.
        if s == "full" { Stage::Full } else { Stage::Password }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub mailbox_id: i64,
    pub csrf: String,
    pub stage: Stage,
    pub created_at: i64,
    pub last_seen_at: i64,
}

pub async fn create(c: &mut Conn, id_hash: &str, mailbox_id: i64, csrf: &str, stage: Stage, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO web_sessions (id_hash, mailbox_id, csrf, stage, created_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(id_hash)
    .bind(mailbox_id)
    .bind(csrf)
    .bind(stage.as_str())
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn get(c: &mut Conn, id_hash: &str) -> Result<Option<Session>> {
    let row: Option<(i64, String, String, i64, i64)> =
        sqlx::query_as("SELECT mailbox_id, csrf, stage, created_at, last_seen_at FROM web_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_optional(c)
            .await?;
    Ok(row.map(|r| Session {
        mailbox_id: r.0,
        csrf: r.1,
        stage: Stage::parse(&r.2),
        created_at: r.3,
        last_seen_at: r.4,
    }))
}

/// Records activity at `now`.
pub async fn touch(c: &mut Conn, id_hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE web_sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(c)
        .await?;
    Ok(())
}

/// The second factor was given: the session is a full login from now.
pub async fn promote(c: &mut Conn, id_hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE web_sessions SET stage = $1, last_seen_at = $2 WHERE id_hash = $3")
        .bind(Stage::Full.as_str())
        .bind(now)
        .bind(id_hash)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn delete(c: &mut Conn, id_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(c)
        .await?;
    Ok(())
}

/// Ends every session of a mailbox (a password changed, a mailbox closed).
pub async fn delete_of_mailbox(c: &mut Conn, mailbox_id: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM web_sessions WHERE mailbox_id = $1")
        .bind(mailbox_id)
        .execute(c)
        .await?;
    Ok(r.rows_affected())
}

/// Removes the sessions idle since before `idle_before` or created before
/// `created_before`; how many.
pub async fn purge(c: &mut Conn, idle_before: i64, created_before: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM web_sessions WHERE last_seen_at < $1 OR created_at < $2")
        .bind(idle_before)
        .bind(created_before)
        .execute(c)
        .await?;
    Ok(r.rows_affected())
}
