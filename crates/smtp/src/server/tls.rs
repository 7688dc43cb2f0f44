//! TLS: the rustls configuration (ring provider only), implicit TLS (RFC 8314 3.3) and
//! STARTTLS (RFC 3207).

use std::io;
use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsStream};

use super::session::{End, Session, Step};
use super::{Handler, Reply};
use crate::Error;
use crate::stream::Stream;

/// A server configuration from a PEM certificate chain (leaf first) and its PEM private key
/// (PKCS#8, PKCS#1 or SEC1).
pub fn tls_config_from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<rustls::ServerConfig>, Error> {
    starttls::server_config(cert_pem, key_pem).map_err(|e| match e {
        starttls::ConfigError::CertificatePem(m) => Error::CertificatePem(m),
        starttls::ConfigError::KeyPem(m) => Error::KeyPem(m),
        starttls::ConfigError::Tls(e) => Error::Tls(e),
    })
}

/// [`tls_config_from_pem`] from files.
pub fn tls_config_from_files(cert_path: &Path, key_path: &Path) -> Result<Arc<rustls::ServerConfig>, Error> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })
    };
    tls_config_from_pem(&read(cert_path)?, &read(key_path)?)
}

async fn accept(config: Arc<rustls::ServerConfig>, tcp: TcpStream) -> io::Result<Stream> {
    let tls = TlsAcceptor::from(config).accept(tcp).await?;
    Ok(Stream::Tls(Box::new(TlsStream::Server(tls))))
}

impl<H: Handler> Session<H> {
    pub(super) async fn starttls(&mut self) -> Step {
        if self.config.tls.is_none() {
            self.reply(Reply::new(502, Some((5, 5, 1)), "STARTTLS not available"));
            return Ok(());
        }
        if self.info.tls {
            self.reply(Reply::new(503, Some((5, 5, 1)), "TLS already active"));
            return Ok(());
        }
        self.reply(Reply::new(220, Some((2, 0, 0)), "Ready to start TLS"));
        self.flush().await?;
        // RFC 3207 6 (and CVE-2011-0411): what came in clear after STARTTLS must not be read as
        // if it had come under TLS.
        self.input.clear();
        self.start_tls().await?;
        // RFC 3207 4.2: forget what the client said before TLS, starting with EHLO.
        self.info.helo = None;
        self.info.authenticated = None;
        self.reset();
        Ok(())
    }

    /// The handshake on the current TCP stream: implicit TLS, or after STARTTLS.
    pub(super) async fn start_tls(&mut self) -> Step {
        let (Some(config), Some(tcp)) = (self.config.tls.clone(), self.stream.take_plain()) else {
            return Err(End::Lost);
        };
        match tokio::time::timeout(self.config.idle_timeout, accept(config, tcp)).await {
            Ok(Ok(stream)) => {
                self.stream = stream;
                self.info.tls = true;
                Ok(())
            }
            Ok(Err(e)) => {
                tracing::debug!(peer = %self.peer(), error = %e, "TLS handshake failed");
                Err(End::Lost)
            }
            Err(_elapsed) => Err(End::Lost),
        }
    }
}
