//! Mailbox access (IMAP, POP3): logins go through the engine, which applies the
//! brute-force protection and the rules on suspended and closed mailboxes.

use std::net::IpAddr;
use std::sync::Arc;

use engine::Engine;
use engine::guard::{Channel, LoginRefused, Purpose};

/// The engine's login for reading, shared by the mailbox-access front-ends.
pub struct ReadLogin(pub Arc<Engine>);

/// What both IMAP and POP3 need to know of a login.
enum Outcome {
    Ok {
        address: String,
        mailbox_id: i64,
        /// Why the session may only read, when it may only read.
        read_only: Option<String>,
    },
    Invalid,
    Throttled(String),
    Disabled(String),
    Internal(String),
}

impl ReadLogin {
    async fn check(&self, protocol: &str, user: &str, password: &str, ip: IpAddr) -> Outcome {
        match self
            .0
            .login(protocol, user, password, ip, Purpose::Read, Channel::Mail)
            .await
        {
            Ok(Ok(granted)) => Outcome::Ok {
                read_only: granted.read_only.then(|| {
                    format!(
                        "The mailbox {} is {}: it can only be read",
                        granted.mailbox.address,
                        granted.mailbox.status.as_str()
                    )
                }),
                address: granted.mailbox.address,
                mailbox_id: granted.mailbox.id,
            },
            Ok(Err(LoginRefused::Invalid)) => Outcome::Invalid,
            Ok(Err(LoginRefused::Throttled { retry_after })) => Outcome::Throttled(format!(
                "too many failed logins: try again in {} minutes",
                retry_after.as_secs().div_ceil(60)
            )),
            Ok(Err(LoginRefused::Disabled(why))) => Outcome::Disabled(why),
            Err(e) => Outcome::Internal(e.to_string()),
        }
    }
}

impl pop3::Auth for ReadLogin {
    async fn login(&self, user: &str, password: &str, peer: IpAddr) -> Result<pop3::Login, pop3::LoginError> {
        match self.check("pop3", user, password, peer).await {
            // POP3 has no read-only session: a mailbox that may read may also delete
            // what it downloads, as it always could.
            Outcome::Ok {
                address, mailbox_id, ..
            } => Ok(pop3::Login { address, mailbox_id }),
            Outcome::Invalid => Err(pop3::LoginError::Invalid),
            Outcome::Throttled(t) => Err(pop3::LoginError::Throttled(t)),
            Outcome::Disabled(t) => Err(pop3::LoginError::Disabled(t)),
            Outcome::Internal(t) => Err(pop3::LoginError::Internal(t)),
        }
    }
}

impl imap::Auth for ReadLogin {
    async fn login(&self, user: &str, password: &str, peer: IpAddr) -> Result<imap::Login, imap::LoginError> {
        match self.check("imap", user, password, peer).await {
            Outcome::Ok {
                address,
                mailbox_id,
                read_only,
            } => Ok(imap::Login {
                address,
                mailbox_id,
                read_only,
            }),
            Outcome::Invalid => Err(imap::LoginError::Invalid),
            Outcome::Throttled(t) => Err(imap::LoginError::Throttled(t)),
            Outcome::Disabled(t) => Err(imap::LoginError::Disabled(t)),
            Outcome::Internal(t) => Err(imap::LoginError::Internal(t)),
        }
    }
}
