//! App passwords: one per mail program (IMAP, POP3, SMTP), named, revocable
//! on its own, 16 random lowercase letters (about 75 bits) shown once in
//! groups of four; only their argon2id hashes are kept. Which logins they open
//! is the engine's rule (`guard::Channel`): the mail protocols, never the web.

use serde::Serialize;
use store::two_factor;

use super::{grouped, hash, random_from};
use crate::{Error, Office, Result};

/// How many app passwords a mailbox may have (each login checks them all).
pub const MAX_APP_PASSWORDS: usize = 20;
/// The longest name of an app password.
const MAX_NAME_CHARS: usize = 60;

/// An app password just made: its text is shown once.
#[derive(Clone, Serialize)]
pub struct NewAppPassword {
    pub id: i64,
    pub name: String,
    /// 16 lowercase letters in groups of four (`abcd-efgh-ijkl-mnop`).
    pub password: String,
}

impl std::fmt::Debug for NewAppPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewAppPassword({}, {:?})", self.id, self.name)
    }
}

/// Makes an app password named `name` for IMAP, POP3 and SMTP clients; its
/// text is in the answer only.
pub async fn create_app_password(office: &Office, mailbox_id: i64, name: &str) -> Result<NewAppPassword> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid(
            "name",
            "give the app password a name, e.g. the program or device that will use it",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            format!("at most {MAX_NAME_CHARS} characters, on one line"),
        ));
    }
    let mut c = office.store().conn().await?;
    if two_factor::app_passwords(&mut c, mailbox_id).await?.len() >= MAX_APP_PASSWORDS {
        return Err(Error::Refused {
            field: Some("name"),
            reason: format!("a mailbox can have at most {MAX_APP_PASSWORDS} app passwords: revoke one first"),
        });
    }
    let letters = random_from(b"abcdefghijklmnopqrstuvwxyz", 16)?;
    let hashed = hash(&letters).await?;
    let id = two_factor::add_app_password(&mut c, mailbox_id, name, &hashed, office.now_ms()).await?;
    tracing::info!(target: "security", mailbox_id, app_password = id, "app password created");
    Ok(NewAppPassword {
        id,
        name: name.to_string(),
        password: grouped(&letters, 4, '-'),
    })
}

/// Revokes app password `id` of the mailbox: it opens nothing from now.
pub async fn revoke_app_password(office: &Office, mailbox_id: i64, id: i64) -> Result<()> {
    let mut c = office.store().conn().await?;
    if !two_factor::revoke_app_password(&mut c, mailbox_id, id).await? {
        return Err(Error::not_found(
            "app_password",
            format!("this mailbox has no app password {id}"),
        ));
    }
    tracing::info!(target: "security", mailbox_id, app_password = id, "app password revoked");
    Ok(())
}
