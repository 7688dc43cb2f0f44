//! The consoles' people (migration 0017): staff accounts with their role and
//! the Orders a secretariat works for, their sessions under the SHA-256 of
//! their token, and the audit trail of what they did. The caller
//! (`office::staff`) hashes, seals, decides the times and passes `now`.

use crate::{Conn, Result};

/// A staff account as stored.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub login: String,
    pub name: String,
    /// `operator` or `secretariat`.
    pub role: String,
    pub password_hash: String,
    /// The TOTP secret, sealed.
    pub totp_secret: String,
    /// The last TOTP time step used.
    pub totp_step: i64,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
    /// The Orders granted (a secretariat's tenants), by code, sorted.
    pub orders: Vec<String>,
}

type AccountRow = (i64, String, String, String, String, String, i64, Option<i64>, i64);

/// `SELECT <an account's columns> FROM staff_accounts <rest>`, as one literal.
macro_rules! select_accounts {
    ($rest:literal) => {
        concat!(
            "SELECT id, login, name, role, password_hash, totp_secret, totp_step, disabled_at, created_at FROM staff_accounts ",
            $rest
        )
    };
}

async fn with_orders(c: &mut Conn, r: AccountRow) -> Result<Account> {
    let orders: Vec<(String,)> =
        sqlx::query_as("SELECT order_code FROM staff_orders WHERE account_id = $1 ORDER BY order_code")
            .bind(r.0)
            .fetch_all(&mut *c)
            .await?;
    Ok(Account {
        id: r.0,
        login: r.1,
        name: r.2,
        role: r.3,
        password_hash: r.4,
        totp_secret: r.5,
        totp_step: r.6,
        disabled_at: r.7,
        created_at: r.8,
        orders: orders.into_iter().map(|(o,)| o).collect(),
    })
}

/// A new account; None when the login is taken. The TOTP secret is set by
/// [`set_totp_secret`] once the id (its sealing's associated data) is known.
pub async fn create(
    c: &mut Conn,
    login: &str,
    name: &str,
    role: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO staff_accounts (login, name, role, password_hash, totp_secret, created_at)
         VALUES ($1, $2, $3, $4, '', $5) ON CONFLICT (login) DO NOTHING RETURNING id",
    )
    .bind(login)
    .bind(name)
    .bind(role)
    .bind(password_hash)
    .bind(now)
    .fetch_optional(c)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// Replaces the sealed TOTP secret, forgetting the last step used.
