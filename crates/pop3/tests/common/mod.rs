//! A real server on a free 127.0.0.1 port over the testkit's store of test mailboxes, alice's
//! INBOX holding [`MESSAGES`], a raw client (plain or TLS) reading POP3 replies, and a
//! runner for the Python poplib scripts of `tests/py`.
// Each test binary uses a part of this module.
#![allow(dead_code, unused_imports)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use pop3::{CancellationToken, ServerConfig, ServerHandle};
use store::mailboxes;
use store::messages::{self, NewMessage};
use store::{BlobId, Store};
pub use testkit::pki::pki;
use testkit::servers::{self, TestStore, now};
pub use testkit::servers::{CLOSED, PASSWORD, SUSPENDED, THROTTLED, USER};
use testkit::{client, python, tls};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// The messages in alice's INBOX, in UID order. The first has lines beginning with ".",
/// one that is only ".", and 8-bit text; the second has a longer body for TOP.
pub const MESSAGES: [&[u8]; 3] = [
    b"From: Bob <bob@pec.example.it>\r\n\
To: alice@pec.example.it\r\n\
Subject: dots\r\n\
Message-ID: <1@pec.example.it>\r\n\
\r\n\
.a line starting with a dot\r\n\
.\r\n\
..two dots\r\n\
\xc3\xa8 8-bit text\r\n\
last line\r\n",
    b"From: Carol <carol@pec.example.it>\r\n\
To: alice@pec.example.it\r\n\
Subject: five lines\r\n\
\r\n\
body 1\r\n\
body 2\r\n\
body 3\r\n\
body 4\r\n\
body 5\r\n",
    b"From: Dave <dave@pec.example.it>\r\n\
Subject: short\r\n\
\r\n\
hello\r\n",
];

