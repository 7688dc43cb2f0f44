//! A raw client: it writes bytes exactly as given and reads the server's lines, for the
//! tests that speak a protocol by hand (malformed input, pipelining, timeouts). Each
//! protocol's suite adds its own way of reading a whole response.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A connection and what has been read from it but not yet returned.
pub struct Raw<S> {
    pub stream: S,
    buf: Vec<u8>,
    timeout: Duration,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Raw<S> {
    /// A client on `stream` that waits at most `timeout` for each read.
    pub fn new(stream: S, timeout: Duration) -> Raw<S> {
        Raw {
            stream,
            buf: Vec::new(),
            timeout,
        }
    }

    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.stream.write_all(bytes.as_ref()).await.expect("write");
        self.stream.flush().await.expect("flush");
    }

    /// One line with its line end, or nothing at the end of the stream (or on a read
    /// error). A server silent for longer than the timeout fails the test.
    pub async fn line_bytes(&mut self) -> Vec<u8> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                return self.buf.drain(..=end).collect();
            }
            let mut chunk = [0u8; 8192];
            let read = tokio::time::timeout(self.timeout, self.stream.read(&mut chunk))
                .await
                .unwrap_or_else(|_| panic!("no line from the server within {:?}", self.timeout));
            match read {
                Ok(0) | Err(_) => return Vec::new(),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// [`Raw::line_bytes`] as lossy UTF-8: "" at the end of the stream.
    pub async fn line(&mut self) -> String {
        String::from_utf8_lossy(&self.line_bytes().await).into_owned()
    }

    /// True when the next line is the end of the stream: the server has closed the
    /// connection after what it had sent.
    pub async fn closed(&mut self) -> bool {
        self.line().await.is_empty()
    }

    /// Read but not yet returned: a protocol switching to TLS must have none.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// The connection, for a TLS handshake on it; what was read ahead is dropped.
    pub fn into_stream(self) -> S {
        self.stream
    }
}
