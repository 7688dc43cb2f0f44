//! The holder changes the mailbox's password from the subscription page: the
//! current password first (a wrong one counts in the engine's brute-force
//! limits, like a wrong login), the new one with the rules the operator's
//! `certa mailbox password` applies (`crate::mailboxes::set_password`:
//! argon2id, at least 8 characters). Every session of the mailbox ends, this
//! one too, which goes on under a new token (OWASP session management: a new
//! identifier when the credentials change).

use std::net::IpAddr;

use store::sessions::{self, Stage};

use crate::login::{hash, random_hex};
use crate::{Error, Office, Result};

/// Changes the password of the session's mailbox; the token of the session
/// that replaces the caller's (every other session has ended).
pub async fn change_password(
    office: &Office,
    mailbox_id: i64,
    current: &str,
    new: &str,
    repeated: &str,
    ip: IpAddr,
) -> Result<String> {
    let address = store::mailboxes::by_id(&mut *office.store().conn().await?, mailbox_id)
        .await?
        .address;
    if let Some(retry_after) = office.engine().login_locked(&address, ip) {
        return Err(Error::refused_on(
            "current",
            format!(
                "too many failed attempts: try again in {} minutes",
                retry_after.as_secs().div_ceil(60)
            ),
        ));
    }
    let right = store::mailboxes::authenticate(&mut *office.store().conn().await?, &address, current)
        .await?
        .is_some();
    if !right {
        office.engine().second_factor_failed(&address, ip);
        return Err(Error::invalid("current", "the current password is wrong"));
    }
    if new != repeated {
        return Err(Error::invalid("repeat", "the new password and its repetition differ"));
    }
    if new == current {
        return Err(Error::invalid("new", "the new password is the current one"));
    }
    crate::mailboxes::set_password(office, &address, new)
        .await
        .map_err(|e| match e {
            Error::Invalid { reason, .. } => Error::invalid("new", reason),
            other => other,
        })?;
    let token = random_hex(32)?;
    let csrf = random_hex(16)?;
    let mut tx = office.store().begin().await?;
    let ended = sessions::delete_of_mailbox(&mut tx, mailbox_id).await?;
    sessions::create(&mut tx, &hash(&token), mailbox_id, &csrf, Stage::Full, office.now_ms()).await?;
    tx.commit().await?;
    tracing::info!(target: "security", %address, %ip, sessions_ended = ended, "password changed by the holder");
    Ok(token)
}