pub fn config(implicit_tls: bool) -> ServerConfig {
    let mut config = ServerConfig::new(tls::server_config(), "pop.pec.example.it");
    config.implicit_tls = implicit_tls;
    config
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub store: Store,
    pub alice: i64,
    pub shutdown: CancellationToken,
    pub handle: ServerHandle,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    /// STLS on a plain port.
    pub async fn start() -> TestServer {
        TestServer::start_with(config(false)).await
    }

    /// Implicit TLS.
    pub async fn start_tls() -> TestServer {
        TestServer::start_with(config(true)).await
    }

    /// The testkit's store (alice holding [`MESSAGES`], suspended the last of them) and a
    /// server over it.
    pub async fn start_with(config: ServerConfig) -> TestServer {
        let TestStore { store, alice, dir } = TestStore::open(mailboxes::DEFAULT_QUOTA).await;
        for message in MESSAGES {
            append(&store, alice, message).await;
        }
        let suspended = mailbox_id(&store, SUSPENDED).await;
        append(&store, suspended, MESSAGES[2]).await;
        let shutdown = CancellationToken::new();
        let handle = servers::pop3(config, &store, &shutdown).await;
        TestServer {
            addr: handle.local_addr,
            store,
            alice,
            shutdown,
            handle,
            dir,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The messages of a mailbox's INBOX now: (id, uid, bytes).
    pub async fn inbox(&self, mailbox_id: i64) -> Vec<(i64, i64, Vec<u8>)> {
        let mut c = self.store.conn().await.expect("conn");
        let folder = messages::folder(&mut c, mailbox_id, "INBOX")
            .await
            .expect("folder")
            .expect("INBOX");
        let mut out = Vec::new();
        for m in messages::list(&mut c, folder.id).await.expect("list") {
            let bytes = self.store.blobs().get(&m.blob).await.expect("blob");
            out.push((m.id, m.uid, bytes));
        }
        out
    }

    pub async fn uidvalidity(&self) -> i64 {
        let mut c = self.store.conn().await.expect("conn");
        messages::folder(&mut c, self.alice, "INBOX")
            .await
            .expect("folder")
            .expect("INBOX")
            .uidvalidity
    }

    /// Runs `tests/py/<script>` with `PORT`, `CAFILE`, `POP_USER`, `POP_PASSWORD` and `env`;
    /// returns its JSON output, failing the test if the script failed.
    pub async fn python(&self, script: &str, env: &[(&str, &str)]) -> serde_json::Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py").join(script);
        let mut command = tokio::process::Command::new("python3");
        command
            .arg(&path)
            .env("PORT", self.port().to_string())
            .env("CAFILE", &pki().ca_file)
            .env("POP_USER", USER)
            .env("POP_PASSWORD", PASSWORD)
            .envs(env.iter().copied());
        let stdout = python::run(script, &mut command, Duration::from_secs(60)).await;
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{script} printed no JSON ({e}):\n{stdout}"))
    }

    /// A raw connection, greeting read.
    pub async fn raw(&self) -> Raw {
        let stream = TcpStream::connect(self.addr).await.expect("connect");
        let mut raw = Raw::new(Box::new(stream));
        let greeting = raw.line().await;
        assert!(greeting.starts_with("+OK "), "{greeting}");
        raw
    }

    /// A raw connection under TLS after STLS.
    pub async fn raw_tls(&self) -> Raw {
        let mut raw = self.raw().await;
        let reply = raw.command("STLS").await;
        assert!(reply.starts_with("+OK"), "{reply}");
        raw.handshake().await
    }
}

pub async fn append(store: &Store, mailbox_id: i64, bytes: &[u8]) {
    let blob: BlobId = store.blobs().put(bytes).await.expect("blob");
    let mut tx = store.begin().await.expect("begin");
    let inbox = messages::folder(&mut tx, mailbox_id, "INBOX")
        .await
        .expect("folder")
        .expect("INBOX");
    let message = NewMessage {
        blob: &blob,
        size: bytes.len() as i64,
        internal_date: now(),
        flags: &[],
        pec_kind: None,
        identificativo: None,
    };
    messages::append(&mut tx, inbox.id, &message).await.expect("append");
    tx.commit().await.expect("commit");
}

pub async fn mailbox_id(store: &Store, address: &str) -> i64 {
    let mut c = store.conn().await.expect("conn");
    mailboxes::get(&mut c, address).await.expect("get").expect("mailbox").id
}

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A client that writes bytes as given and reads replies line by line.
pub struct Raw(client::Raw<Box<dyn Io>>);

impl Raw {
    fn new(stream: Box<dyn Io>) -> Raw {
        Raw(client::Raw::new(stream, Duration::from_secs(10)))
    }

    /// Sends `command` and returns the first line of its reply.
    pub async fn command(&mut self, command: &str) -> String {
        self.send(format!("{command}\r\n")).await;
        self.line().await
    }

    /// Sends `command` and returns its multi-line reply, status line to the final ".".
    pub async fn multi(&mut self, command: &str) -> Vec<String> {
        self.send(format!("{command}\r\n")).await;
        let status = self.line().await;
        assert!(status.starts_with("+OK"), "{command}: {status}");
        let mut lines = vec![status];
        loop {
            let line = self.line().await;
            assert!(!line.is_empty(), "connection closed in a multi-line reply: {lines:?}");
            if line == ".\r\n" {
                return lines;
            }
            lines.push(line);
        }
    }

    /// The TLS handshake on this connection, trusting the development CA.
    pub async fn handshake(self) -> Raw {
        assert!(self.buffered().is_empty(), "unread input before the handshake");
        let tls = tls::handshake(self.0.into_stream()).await;
        Raw::new(Box::new(tls))
    }
}

impl std::ops::Deref for Raw {
    type Target = client::Raw<Box<dyn Io>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Raw {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// A raw connection on an implicit-TLS server, greeting read.
pub async fn raw_implicit(server: &TestServer) -> Raw {
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    let mut raw = Raw::new(Box::new(stream)).handshake().await;
    let greeting = raw.line().await;
    assert!(greeting.starts_with("+OK "), "{greeting}");
    raw
}
