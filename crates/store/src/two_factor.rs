//! A mailbox's second factor and app passwords (migration 0013).
//!
//! The TOTP secret arrives sealed (the office seals it with a key outside the
//! database) and is stored as given; recovery codes and app passwords arrive
//! as argon2id hashes. What is a valid code or which credential opens which
//! channel is decided above (office, engine); here are the rows, and the
//! updates that make a code or a recovery code usable only once even when two
//! requests race (a conditional `UPDATE` that only one of them wins).

use crate::{Conn, Result};

/// A mailbox's TOTP enrolment.
#[derive(Debug, Clone)]
pub struct Totp {
    /// The secret as sealed by the office.
    pub sealed_secret: String,
    /// Confirmed with a first code: logins now ask for a code.
    pub enabled: bool,
    /// The time step of the last code accepted (RFC 6238 5.2: none is accepted twice).
    pub last_step: i64,
    pub enabled_at: Option<i64>,
}

/// An app password as listed (its hash never leaves the store but for checking).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPassword {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

pub async fn totp(c: &mut Conn, mailbox_id: i64) -> Result<Option<Totp>> {
    let row: Option<(String, i64, i64, Option<i64>)> =
        sqlx::query_as("SELECT sealed_secret, enabled, last_step, enabled_at FROM mailbox_totp WHERE mailbox_id = $1")
            .bind(mailbox_id)
            .fetch_optional(c)
            .await?;
    Ok(row.map(|r| Totp {
        sealed_secret: r.0,
        enabled: r.1 != 0,
        last_step: r.2,
        enabled_at: r.3,
    }))
}

/// Whether logins of the mailbox ask for a second factor.
pub async fn totp_enabled(c: &mut Conn, mailbox_id: i64) -> Result<bool> {
    Ok(totp(c, mailbox_id).await?.is_some_and(|t| t.enabled))
}

/// Keeps a new secret awaiting its first code, replacing one that awaited it;
/// false (nothing changed) when TOTP is already on.
pub async fn begin_enrolment(c: &mut Conn, mailbox_id: i64, sealed_secret: &str, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO mailbox_totp (mailbox_id, sealed_secret, enabled, last_step, created_at)
         VALUES ($1, $2, 0, 0, $3)
         ON CONFLICT (mailbox_id) DO UPDATE
            SET sealed_secret = excluded.sealed_secret, last_step = 0, created_at = excluded.created_at
          WHERE mailbox_totp.enabled = 0",
    )
    .bind(mailbox_id)
    .bind(sealed_secret)
    .bind(now)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Turns TOTP on with the first code's time `step`; false when it was on already.
pub async fn enable(c: &mut Conn, mailbox_id: i64, step: i64, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE mailbox_totp SET enabled = 1, last_step = $1, enabled_at = $2
          WHERE mailbox_id = $3 AND enabled = 0",
    )
    .bind(step)
    .bind(now)
    .bind(mailbox_id)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records that the code of time `step` was used; false when that step (or a
/// later one) was used already, so the code must be refused (RFC 6238 5.2).
pub async fn use_step(c: &mut Conn, mailbox_id: i64, step: i64) -> Result<bool> {
    let r =
        sqlx::query("UPDATE mailbox_totp SET last_step = $1 WHERE mailbox_id = $2 AND enabled = 1 AND last_step < $1")
            .bind(step)
            .bind(mailbox_id)
            .execute(c)
            .await?;
    Ok(r.rows_affected() == 1)
}

/// Turns TOTP off: the secret and the recovery codes are forgotten.
pub async fn disable(c: &mut Conn, mailbox_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE mailbox_id = $1")
        .bind(mailbox_id)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM mailbox_totp WHERE mailbox_id = $1")
        .bind(mailbox_id)
        .execute(c)
        .await?;
    Ok(())
}

/// Replaces the mailbox's recovery codes with these hashes.
pub async fn replace_recovery_codes(c: &mut Conn, mailbox_id: i64, hashes: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE mailbox_id = $1")
        .bind(mailbox_id)
        .execute(&mut *c)
        .await?;
    for hash in hashes {
        sqlx::query("INSERT INTO recovery_codes (mailbox_id, code_hash) VALUES ($1, $2)")
            .bind(mailbox_id)
            .bind(hash)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// The recovery codes not used yet: (id, hash).
pub async fn unused_recovery_codes(c: &mut Conn, mailbox_id: i64) -> Result<Vec<(i64, String)>> {
    Ok(
        sqlx::query_as(
            "SELECT id, code_hash FROM recovery_codes WHERE mailbox_id = $1 AND used_at IS NULL ORDER BY id",
        )
        .bind(mailbox_id)
        .fetch_all(c)
        .await?,
    )
}

/// Marks recovery code `id` used; false when it was used already.
pub async fn use_recovery_code(c: &mut Conn, id: i64, now: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Keeps a new app password's hash; its id.
pub async fn add_app_password(c: &mut Conn, mailbox_id: i64, name: &str, hash: &str, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO app_passwords (mailbox_id, name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(mailbox_id)
    .bind(name)
    .bind(hash)
    .bind(now)
    .fetch_one(c)
    .await?;
    Ok(id)
}

/// The mailbox's app passwords, oldest first.
pub async fn app_passwords(c: &mut Conn, mailbox_id: i64) -> Result<Vec<AppPassword>> {
    let rows: Vec<(i64, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, name, created_at, last_used_at FROM app_passwords WHERE mailbox_id = $1 ORDER BY id",
    )
    .bind(mailbox_id)
    .fetch_all(c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, created_at, last_used_at)| AppPassword {
            id,
            name,
            created_at,
            last_used_at,
        })
        .collect())
}

/// The hashes of the mailbox's app passwords, to check a login against: (id, hash).
pub async fn app_password_hashes(c: &mut Conn, mailbox_id: i64) -> Result<Vec<(i64, String)>> {
    Ok(
        sqlx::query_as("SELECT id, password_hash FROM app_passwords WHERE mailbox_id = $1 ORDER BY id")
            .bind(mailbox_id)
            .fetch_all(c)
            .await?,
    )
}

/// Records a login with app password `id`.
pub async fn app_password_used(c: &mut Conn, id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE app_passwords SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// Revokes the mailbox's app password `id`; false when it has none by that id.
pub async fn revoke_app_password(c: &mut Conn, mailbox_id: i64, id: i64) -> Result<bool> {
    let r = sqlx::query("DELETE FROM app_passwords WHERE id = $1 AND mailbox_id = $2")
        .bind(id)
        .bind(mailbox_id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}
