//! The outbound client: relays one message to another provider's endpoint or a smarthost.
//!
//! [`send`] makes one connection per call: greeting, EHLO, STARTTLS and EHLO again (RFC 3207) or implicit TLS
//! (RFC 8314), MAIL, one RCPT per recipient, DATA with dot-stuffing (RFC 5321 4.5.2), QUIT.
//! Recipients are judged one by one; a failure at MAIL or DATA fails the whole send.
//! [`Session`] keeps a connection for many transactions, with AUTH (submission).

mod connection;
mod data;
mod session;

use std::sync::Arc;
use std::time::Duration;

use connection::{Capabilities, Connection};
pub use session::{Session, Transaction};

use crate::Reply;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain connect, then STARTTLS, which is required: a server that does not offer it is a
    /// connection failure.
    StartTls,
    /// TLS from the first byte (RFC 8314 3.3).
    Implicit,
    /// No TLS at all (tests, a local smarthost).
    None,
}

/// Where to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or IP address; also the name the TLS certificate must carry.
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Our name in EHLO.
    pub helo: String,
    /// The certificate authorities trusted for the server's TLS certificate.
    pub roots: Arc<rustls::RootCertStore>,
    /// The limit for connecting and for each wait on the server.
    pub timeout: Duration,
}

/// What happened to each recipient of a send that got through DATA (or stopped before it
/// because no recipient was accepted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    pub accepted: Vec<String>,
    /// Refused at RCPT; the reply tells 4xx (try again) from 5xx (give up).
    pub rejected: Vec<(String, Reply)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No usable SMTP session: connection refused or lost, timeout, DNS, TLS failure or
    /// STARTTLS not offered, a reply that does not parse. Retry later.
    #[error("connection failed: {0}")]
    Connect(String),
    /// A 4xx reply to the greeting, EHLO, MAIL or DATA.
    #[error("temporary failure: {0}")]
    Temporary(Reply),
    /// A 5xx reply to the greeting, EHLO, MAIL or DATA; or an address we refuse to put on the
    /// wire (reply 553, made up here).
    #[error("permanent failure: {0}")]
    Permanent(Reply),
}

/// Sends `message` (bytes as they are, CRLF line ends expected) from `mail_from` (`""` for
/// the null reverse-path) to `rcpts`.
///
/// A timeout after the message was sent is reported as [`SendError::Connect`]: the server
/// may have accepted it, so a retry can duplicate it (RFC 5321 6.1 accepts that risk).
pub async fn send(
    endpoint: &Endpoint,
    config: &ClientConfig,
    mail_from: &str,
    rcpts: &[String],
    message: &[u8],
) -> Result<Delivery, SendError> {
    if !is_safe_address(mail_from) {
        return Err(SendError::Permanent(Reply::new(
            553,
            Some((5, 1, 7)),
            format!("Invalid sender address {mail_from:?}"),
        )));
    }
    let mut session = Session::open(endpoint, config).await?;
    let result = session.transaction(mail_from, rcpts, message).await;
    if !matches!(result, Err(SendError::Connect(_))) {
        session.quit().await;
    }
    result.map(|t| t.delivery)
}

/// MAIL, RCPT per recipient, DATA on an open session.
async fn transaction(
    connection: &mut Connection,
    capabilities: &Capabilities,
    mail_from: &str,
    rcpts: &[String],
    message: &[u8],
) -> Result<Transaction, SendError> {
    let reply = connection
        .command(&mail_command(mail_from, message, capabilities))
        .await?;
    if !reply.is_positive() {
        return Err(failure(reply));
    }
    let mut delivery = Delivery::default();
    for rcpt in rcpts {
        if !is_safe_address(rcpt) || rcpt.is_empty() {
            let reply = Reply::new(553, Some((5, 1, 3)), format!("Invalid recipient address {rcpt:?}"));
            delivery.rejected.push((rcpt.clone(), reply));
            continue;
        }
        let reply = connection.command(&format!("RCPT TO:<{rcpt}>")).await?;
        if reply.is_positive() {
            delivery.accepted.push(rcpt.clone());
        } else {
            delivery.rejected.push((rcpt.clone(), reply));
        }
    }
    // RFC 5321 3.3: no DATA without an accepted recipient.
    if delivery.accepted.is_empty() {
        return Ok(Transaction { delivery, reply: None });
    }
    let reply = connection.command("DATA").await?;
    if reply.code != 354 {
        return Err(failure(reply));
    }
    connection.write_all(&data::transparent(message)).await?;
    let reply = connection.read_reply().await?;
    if !reply.is_positive() {
        return Err(failure(reply));
    }
    Ok(Transaction {
        delivery,
        reply: Some(reply),
    })
}

/// MAIL FROM with SIZE (RFC 1870 6) and BODY=8BITMIME (RFC 6152) when the server offers them.
fn mail_command(mail_from: &str, message: &[u8], capabilities: &Capabilities) -> String {
    let mut command = format!("MAIL FROM:<{mail_from}>");
    if capabilities.size {
        command.push_str(&format!(" SIZE={}", message.len()));
    }
    if capabilities.eight_bit_mime && !message.is_ascii() {
        command.push_str(" BODY=8BITMIME");
    }
    command
}

fn failure(reply: Reply) -> SendError {
    if reply.is_transient() {
        SendError::Temporary(reply)
    } else {
        SendError::Permanent(reply)
    }
}

/// An address that cannot break out of `<...>` on the command line.
fn is_safe_address(address: &str) -> bool {
    !address.chars().any(|c| c.is_control() || c == '<' || c == '>')
}
