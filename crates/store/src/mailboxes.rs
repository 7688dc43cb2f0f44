//! Domains and mailboxes: addresses, argon2id password hashes, status, quota.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};

use crate::{Conn, Error, Result};

/// 1 GB: the default quota of a PEC mailbox.
pub const DEFAULT_QUOTA: i64 = 1024 * 1024 * 1024;

/// The folders every mailbox has, with their RFC 6154 special use.
pub const DEFAULT_FOLDERS: [(&str, Option<&str>); 5] = [
    ("INBOX", None),
    ("Sent", Some("\\Sent")),
    ("Drafts", Some("\\Drafts")),
    ("Trash", Some("\\Trash")),
    ("Junk", Some("\\Junk")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    /// Neither sends nor receives (an incoming PEC gets a non-delivery notice); may read.
    Suspended,
    /// Receives and reads, cannot send (a grace period after expiry).
    #[serde(rename = "receive-only")]
    ReceiveOnly,
    Closed,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
            Status::ReceiveOnly => "receive-only",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Result<Status> {
        match s {
            "active" => Ok(Status::Active),
            "suspended" => Ok(Status::Suspended),
            "receive-only" => Ok(Status::ReceiveOnly),
            "closed" => Ok(Status::Closed),
            other => Err(Error::Invalid(format!(
                "unknown mailbox status {other:?}: use active, suspended, receive-only or closed"
            ))),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Mailbox {
    pub id: i64,
    pub address: String,
    pub domain: String,
    pub status: Status,
    pub quota_bytes: i64,
    pub used_bytes: i64,
    pub warned_percent: i64,
    pub created_at: i64,
}

type MailboxRow = (i64, String, String, String, i64, i64, i64, i64);
macro_rules! mailbox_columns {
    () => {
        "id, address, domain, status, quota_bytes, used_bytes, warned_percent, created_at"
    };
}

fn mailbox(row: MailboxRow) -> Result<Mailbox> {
    Ok(Mailbox {
        id: row.0,
        address: row.1,
        domain: row.2,
        status: Status::parse(&row.3)?,
        quota_bytes: row.4,
        used_bytes: row.5,
        warned_percent: row.6,
        created_at: row.7,
    })
}

/// Lowercases and checks `local@domain`.
pub fn normalize(address: &str) -> Result<String> {
    let a = address.trim().to_ascii_lowercase();
    match a.split_once('@') {
        Some((l, d)) if !l.is_empty() && d.contains('.') && !a.contains(char::is_whitespace) && !d.contains('@') => {
            Ok(a)
        }
        _ => Err(Error::Invalid(format!(
            "{address:?} is not an e-mail address (local@domain)"
        ))),
    }
}

pub async fn add_domain(c: &mut Conn, name: &str, now: i64) -> Result<()> {
    let name = name.trim().to_ascii_lowercase();
    if !name.contains('.') || name.contains(['@', ' ']) {
        return Err(Error::Invalid(format!("{name:?} is not a domain name")));
    }
    sqlx::query("INSERT INTO domains (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(&name)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn domains(c: &mut Conn) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT name FROM domains ORDER BY name")
        .fetch_all(c)
        .await?;
    Ok(rows.into_iter().map(|(n,)| n).collect())
}

pub async fn is_local_domain(c: &mut Conn, name: &str) -> Result<bool> {
    let row: Option<(String,)> = sqlx::query_as("SELECT name FROM domains WHERE name = $1")
        .bind(name.to_ascii_lowercase())
        .fetch_optional(c)
        .await?;
    Ok(row.is_some())
}

/// argon2id with the crate's default parameters (RFC 9106 second recommendation).
pub fn hash_password(password: &str) -> Result<String> {
    if password.len() < 8 {
        return Err(Error::Invalid("the password must be at least 8 characters long".into()));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::Invalid(format!("cannot hash the password: {e}")))
}

fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default())
}

fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Whether `password` is the one `hash` (argon2id, PHC form) was made from,
/// checked off the async threads (the check is deliberately slow).
pub async fn verify_password(hash: &str, password: &str) -> bool {
    let (hash, password) = (hash.to_string(), password.to_string());
    tokio::task::spawn_blocking(move || password_matches(&hash, &password))
        .await
        .unwrap_or(false)
}

/// Spends the time of one password check, so that timing does not tell an
/// unknown address from a wrong password.
pub async fn spend_a_check(password: &str) {
    let password = password.to_string();
    let _ = tokio::task::spawn_blocking(move || password_matches(dummy_hash(), &password)).await;
}

/// Creates a mailbox on a local domain with its default folders.
pub async fn create(c: &mut Conn, address: &str, password: &str, quota_bytes: i64, now: i64) -> Result<Mailbox> {
    let (address, domain) = check_new(c, address).await?;
    let hash = hash_password(password)?;
    insert(c, &address, &domain, &hash, quota_bytes, now).await
}

/// Creates a mailbox whose password was hashed before (`hash_password`): an
/// activation keeps the hash from its order until the order is paid.
pub async fn create_hashed(c: &mut Conn, address: &str, hash: &str, quota_bytes: i64, now: i64) -> Result<Mailbox> {
    let (address, domain) = check_new(c, address).await?;
    insert(c, &address, &domain, hash, quota_bytes, now).await
}

/// The normalised address and its domain, when a mailbox may be created there.
async fn check_new(c: &mut Conn, address: &str) -> Result<(String, String)> {
    let address = normalize(address)?;
    let domain = address.rsplit('@').next().unwrap_or_default().to_string();
    if !is_local_domain(c, &domain).await? {
        return Err(Error::Invalid(format!(
            "{domain} is not a domain of this provider: add it first"
        )));
    }
    if get(c, &address).await?.is_some() {
        return Err(Error::Conflict(format!("mailbox {address} already exists")));
    }
    Ok((address, domain))
}

async fn insert(c: &mut Conn, address: &str, domain: &str, hash: &str, quota_bytes: i64, now: i64) -> Result<Mailbox> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO mailboxes (address, domain, password_hash, status, quota_bytes, used_bytes, created_at)
         VALUES ($1, $2, $3, 'active', $4, 0, $5) RETURNING id",
    )
    .bind(address)
    .bind(domain)
    .bind(hash)
    .bind(quota_bytes)
    .bind(now)
    .fetch_one(&mut *c)
    .await?;
    for (i, (name, special)) in DEFAULT_FOLDERS.iter().enumerate() {
        crate::messages::create_folder(c, id, name, *special, now / 1000 + i as i64).await?;
    }
    get(c, address).await?.ok_or(Error::NotFound {
        what: "mailbox",
        key: address.to_string(),
    })
}

