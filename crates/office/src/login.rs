//! Logging in to the webmail: the mailbox address and password through the
//! engine's login rules (the mailbox's status, the brute-force limits shared
//! with SMTP, IMAP and POP3), then a session kept in the store so that several
//! nodes on one database share it. With two-factor login on (`security`),
//! the session awaits its second factor (`Stage::Password`) until
//! `security::verify_second_factor` completes it.
//!
//! A session's token is 32 random bytes, given to the browser once; the store
//! keeps only its SHA-256. Each session has its own token against cross-site
//! requests (`csrf`), which every form that changes something carries. A
//! session ends after `idle` without a request, or `lifetime` after the login,
//! whichever comes first (OWASP's session management guidance; the rules of
//! PEC say nothing about web sessions).

use std::net::IpAddr;
use std::time::Duration;

use engine::guard::{Channel, LoginRefused, Purpose};
use serde::Serialize;
use sha2::{Digest, Sha256};
use store::sessions::{self, Stage};

use crate::{Error, Office, Result};

/// How long sessions last.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// Without a request for this long, the session ends.
    pub idle: Duration,
    /// This long after the login, the session ends whatever the activity.
    pub lifetime: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::from_secs(30 * 60),
            lifetime: Duration::from_secs(12 * 3600),
        }
    }
}

/// How long a session waits for its second factor after the password; then
/// the login starts again (a password guessed does not keep a session open).
pub const SECOND_FACTOR_WINDOW: Duration = Duration::from_secs(10 * 60);

/// A session just opened: the token for the browser's cookie.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    /// Whether a second factor is still awaited before the mailbox can be used.
    pub second_factor: bool,
}

/// Why a login was refused, in terms a page can say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "refused", rename_all = "kebab-case")]
pub enum Refusal {
    /// Wrong address or password (never told apart).
    Invalid,
    /// Too many failures from this account or address: try again after this many minutes.
    Throttled { minutes: u64 },
    /// The mailbox may not log in (closed); why.
    Disabled { why: String },
}

/// The logged-in mailbox of a request.
#[derive(Debug, Clone, Serialize)]
pub struct WebUser {
    pub mailbox_id: i64,
    pub address: String,
    /// The session's token against cross-site requests.
    #[serde(skip)]
    pub csrf: String,
    /// A suspended mailbox allowed to read: changes are refused.
    pub read_only: bool,
    /// Whether the login is complete (no second factor awaited).
    pub complete: bool,
}

/// Checks `address` and `password` from `ip` and opens a session.
pub async fn log_in(office: &Office, address: &str, password: &str, ip: IpAddr) -> Result<Result<NewSession, Refusal>> {
    let granted = match office
        .engine()
        .login("web", address, password, ip, Purpose::Read, Channel::Web)
        .await?
    {
        Ok(granted) => granted,
        Err(LoginRefused::Invalid) => return Ok(Err(Refusal::Invalid)),
        Err(LoginRefused::Throttled { retry_after }) => {
            return Ok(Err(Refusal::Throttled {
                minutes: retry_after.as_secs().div_ceil(60),
            }));
        }
        Err(LoginRefused::Disabled(why)) => return Ok(Err(Refusal::Disabled { why })),
    };
    let token = random_hex(32)?;
    let csrf = random_hex(16)?;
    let mut c = office.store().conn().await?;
    // office::security: with TOTP on, the password alone opens no mailbox.
    let stage = if store::two_factor::totp_enabled(&mut c, granted.mailbox.id).await? {
        Stage::Password
    } else {
        Stage::Full
    };
    sessions::create(&mut c, &hash(&token), granted.mailbox.id, &csrf, stage, office.now_ms()).await?;
    tracing::info!(target: "security", address = %granted.mailbox.address, %ip, second_factor = stage != Stage::Full, "webmail login");
    Ok(Ok(NewSession {
        token,
        second_factor: stage != Stage::Full,
    }))
}

/// The session of `token`, if it is open: not idle for longer than the policy's
/// `idle`, not older than its `lifetime`, its mailbox not closed since. Records
/// the activity (at most once a minute, to spare the database a write per request).
pub async fn session(office: &Office, token: &str, policy: SessionPolicy) -> Result<Option<WebUser>> {
    let id = hash(token);
    let mut c = office.store().conn().await?;
    let Some(s) = sessions::get(&mut c, &id).await? else {
        return Ok(None);
    };
    let now = office.now_ms();
    let idle_for = now.saturating_sub(s.last_seen_at);
    let age = now.saturating_sub(s.created_at);
    let awaiting_too_long = s.stage == Stage::Password && age > millis(SECOND_FACTOR_WINDOW);
    if idle_for > millis(policy.idle) || age > millis(policy.lifetime) || awaiting_too_long {
        sessions::delete(&mut c, &id).await?;
        return Ok(None);
    }
    let mailbox = store::mailboxes::by_id(&mut c, s.mailbox_id).await?;
    if mailbox.status == store::mailboxes::Status::Closed {
        sessions::delete(&mut c, &id).await?;
        return Ok(None);
    }
    if idle_for > 60_000 {
        sessions::touch(&mut c, &id, now).await?;
    }
    let read_only =
        mailbox.status == store::mailboxes::Status::Suspended && office.engine().config().suspended_can_read;
    Ok(Some(WebUser {
        mailbox_id: mailbox.id,
        address: mailbox.address,
        csrf: s.csrf,
        read_only,
        complete: s.stage == Stage::Full,
    }))
}

/// Replaces the session `old_hash`, which awaited its second factor, with a
/// complete one under a new token and a new token against cross-site requests
/// (OWASP session management: a new identifier whenever the privilege
/// changes); the new token, for the browser's cookie.
pub(crate) async fn complete(office: &Office, old_hash: &str, mailbox_id: i64) -> Result<String> {
    let token = random_hex(32)?;
    let csrf = random_hex(16)?;
    let mut tx = office.store().begin().await?;
    sessions::delete(&mut tx, old_hash).await?;
    sessions::create(&mut tx, &hash(&token), mailbox_id, &csrf, Stage::Full, office.now_ms()).await?;
    tx.commit().await?;
    Ok(token)
}

/// Ends the session of `token`.
pub async fn log_out(office: &Office, token: &str) -> Result<()> {
    sessions::delete(&mut *office.store().conn().await?, &hash(token)).await?;
    Ok(())
}

/// Removes the sessions that ended by themselves; how many.
pub async fn purge_sessions(office: &Office, policy: SessionPolicy) -> Result<u64> {
    let now = office.now_ms();
    let removed = sessions::purge(
        &mut *office.store().conn().await?,
        now - millis(policy.idle),
        now - millis(policy.lifetime),
    )
    .await?;
    Ok(removed)
}

/// Whether `given` is the session's token against cross-site requests, compared
/// in constant time.
pub fn csrf_matches(user: &WebUser, given: &str) -> bool {
    // memcmp::eq needs equal lengths; the length of a token is no secret.
    user.csrf.len() == given.len() && openssl::memcmp::eq(user.csrf.as_bytes(), given.as_bytes())
}

pub(crate) fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    openssl::rand::rand_bytes(&mut buf).map_err(|e| Error::corrupt(format!("no random bytes: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
