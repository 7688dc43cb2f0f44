//! A real server on a free 127.0.0.1 port over the testkit's store of test mailboxes (alice
//! with a quota small enough to fill), a Python imaplib runner and a raw client reading
//! tagged responses.
// Each test binary uses a part of this module.
#![allow(dead_code, unused_imports)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use imap::{ServerConfig, ServerHandle};
use store::Store;
pub use testkit::pki::pki;
use testkit::servers::{self, TestStore};
pub use testkit::servers::{CLOSED, OTHER, PASSWORD, SUSPENDED, THROTTLED, USER};
use testkit::{client, python, tls};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// Alice's quota: small enough that a test can fill it.
pub const QUOTA: i64 = 4 * 1024 * 1024;
/// The server's literal limit in tests.
pub const MAX_LITERAL: usize = 2 * 1024 * 1024;

/// The real PEC vectors; the tests fail, not skip, when they are missing.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors/real"))
}

pub fn config() -> ServerConfig {
    let mut config = ServerConfig::new("imap.pec.example.it", tls::server_config());
    config.idle_poll = Duration::from_millis(200);
    config.max_literal = MAX_LITERAL;
    config
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub store: Store,
    pub alice_id: i64,
    pub shutdown: CancellationToken,
    pub handle: ServerHandle,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(config()).await
    }

    pub async fn start_with(config: ServerConfig) -> TestServer {
        let TestStore { store, alice, dir } = TestStore::open(QUOTA).await;
        let shutdown = CancellationToken::new();
        let handle = servers::imap(config, &store, &shutdown).await;
        TestServer {
            addr: handle.local_addr,
            store,
            alice_id: alice,
            shutdown,
            handle,
            _dir: dir,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Runs `tests/py/<script>` with `args`; the environment has PORT, CAFILE, USER, PASSWORD,
    /// OTHER, SUSPENDED, CLOSED, THROTTLED and VECTORS. Returns the JSON the script printed on
    /// its last line; a failed script fails the test with its output.
    pub async fn python(&self, script: &str, args: &[&str]) -> serde_json::Value {
        let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py")).join(script);
        let mut command = tokio::process::Command::new("python3");
        command
            .arg(&path)
            .args(args)
            .env("PORT", self.port().to_string())
            .env("CAFILE", &pki().ca_file)
            .env("USER", USER)
            .env("PASSWORD", PASSWORD)
            .env("OTHER", OTHER)
            .env("SUSPENDED", SUSPENDED)
            .env("CLOSED", CLOSED)
            .env("THROTTLED", THROTTLED)
            .env("VECTORS", vectors_dir());
        let stdout = python::run(script, &mut command, Duration::from_secs(120)).await;
        let last = stdout.lines().last().unwrap_or_default();
        serde_json::from_str(last).unwrap_or_else(|e| panic!("{script} printed no JSON ({e}):\n{stdout}"))
    }

    /// A plain-text connection, greeting read.
    pub async fn raw(&self) -> Raw<TcpStream> {
        let stream = TcpStream::connect(self.addr).await.expect("connect");
        let mut raw = Raw(client::Raw::new(stream, Duration::from_secs(20)));
        let greeting = raw.line().await;
        assert!(greeting.starts_with("* OK "), "{greeting}");
        raw
    }

    /// A TLS connection after STARTTLS, logged in as `user`.
    pub async fn tls_login(&self, user: &str) -> Raw<tokio_rustls::client::TlsStream<TcpStream>> {
        let mut plain = self.raw().await;
        plain.send("s STARTTLS\r\n").await;
        let ok = plain.until_tagged("s").await;
        assert!(ok.ends_with("s OK Begin TLS negotiation now\r\n"), "{ok}");
        let tls = tls::handshake(plain.0.into_stream()).await;
        let mut tls = Raw(client::Raw::new(tls, Duration::from_secs(20)));
        let login = tls.command("l", &format!("LOGIN {user} \"{PASSWORD}\"")).await;
        assert!(login.contains("l OK"), "{login}");
        tls
    }
}

/// A client that writes bytes as given and reads responses up to their tagged line.
pub struct Raw<S>(client::Raw<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> Raw<S> {
    /// Sends `tag command` and returns every line up to the tagged response.
    pub async fn command(&mut self, tag: &str, command: &str) -> String {
        self.send(format!("{tag} {command}\r\n")).await;
        self.until_tagged(tag).await
    }

    /// Lines (lossy UTF-8) up to and including the one starting with `tag `.
    pub async fn until_tagged(&mut self, tag: &str) -> String {
        let mut all = String::new();
        loop {
            let line = self.line().await;
            assert!(!line.is_empty(), "connection closed; so far: {all:?}");
            all.push_str(&line);
            if line.starts_with(&format!("{tag} ")) {
                return all;
            }
        }
    }

    /// Whether the server closed the connection (after whatever it still had to say).
    pub async fn closed(&mut self) -> bool {
        while !self.line().await.is_empty() {}
        true
    }
}

impl<S> std::ops::Deref for Raw<S> {
    type Target = client::Raw<S>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<S> std::ops::DerefMut for Raw<S> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}
