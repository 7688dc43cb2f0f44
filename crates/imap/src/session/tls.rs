//! STARTTLS (RFC 3501 6.2.1) and the handshake of implicit TLS (RFC 8314 3.3).

use imap_types::core::Tag;
use tokio_rustls::{TlsAcceptor, TlsStream};

use super::{End, Session, Step};
use crate::Auth;
use crate::stream::Stream;

impl<A: Auth> Session<A> {
    pub(super) async fn starttls(&mut self, tag: &Tag<'_>) -> Step {
        self.out.ok(tag, None, "Begin TLS negotiation now");
        self.flush().await?;
        // What came in clear after STARTTLS must not be read as if it had come under TLS
        // (the command injection of CVE-2011-0411, RFC 3501 6.2.1 and 11.1).
        self.receiver.reset();
        self.start_tls().await
    }

    /// The handshake on the current TCP stream.
    pub(super) async fn start_tls(&mut self) -> Step {
        let Some(tcp) = self.stream.take_plain() else {
            return Err(End::Lost);
        };
        let acceptor = TlsAcceptor::from(self.config.tls.clone());
        match tokio::time::timeout(self.config.login_timeout, acceptor.accept(tcp)).await {
            Ok(Ok(tls)) => {
                self.stream = Stream::Tls(Box::new(TlsStream::Server(tls)));
                self.tls = true;
                Ok(())
            }
            Ok(Err(e)) => {
                tracing::debug!(peer = %self.peer, error = %e, "TLS handshake failed");
                Err(End::Lost)
            }
            Err(_elapsed) => Err(End::Lost),
        }
    }
}
