//! SMTP for Certa: the protocol front-end (submission and inbound) and the outbound client.
//!
//! This crate speaks the protocol and holds no PEC rules. The server asks a [`server::Handler`]
//! (implemented by the engine) at every decision: who may log in, which sender and recipients
//! are acceptable, and what to answer once a message has been received. The client relays a
//! message as it is given and reports what the other side said, recipient by recipient.
//!
//! Implements, in part: RFC 5321 (SMTP), RFC 6409 (message submission), RFC 3207 (STARTTLS),
//! RFC 8314 (implicit TLS), RFC 4954 (AUTH; PLAIN is RFC 4616, LOGIN is the de-facto
//! draft-murchison-sasl-login), RFC 1870 (SIZE), RFC 2920 (PIPELINING), RFC 6152 (8BITMIME),
//! RFC 2034 and RFC 3463 (enhanced status codes). Command and reply syntax comes from the
//! `smtp-proto` crate.

pub mod client;
mod reply;
pub mod server;
use starttls as stream;

pub use reply::Reply;

/// Setting up TLS from certificate and key material.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("reading {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("TLS certificate PEM: {0}")]
    CertificatePem(String),
    #[error("TLS private key PEM: {0}")]
    KeyPem(String),
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
}
