//! One client connection: replies read with smtp-proto's parser, commands written, TLS started.

use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::ring;
use rustls_pki_types::ServerName;
use smtp_proto::response::parser::ResponseReceiver;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::{TlsConnector, TlsStream};

use super::{ClientConfig, Endpoint, SendError, TlsMode, failure};
use crate::Reply;
use crate::stream::Stream;

/// Message data goes out in pieces of this size, each within the timeout.
const WRITE_CHUNK: usize = 64 * 1024;

/// The EHLO keywords this client uses (RFC 5321 4.1.1.1).
#[derive(Debug, Default)]
pub(super) struct Capabilities {
    pub(super) starttls: bool,
    pub(super) size: bool,
    pub(super) eight_bit_mime: bool,
    /// AUTH with the PLAIN mechanism among those offered (RFC 4954 3).
    pub(super) auth_plain: bool,
}

impl Capabilities {
    /// From the text of a 250 EHLO reply: the first line is the greeting, each further line an
    /// extension keyword with its parameters.
    fn from_ehlo(text: &str) -> Self {
        let mut capabilities = Capabilities::default();
        for line in text.lines().skip(1) {
            let keyword = line.split_ascii_whitespace().next().unwrap_or_default();
            match keyword.to_ascii_uppercase().as_str() {
                "STARTTLS" => capabilities.starttls = true,
                "SIZE" => capabilities.size = true,
                "8BITMIME" => capabilities.eight_bit_mime = true,
                "AUTH" => {
                    capabilities.auth_plain |= line
                        .split_ascii_whitespace()
                        .skip(1)
                        .any(|m| m.eq_ignore_ascii_case("PLAIN"))
                }
                _ => {}
            }
        }
        capabilities
    }
}

pub(super) struct Connection {
    stream: Stream,
    /// Received bytes not yet parsed into a reply.
    pending: Vec<u8>,
    host: String,
    timeout: Duration,
}

