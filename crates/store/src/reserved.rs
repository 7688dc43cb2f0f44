//! The Order's reserved area for members (migration 0014): the one-time tokens
//! the Order issues to a member and the member's sessions, each under the
//! SHA-256 of its token. The caller (`office::registry::reserved`) makes the
//! tokens, decides the times and passes `now`.

use crate::{Conn, Result};

/// What a one-time token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Opens a member session.
    Login,
    /// Proves that the member holds the address it names.
    Confirm,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::Confirm => "confirm",
        }
    }
}

/// A token as issued.
#[derive(Debug, Clone, Copy)]
pub struct NewToken<'a> {
    pub hash: &'a str,
    pub purpose: Purpose,
    pub member_id: i64,
    /// The address to confirm ([`Purpose::Confirm`]).
    pub address: Option<&'a str>,
    pub expires_at: i64,
}

pub async fn add_token(c: &mut Conn, token: &NewToken<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO registry_member_tokens (token_hash, purpose, member_id, address, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token.hash)
    .bind(token.purpose.as_str())
    .bind(token.member_id)
    .bind(token.address)
    .bind(now)
    .bind(token.expires_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Uses the token of `hash` for `purpose`, issued to a member of `order_code`,
/// if it is unused and not expired at `now`: its member and address. One
/// conditional update, so that two requests racing with one token cannot both
/// use it; a token presented under another Order is not spent.
pub async fn use_token(
    c: &mut Conn,
    hash: &str,
    purpose: Purpose,
    order_code: &str,
    now: i64,
) -> Result<Option<(i64, Option<String>)>> {
    let row: Option<(i64, Option<String>)> = sqlx::query_as(
        "UPDATE registry_member_tokens SET used_at = $1
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
           AND member_id IN (SELECT id FROM registry_members WHERE order_code = $4)
         RETURNING member_id, address",
    )
    .bind(now)
    .bind(hash)
    .bind(purpose.as_str())
    .bind(order_code)
    .fetch_optional(c)
    .await?;
    Ok(row)
}

/// The addresses awaiting their confirmation for a member at `now`: `(address, expires_at)`, oldest first.
pub async fn pending_confirmations(c: &mut Conn, member_id: i64, now: i64) -> Result<Vec<(String, i64)>> {
    let rows: Vec<(Option<String>, i64)> = sqlx::query_as(
        "SELECT address, expires_at FROM registry_member_tokens
         WHERE member_id = $1 AND purpose = 'confirm' AND used_at IS NULL AND expires_at > $2
         ORDER BY created_at",
    )
    .bind(member_id)
    .bind(now)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().filter_map(|(a, e)| a.map(|a| (a, e))).collect())
}

/// Withdraws a member's unused confirmations (a new address communicated
/// supersedes them): how many.
pub async fn withdraw_confirmations(c: &mut Conn, member_id: i64, now: i64) -> Result<u64> {
    let r = sqlx::query(
        "UPDATE registry_member_tokens SET used_at = $1
         WHERE member_id = $2 AND purpose = 'confirm' AND used_at IS NULL",
    )
    .bind(now)
    .bind(member_id)
    .execute(c)
    .await?;
    Ok(r.rows_affected())
}

/// Removes the tokens expired before `before`; how many.
pub async fn purge_tokens(c: &mut Conn, before: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM registry_member_tokens WHERE expires_at < $1")
        .bind(before)
        .execute(c)
        .await?;
    Ok(r.rows_affected())
}

/// The Order and codice fiscale of the member with id `member_id`.
pub async fn member_key(c: &mut Conn, member_id: i64) -> Result<Option<(String, String)>> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT order_code, codice_fiscale FROM registry_members WHERE id = $1")
            .bind(member_id)
            .fetch_optional(c)
            .await?;
    Ok(row)
}

/// A member's session.
#[derive(Debug, Clone)]
pub struct MemberSession {
    pub member_id: i64,
    pub csrf: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

pub async fn create_session(c: &mut Conn, id_hash: &str, member_id: i64, csrf: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO registry_member_sessions (id_hash, member_id, csrf, created_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(id_hash)
    .bind(member_id)
    .bind(csrf)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn session(c: &mut Conn, id_hash: &str) -> Result<Option<MemberSession>> {
    let row: Option<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT member_id, csrf, created_at, last_seen_at FROM registry_member_sessions WHERE id_hash = $1",
    )
    .bind(id_hash)
    .fetch_optional(c)
    .await?;
    Ok(row.map(|r| MemberSession {
        member_id: r.0,
        csrf: r.1,
        created_at: r.2,
        last_seen_at: r.3,
    }))
}

/// Records activity at `now`.
pub async fn touch_session(c: &mut Conn, id_hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE registry_member_sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn delete_session(c: &mut Conn, id_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM registry_member_sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(c)
        .await?;
    Ok(())
}

/// Removes the sessions idle since before `idle_before` or created before
/// `created_before`; how many.
pub async fn purge_sessions(c: &mut Conn, idle_before: i64, created_before: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM registry_member_sessions WHERE last_seen_at < $1 OR created_at < $2")
        .bind(idle_before)
        .bind(created_before)
        .execute(c)
        .await?;
    Ok(r.rows_affected())
}