pub async fn get(c: &mut Conn, address: &str) -> Result<Option<Mailbox>> {
    let row: Option<MailboxRow> = sqlx::query_as(concat!(
        "SELECT ",
        mailbox_columns!(),
        " FROM mailboxes WHERE address = $1"
    ))
    .bind(address.trim().to_ascii_lowercase())
    .fetch_optional(c)
    .await?;
    row.map(mailbox).transpose()
}

pub async fn by_id(c: &mut Conn, id: i64) -> Result<Mailbox> {
    let row: Option<MailboxRow> =
        sqlx::query_as(concat!("SELECT ", mailbox_columns!(), " FROM mailboxes WHERE id = $1"))
            .bind(id)
            .fetch_optional(c)
            .await?;
    row.map(mailbox).transpose()?.ok_or(Error::NotFound {
        what: "mailbox",
        key: id.to_string(),
    })
}

pub async fn list(c: &mut Conn) -> Result<Vec<Mailbox>> {
    let rows: Vec<MailboxRow> = sqlx::query_as(concat!(
        "SELECT ",
        mailbox_columns!(),
        " FROM mailboxes ORDER BY address"
    ))
    .fetch_all(c)
    .await?;
    rows.into_iter().map(mailbox).collect()
}

/// The mailbox when `password` is right, whatever its status (the caller decides
/// what a suspended or closed mailbox may do). Unknown address and wrong password
/// look the same.
pub async fn authenticate(c: &mut Conn, address: &str, password: &str) -> Result<Option<Mailbox>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT password_hash FROM mailboxes WHERE address = $1")
        .bind(address.trim().to_ascii_lowercase())
        .fetch_optional(&mut *c)
        .await?;
    let Some((hash,)) = row else {
        // Spend the same time as a real check, so timing does not tell which addresses exist.
        let password = password.to_string();
        let _ = tokio::task::spawn_blocking(move || password_matches(dummy_hash(), &password)).await;
        return Ok(None);
    };
    let ok = {
        let (hash, password) = (hash.clone(), password.to_string());
        tokio::task::spawn_blocking(move || password_matches(&hash, &password))
            .await
            .unwrap_or(false)
    };
    if ok { get(c, address).await } else { Ok(None) }
}

pub async fn set_status(c: &mut Conn, address: &str, status: Status) -> Result<()> {
    let r = sqlx::query("UPDATE mailboxes SET status = $1 WHERE address = $2")
        .bind(status.as_str())
        .bind(address.trim().to_ascii_lowercase())
        .execute(c)
        .await?;
    if r.rows_affected() == 0 {
        return Err(Error::NotFound {
            what: "mailbox",
            key: address.to_string(),
        });
    }
    Ok(())
}

pub async fn set_password(c: &mut Conn, address: &str, password: &str) -> Result<()> {
    let hash = hash_password(password)?;
    let r = sqlx::query("UPDATE mailboxes SET password_hash = $1 WHERE address = $2")
        .bind(hash)
        .bind(address.trim().to_ascii_lowercase())
        .execute(c)
        .await?;
    if r.rows_affected() == 0 {
        return Err(Error::NotFound {
            what: "mailbox",
            key: address.to_string(),
        });
    }
    Ok(())
}

pub async fn set_quota(c: &mut Conn, address: &str, quota_bytes: i64) -> Result<()> {
    sqlx::query("UPDATE mailboxes SET quota_bytes = $1 WHERE address = $2")
        .bind(quota_bytes)
        .bind(address.trim().to_ascii_lowercase())
        .execute(c)
        .await?;
    Ok(())
}

/// Records that the usage warning at `percent` was sent (70, 90: once each).
pub async fn set_warned(c: &mut Conn, id: i64, percent: i64) -> Result<()> {
    sqlx::query("UPDATE mailboxes SET warned_percent = $1 WHERE id = $2")
        .bind(percent)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}
