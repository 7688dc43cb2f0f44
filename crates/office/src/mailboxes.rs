//! The provider's domains and mailboxes: what an operator does to them (and, on
//! the web, a holder to their own: the password).

use serde::Serialize;
use store::mailboxes::{self, Mailbox, Status};
use store::messages::StoredMessage;

use crate::{Error, Office, Result};

/// Hosts mailboxes of `domain` on this provider (again: nothing changes). The
/// domain as stored.
pub async fn add_domain(office: &Office, domain: &str) -> Result<String> {
    let domain = domain.trim().to_ascii_lowercase();
    if domain.is_empty() || !domain.contains('.') || domain.contains(['@', ' ']) {
        return Err(Error::invalid("domain", format!("{domain:?} is not a domain name")));
    }
    mailboxes::add_domain(&mut *office.store().conn().await?, &domain, office.now_ms()).await?;
    Ok(domain)
}

/// The domains whose mailboxes live here.
pub async fn domains(office: &Office) -> Result<Vec<String>> {
    Ok(mailboxes::domains(&mut *office.store().conn().await?).await?)
}

/// A mailbox to create.
#[derive(Debug, Clone)]
pub struct NewMailbox<'a> {
    pub address: &'a str,
    pub password: &'a str,
    pub quota_bytes: i64,
}

/// Creates a mailbox with its default folders; its domain must be one of this
/// provider's.
pub async fn add_mailbox(office: &Office, new: &NewMailbox<'_>) -> Result<Mailbox> {
    if new.quota_bytes <= 0 {
        return Err(Error::invalid(
            "quota",
            format!("{} bytes: give a positive size", new.quota_bytes),
        ));
    }
    let mut tx = office.store().begin().await?;
    let m = mailboxes::create(&mut tx, new.address, new.password, new.quota_bytes, office.now_ms()).await?;
    tx.commit().await?;
    Ok(m)
}

/// Every mailbox, by address.
pub async fn list(office: &Office) -> Result<Vec<Mailbox>> {
    Ok(mailboxes::list(&mut *office.store().conn().await?).await?)
}

/// A mailbox and its messages, folder by folder, with their PEC kind.
#[derive(Debug, Clone, Serialize)]
pub struct Contents {
    pub mailbox: Mailbox,
    pub messages: Vec<FolderMessage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FolderMessage {
    pub folder: String,
    pub message: StoredMessage,
}

pub async fn show(office: &Office, address: &str) -> Result<Contents> {
    let mut c = office.store().conn().await?;
    let mailbox = existing(&mut c, address).await?;
    let messages = store::messages::list_mailbox(&mut c, mailbox.id)
        .await?
        .into_iter()
        .map(|(folder, message)| FolderMessage { folder, message })
        .collect();
    Ok(Contents { mailbox, messages })
}

/// A member of an Order's registry whose official PEC was flagged as no longer
/// valid (the mailbox closed).
#[derive(Debug, Clone, Serialize)]
pub struct FlaggedMember {
    pub order: String,
    pub codice_fiscale: String,
}

/// What a change of status did.
#[derive(Debug, Clone, Serialize)]
pub struct StatusChange {
    pub address: String,
    pub status: Status,
    /// The members who had communicated the mailbox as their PEC, when it closed.
    pub flagged: Vec<FlaggedMember>,
}

/// Sets a mailbox active, suspended, receive-only or closed. A closed mailbox can no
/// longer receive: it is flagged, in the same transaction, on every member of an
/// Order's registry who communicated it as their PEC.
pub async fn set_status(office: &Office, address: &str, status: Status) -> Result<StatusChange> {
    let mut tx = office.store().begin().await?;
    let address = existing(&mut tx, address).await?.address;
    mailboxes::set_status(&mut tx, &address, status).await?;
    let flagged = if status == Status::Closed {
        let flag = format!(
            "mailbox {address} of this provider closed by the operator on {}",
            office.today()
        );
        store::registry::flag_address(&mut tx, &address, &flag).await?
    } else {
        Vec::new()
    };
    tx.commit().await?;
    Ok(StatusChange {
        address,
        status,
        flagged: flagged
            .into_iter()
            .map(|(_, order, codice_fiscale)| FlaggedMember { order, codice_fiscale })
            .collect(),
    })
}

/// Sets a mailbox's password (argon2id; at least 8 characters).
pub async fn set_password(office: &Office, address: &str, password: &str) -> Result<()> {
    let mut c = office.store().conn().await?;
    let address = existing(&mut c, address).await?.address;
    mailboxes::set_password(&mut c, &address, password)
        .await
        .map_err(|e| match e {
            store::Error::Invalid(reason) => Error::invalid("password", reason),
            other => other.into(),
        })
}

async fn existing(c: &mut store::Conn, address: &str) -> Result<Mailbox> {
    mailboxes::get(c, address)
        .await?
        .ok_or_else(|| Error::not_found("address", format!("no mailbox {address} on this provider")))
}