pub async fn set_totp_secret(c: &mut Conn, id: i64, sealed: &str) -> Result<bool> {
    let r = sqlx::query("UPDATE staff_accounts SET totp_secret = $1, totp_step = 0 WHERE id = $2")
        .bind(sealed)
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_password_hash(c: &mut Conn, id: i64, hash: &str) -> Result<bool> {
    let r = sqlx::query("UPDATE staff_accounts SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Records the TOTP step used, only if it is later than the last one: false
/// when the code was used already (two requests racing with one code).
pub async fn use_step(c: &mut Conn, id: i64, step: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE staff_accounts SET totp_step = $1 WHERE id = $2 AND totp_step < $1")
        .bind(step)
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Disables (`Some(now)`) or enables (`None`) an account.
pub async fn set_disabled(c: &mut Conn, id: i64, at: Option<i64>) -> Result<bool> {
    let r = sqlx::query("UPDATE staff_accounts SET disabled_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn by_login(c: &mut Conn, login: &str) -> Result<Option<Account>> {
    let row: Option<AccountRow> = sqlx::query_as(select_accounts!("WHERE login = $1"))
        .bind(login)
        .fetch_optional(&mut *c)
        .await?;
    match row {
        Some(r) => Ok(Some(with_orders(c, r).await?)),
        None => Ok(None),
    }
}

pub async fn by_id(c: &mut Conn, id: i64) -> Result<Option<Account>> {
    let row: Option<AccountRow> = sqlx::query_as(select_accounts!("WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    match row {
        Some(r) => Ok(Some(with_orders(c, r).await?)),
        None => Ok(None),
    }
}

/// Every account, by login.
pub async fn list(c: &mut Conn) -> Result<Vec<Account>> {
    let rows: Vec<AccountRow> = sqlx::query_as(select_accounts!("ORDER BY login"))
        .fetch_all(&mut *c)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(with_orders(c, r).await?);
    }
    Ok(out)
}

/// Grants an Order to an account; false when it was granted already.
pub async fn grant(c: &mut Conn, id: i64, order_code: &str) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO staff_orders (account_id, order_code) VALUES ($1, $2)
         ON CONFLICT (account_id, order_code) DO NOTHING",
    )
    .bind(id)
    .bind(order_code)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Withdraws an Order from an account; false when it was not granted.
pub async fn withdraw(c: &mut Conn, id: i64, order_code: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM staff_orders WHERE account_id = $1 AND order_code = $2")
        .bind(id)
        .bind(order_code)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// A console session as stored.
#[derive(Debug, Clone)]
pub struct Session {
    pub account_id: i64,
    pub csrf: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

pub async fn create_session(c: &mut Conn, id_hash: &str, account_id: i64, csrf: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO staff_sessions (id_hash, account_id, csrf, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(id_hash)
    .bind(account_id)
    .bind(csrf)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn session(c: &mut Conn, id_hash: &str) -> Result<Option<Session>> {
    let row: Option<(i64, String, i64, i64)> =
        sqlx::query_as("SELECT account_id, csrf, created_at, last_seen_at FROM staff_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_optional(c)
            .await?;
    Ok(row.map(|r| Session {
        account_id: r.0,
        csrf: r.1,
        created_at: r.2,
        last_seen_at: r.3,
    }))
}

pub async fn touch_session(c: &mut Conn, id_hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE staff_sessions SET last_seen_at = $1 WHERE id_hash = $2 AND last_seen_at < $1")
        .bind(now)
        .bind(id_hash)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn delete_session(c: &mut Conn, id_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM staff_sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(c)
        .await?;
    Ok(())
}

/// Ends every session of an account (disabled, password or TOTP reset).
pub async fn delete_sessions_of(c: &mut Conn, account_id: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM staff_sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(c)
        .await?;
    Ok(r.rows_affected())
}

/// Removes sessions idle since before `idle_before` or opened before `created_before`.
pub async fn purge_sessions(c: &mut Conn, idle_before: i64, created_before: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM staff_sessions WHERE last_seen_at < $1 OR created_at < $2")
        .bind(idle_before)
        .bind(created_before)
        .execute(c)
        .await?;
    Ok(r.rows_affected())
}

/// One action of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    /// The staff login (or `key:<prefix>` for an API key of a mailbox).
    pub actor: String,
    pub role: String,
    /// `web`, `api` or `cli`.
    pub via: String,
    pub action: String,
    pub order_code: Option<String>,
    pub subject: String,
    pub detail: String,
}

/// What to append: every field but the id.
#[derive(Debug, Clone, Copy)]
pub struct NewAudit<'a> {
    pub actor: &'a str,
    pub role: &'a str,
    pub via: &'a str,
    pub action: &'a str,
    pub order_code: Option<&'a str>,
    pub subject: &'a str,
    pub detail: &'a str,
}

pub async fn append_audit(c: &mut Conn, e: &NewAudit<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO audit_log (at, actor, role, via, action, order_code, subject, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(now)
    .bind(e.actor)
    .bind(e.role)
    .bind(e.via)
    .bind(e.action)
    .bind(e.order_code)
    .bind(e.subject)
    .bind(e.detail)
    .fetch_one(c)
    .await?;
    Ok(id)
}

/// Which audit entries to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// Only the actions about these Orders (a secretariat's view); None: all.
    pub orders: Option<Vec<String>>,
    pub action: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Entries older than this id (keyset pages, newest first).
    pub before_id: Option<i64>,
    pub limit: i64,
}

type AuditRow = (i64, i64, String, String, String, String, Option<String>, String, String);

/// Audit entries, newest first.
pub async fn audit(c: &mut Conn, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
    // A secretariat's Orders as placeholders of their own ($7, $8, ...): no
    // query text is built from input. No Order at all matches nothing.
    let orders_clause = match &f.orders {
        None => "1 = 1".to_string(),
        Some(o) if o.is_empty() => "1 = 0".to_string(),
        Some(o) => format!(
            "order_code IN ({})",
            (0..o.len())
                .map(|i| format!("${}", i + 7))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let sql = format!(
        "SELECT id, at, actor, role, via, action, order_code, subject, detail FROM audit_log
         WHERE ($1 IS NULL OR actor = $1)
           AND ($2 IS NULL OR action = $2)
           AND ($3 IS NULL OR at >= $3)
           AND ($4 IS NULL OR at < $4)
           AND ($5 IS NULL OR id < $5)
           AND {orders_clause}
         ORDER BY id DESC LIMIT $6"
    );
    // Audited: the text varies only by the count of placeholders, never by input.
    let mut q = sqlx::query_as::<_, AuditRow>(sqlx::AssertSqlSafe(sql))
        .bind(f.actor.as_deref())
        .bind(f.action.as_deref())
        .bind(f.from)
        .bind(f.to)
        .bind(f.before_id)
        .bind(if f.limit > 0 { f.limit } else { 100 });
    for code in f.orders.iter().flatten() {
        q = q.bind(code.as_str());
    }
    let rows = q.fetch_all(c).await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.0,
            at: r.1,
            actor: r.2,
            role: r.3,
            via: r.4,
            action: r.5,
            order_code: r.6,
            subject: r.7,
            detail: r.8,
        })
        .collect())
}
