//! A client session kept open for many mail transactions, with authentication:
//! what a submission client does (RFC 6409), and what `certa bench` drives.
//!
//! [`Session::open`] reads the greeting, says EHLO and starts TLS as the endpoint
//! asks (RFC 3207 4.2: EHLO again under TLS); [`Session::auth_plain`] logs in
//! (RFC 4954 with the PLAIN mechanism of RFC 4616, its initial response on the
//! command line); each [`Session::send`] is one mail transaction (RFC 5321 3.3),
//! and after a refused one the session is reset (RSET, RFC 5321 4.1.1.5) so the
//! next can go on.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::connection::{Capabilities, Connection};
use super::{ClientConfig, Delivery, Endpoint, SendError, TlsMode, failure, transaction};
use crate::Reply;

/// An open SMTP client session.
pub struct Session {
    connection: Connection,
    capabilities: Capabilities,
    host: String,
    tls: bool,
    /// The connection failed or could not be reset: no further transaction.
    broken: bool,
}

/// What one mail transaction of a session got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Each recipient's answer.
    pub delivery: Delivery,
    /// The server's answer to the message data (a positive one: refusals are
    /// errors); `None` when no recipient was accepted, so no data was sent.
    pub reply: Option<Reply>,
}

impl Session {
    /// Connects to `endpoint`: greeting, EHLO, and TLS as `endpoint.tls` says
    /// (STARTTLS is then required: a server without it is a connection failure).
    pub async fn open(endpoint: &Endpoint, config: &ClientConfig) -> Result<Session, SendError> {
        let mut connection = Connection::open(endpoint, config).await?;
        // RFC 5321 3.1: the greeting is 220; 554 means no service here.
        let greeting = connection.read_reply().await?;
        if greeting.code != 220 {
            return Err(failure(greeting));
        }
        let mut capabilities = connection.ehlo(&config.helo).await?;
        if endpoint.tls == TlsMode::StartTls {
            if !capabilities.starttls {
                return Err(SendError::Connect(format!("{} does not offer STARTTLS", endpoint.host)));
            }
            let reply = connection.command("STARTTLS").await?;
            if reply.code != 220 {
                return Err(SendError::Connect(format!(
                    "{} refused STARTTLS: {reply}",
                    endpoint.host
                )));
            }
            connection.start_tls(endpoint, config).await?;
            // RFC 3207 4.2: the capabilities may change under TLS.
            capabilities = connection.ehlo(&config.helo).await?;
        }
        Ok(Session {
            connection,
            capabilities,
            host: endpoint.host.clone(),
            tls: endpoint.tls != TlsMode::None,
            broken: false,
        })
    }

    /// AUTH PLAIN (RFC 4954 4, RFC 4616 2) with the credentials in the initial
    /// response. Only under TLS: the password would otherwise cross the network in
    /// clear (RFC 4954 4, RFC 8314 3). A refusal (535, 454, ...) is returned as the
    /// server's reply.
    pub async fn auth_plain(&mut self, user: &str, password: &str) -> Result<(), SendError> {
        if !self.tls {
            return Err(SendError::Connect(format!("{}: no AUTH without TLS", self.host)));
        }
        if !self.capabilities.auth_plain {
            return Err(SendError::Connect(format!("{} does not offer AUTH PLAIN", self.host)));
        }
        let credentials = BASE64.encode(format!("\0{user}\0{password}"));
        let reply = self.connection.command(&format!("AUTH PLAIN {credentials}")).await?;
        if reply.code != 235 {
            return Err(failure(reply));
        }
        Ok(())
    }

    /// One mail transaction: MAIL, one RCPT per recipient, DATA. After a refusal
    /// at MAIL or DATA, or when no recipient was accepted, the session is reset for
    /// the next transaction.
    pub async fn send(&mut self, mail_from: &str, rcpts: &[String], message: &[u8]) -> Result<Transaction, SendError> {
        if self.broken {
            return Err(SendError::Connect(format!("{}: the session was lost", self.host)));
        }
        let result = self.transaction(mail_from, rcpts, message).await;
        let settled = match &result {
            Ok(t) => t.reply.is_some(),
            Err(SendError::Connect(_)) => {
                self.broken = true;
                return result;
            }
            Err(_) => false,
        };
        // A failed reset loses the session, not this transaction's outcome.
        if !settled && !matches!(self.connection.command("RSET").await, Ok(r) if r.code == 250) {
            self.broken = true;
        }
        result
    }

    pub(super) async fn transaction(
        &mut self,
        mail_from: &str,
        rcpts: &[String],
        message: &[u8],
    ) -> Result<Transaction, SendError> {
        transaction(&mut self.connection, &self.capabilities, mail_from, rcpts, message).await
    }

    /// QUIT and close.
    pub async fn quit(mut self) {
        self.connection.quit().await;
    }
}
