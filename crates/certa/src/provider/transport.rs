//! The engine's outbound mail, through the `smtp` crate's client.

use std::sync::Arc;
use std::time::Duration;

use engine::index::TlsMode;
use engine::{BoxFuture, Endpoint, RemoteReply, SendOutcome, Transport};
use smtp::client::{self, ClientConfig, SendError};

pub struct SmtpTransport {
    config: ClientConfig,
}

impl SmtpTransport {
    /// `roots_pem`: the CAs of the servers' TLS certificates (the index's `tls_roots`).
    pub fn new(helo: &str, roots_pem: &[String]) -> anyhow::Result<SmtpTransport> {
        let mut roots = rustls::RootCertStore::empty();
        for pem in roots_pem {
            for cert in rustls_pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert = cert.map_err(|e| anyhow::anyhow!("a TLS root of the provider index is not PEM: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| anyhow::anyhow!("a TLS root of the provider index is not usable: {e}"))?;
            }
        }
        Ok(SmtpTransport {
            config: ClientConfig {
                helo: helo.to_string(),
                roots: Arc::new(roots),
                timeout: Duration::from_secs(60),
            },
        })
    }
}

use rustls_pki_types::pem::PemObject;

impl Transport for SmtpTransport {
    fn send<'a>(
        &'a self,
        to: &'a Endpoint,
        mail_from: &'a str,
        rcpts: &'a [String],
        message: &'a [u8],
    ) -> BoxFuture<'a, SendOutcome> {
        Box::pin(async move {
            let endpoint = client::Endpoint {
                host: to.host.clone(),
                port: to.port,
                tls: match to.tls {
                    TlsMode::Starttls => client::TlsMode::StartTls,
                    TlsMode::Tls => client::TlsMode::Implicit,
                    TlsMode::None => client::TlsMode::None,
                },
            };
            match client::send(&endpoint, &self.config, mail_from, rcpts, message).await {
                Ok(d) => SendOutcome::Done {
                    accepted: d.accepted,
                    refused: d
                        .rejected
                        .into_iter()
                        .map(|(a, r)| {
                            (
                                a,
                                RemoteReply {
                                    code: r.code,
                                    text: reply_text(&r),
                                },
                            )
                        })
                        .collect(),
                },
                Err(SendError::Connect(why)) => SendOutcome::Retry(why),
                Err(SendError::Temporary(r)) => SendOutcome::Retry(r.to_string()),
                Err(SendError::Permanent(r)) => SendOutcome::Permanent(r.to_string()),
            }
        })
    }
}

/// `5.1.1 text`: the enhanced status first, as the engine reads it.
fn reply_text(r: &smtp::Reply) -> String {
    match r.status {
        Some((a, b, c)) => format!("{a}.{b}.{c} {}", r.text),
        None => r.text.clone(),
    }
}