impl Connection {
    /// Connects, and for implicit TLS completes the handshake.
    pub(super) async fn open(endpoint: &Endpoint, config: &ClientConfig) -> Result<Self, SendError> {
        let target = format!("{}:{}", endpoint.host, endpoint.port);
        let connect = TcpStream::connect((endpoint.host.as_str(), endpoint.port));
        let tcp = match tokio::time::timeout(config.timeout, connect).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => return Err(SendError::Connect(format!("{target}: {e}"))),
            Err(_) => return Err(SendError::Connect(format!("{target}: connection timed out"))),
        };
        // Commands are single small writes; each waits for its reply.
        let _ = tcp.set_nodelay(true);
        let mut connection = Connection {
            stream: Stream::Plain(tcp),
            pending: Vec::new(),
            host: target,
            timeout: config.timeout,
        };
        if endpoint.tls == TlsMode::Implicit {
            connection.start_tls(endpoint, config).await?;
        }
        Ok(connection)
    }

    /// The TLS handshake, verifying the server's certificate for `endpoint.host` against
    /// `config.roots` (ring provider only).
    pub(super) async fn start_tls(&mut self, endpoint: &Endpoint, config: &ClientConfig) -> Result<(), SendError> {
        let name = ServerName::try_from(endpoint.host.clone())
            .map_err(|_| SendError::Connect(format!("{:?} is not a valid TLS server name", endpoint.host)))?;
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| SendError::Connect(format!("TLS configuration: {e}")))?
            .with_root_certificates(config.roots.clone())
            .with_no_client_auth();
        let Some(tcp) = self.stream.take_plain() else {
            return Err(SendError::Connect(format!("{}: TLS already active", self.host)));
        };
        // RFC 3207 4.2: nothing received before the handshake counts afterwards.
        self.pending.clear();
        let handshake = TlsConnector::from(Arc::new(tls)).connect(name, tcp);
        match tokio::time::timeout(self.timeout, handshake).await {
            Ok(Ok(tls)) => {
                self.stream = Stream::Tls(Box::new(TlsStream::Client(tls)));
                Ok(())
            }
            Ok(Err(e)) => Err(SendError::Connect(format!("{}: TLS: {e}", self.host))),
            Err(_) => Err(SendError::Connect(format!("{}: TLS handshake timed out", self.host))),
        }
    }

    /// EHLO; a refusal is the whole send's failure.
    pub(super) async fn ehlo(&mut self, helo: &str) -> Result<Capabilities, SendError> {
        let reply = self.command(&format!("EHLO {helo}")).await?;
        if !reply.is_positive() {
            return Err(failure(reply));
        }
        Ok(Capabilities::from_ehlo(&reply.text))
    }

    /// Sends one command line and reads its reply.
    pub(super) async fn command(&mut self, line: &str) -> Result<Reply, SendError> {
        self.write_all(format!("{line}\r\n").as_bytes()).await?;
        self.read_reply().await
    }

    pub(super) async fn write_all(&mut self, bytes: &[u8]) -> Result<(), SendError> {
        for chunk in bytes.chunks(WRITE_CHUNK) {
            let stream = &mut self.stream;
            let write = async move {
                stream.write_all(chunk).await?;
                stream.flush().await
            };
            within(self.timeout, &self.host, "sending", write).await?;
        }
        Ok(())
    }

    /// The next reply, single or multiline (RFC 5321 4.2.1).
    pub(super) async fn read_reply(&mut self) -> Result<Reply, SendError> {
        let mut parser = ResponseReceiver::default();
        loop {
            if !self.pending.is_empty() {
                let mut bytes = self.pending.iter();
                let parsed = parser.parse(&mut bytes);
                let consumed = self.pending.len() - bytes.len();
                self.pending.drain(..consumed);
                match parsed {
                    Ok(response) => return Ok(Reply::from(response)),
                    Err(smtp_proto::Error::NeedsMoreData { .. }) => {}
                    Err(e) => return Err(SendError::Connect(format!("{}: unparseable reply: {e}", self.host))),
                }
            }
            self.pending.reserve(4096);
            let read = self.stream.read_buf(&mut self.pending);
            let read = within(self.timeout, &self.host, "waiting for a reply", read).await?;
            if read == 0 {
                return Err(SendError::Connect(format!(
                    "{}: connection closed by the server",
                    self.host
                )));
            }
        }
    }

    /// QUIT (RFC 5321 4.1.1.10) and close; the outcome is already decided, errors do not matter.
    pub(super) async fn quit(&mut self) {
        let _ = self.command("QUIT").await;
        let _ = tokio::time::timeout(self.timeout, self.stream.shutdown()).await;
    }
}

/// `io` within `timeout`; its failure, or the timeout, is a connection failure.
async fn within<T>(
    timeout: Duration,
    host: &str,
    what: &str,
    io: impl Future<Output = std::io::Result<T>>,
) -> Result<T, SendError> {
    match tokio::time::timeout(timeout, io).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(SendError::Connect(format!("{host} {what}: {e}"))),
        Err(_) => Err(SendError::Connect(format!("{host} {what}: timed out"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ehlo_keywords_survive_smtp_protos_reply_parser() {
        // "8BITMIME" starts like an enhanced status code; the parser must give it back whole.
        let wire =
            b"250-mx.example.it greets you\r\n250-PIPELINING\r\n250-SIZE 100\r\n250-8BITMIME\r\n250 STARTTLS\r\n";
        let response = ResponseReceiver::default()
            .parse(&mut wire.iter())
            .expect("reply parses");
        let capabilities = Capabilities::from_ehlo(&response.message);
        assert!(capabilities.size && capabilities.eight_bit_mime && capabilities.starttls);
    }

    #[test]
    fn enhanced_status_codes_are_read_from_every_line() {
        let wire = b"550-5.7.1 first\r\n550 5.7.1 second\r\n";
        let reply = Reply::from(
            ResponseReceiver::default()
                .parse(&mut wire.iter())
                .expect("reply parses"),
        );
        assert_eq!(reply, Reply::new(550, Some((5, 7, 1)), "first\nsecond"));
    }
}
