//! A real server on 127.0.0.1:0 over a SQLite store in a temporary directory, an `Auth`
//! over `store::mailboxes::authenticate`, the development PKI, a raw socket client (plain
//! or TLS) and a runner for the Python poplib scripts of `tests/py`.
#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use pop3::{Auth, CancellationToken, Login, LoginError, ServerConfig, ServerHandle};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use store::mailboxes::{self, Status};
use store::messages::{self, NewMessage};
use store::{BlobId, Store};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

pub const DOMAIN: &str = "pec.example.it";
pub const USER: &str = "alice@pec.example.it";
pub const PASSWORD: &str = "s3cret pass";
/// A mailbox whose status is set to closed.
pub const CLOSED: &str = "closed@pec.example.it";
/// A mailbox whose status is set to suspended.
pub const SUSPENDED: &str = "suspended@pec.example.it";
/// Logins as this user are throttled, as the engine does after too many failures.
pub const THROTTLED: &str = "throttled@pec.example.it";

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

/// Checks passwords with the store; a closed mailbox may not log in, a suspended one
/// may (reading is allowed), as the engine does with `Purpose::Read`.
pub struct StoreAuth {
    pub store: Store,
}

impl Auth for StoreAuth {
    async fn login(&self, user: &str, password: &str, _peer: IpAddr) -> Result<Login, LoginError> {
        if user.eq_ignore_ascii_case(THROTTLED) {
            return Err(LoginError::Throttled(
                "too many failed logins: try again in 15 minutes".into(),
            ));
        }
        let mut c = self
            .store
            .conn()
            .await
            .map_err(|e| LoginError::Internal(e.to_string()))?;
        let mailbox = mailboxes::authenticate(&mut c, user, password)
            .await
            .map_err(|e| LoginError::Internal(e.to_string()))?
            .ok_or(LoginError::Invalid)?;
        match mailbox.status {
            Status::Closed => Err(LoginError::Disabled(format!(
                "the mailbox {} is closed",
                mailbox.address
            ))),
            Status::Active | Status::Suspended | Status::ReceiveOnly => Ok(Login {
                address: mailbox.address,
                mailbox_id: mailbox.id,
            }),
        }
    }
}

pub struct Pki {
    pub cert_pem: String,
    pub key_pem: String,
    pub ca_pem: String,
    /// The CA certificate as a file, for Python's `cafile` and fetchmail.
    pub ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dev = pec::smime::dev_pki(
            DOMAIN,
            "Example PEC S.p.A.",
            &["localhost", "127.0.0.1"],
            chrono::Utc::now(),
        )
        .expect("dev PKI");
        let dir = tempfile::tempdir().expect("tempdir");
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, &dev.ca_cert_pem).expect("write CA");
        Pki {
            cert_pem: dev.tls_cert_pem,
            key_pem: dev.tls_key_pem,
            ca_pem: dev.ca_cert_pem,
            ca_file,
            _dir: dir,
        }
    })
}

pub fn tls_config() -> Arc<rustls::ServerConfig> {
    let pki = pki();
    starttls::server_config(pki.cert_pem.as_bytes(), pki.key_pem.as_bytes()).expect("TLS config")
}

pub fn config(implicit_tls: bool) -> ServerConfig {
    let mut config = ServerConfig::new(tls_config(), "pop.pec.example.it");
    config.implicit_tls = implicit_tls;
    config
}

pub fn now() -> i64 {
    store::millis(chrono::Utc::now())
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

    /// A store with the mailboxes (alice holding [`MESSAGES`]) and a server over it.
    pub async fn start_with(config: ServerConfig) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(None, dir.path()).await.expect("store opens");
        let alice = {
            let mut tx = store.begin().await.expect("begin");
            mailboxes::add_domain(&mut tx, DOMAIN, now()).await.expect("domain");
            let alice = mailboxes::create(&mut tx, USER, PASSWORD, mailboxes::DEFAULT_QUOTA, now())
                .await
                .expect("alice");
            for address in [CLOSED, SUSPENDED] {
                mailboxes::create(&mut tx, address, PASSWORD, mailboxes::DEFAULT_QUOTA, now())
                    .await
                    .expect("mailbox");
            }
            mailboxes::set_status(&mut tx, CLOSED, Status::Closed)
                .await
                .expect("close");
            mailboxes::set_status(&mut tx, SUSPENDED, Status::Suspended)
                .await
                .expect("suspend");
            tx.commit().await.expect("commit");
            alice.id
        };
        for message in MESSAGES {
            append(&store, alice, message).await;
        }
        let suspended = mailbox_id(&store, SUSPENDED).await;
        append(&store, suspended, MESSAGES[2]).await;
        let shutdown = CancellationToken::new();
        let auth = Arc::new(StoreAuth { store: store.clone() });
        let handle = pop3::spawn(
            "127.0.0.1:0".parse().unwrap(),
            config,
            auth,
            store.clone(),
            shutdown.clone(),
        )
        .await
        .expect("server starts");
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
        let output = tokio::process::Command::new("python3")
            .arg(&path)
            .env("PORT", self.port().to_string())
            .env("CAFILE", &pki().ca_file)
            .env("POP_USER", USER)
            .env("POP_PASSWORD", PASSWORD)
            .envs(env.iter().copied())
            .output();
        let output = tokio::time::timeout(Duration::from_secs(60), output)
            .await
            .expect("python finishes")
            .expect("python3 runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{script} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{script} printed no JSON ({e}):\n{stdout}"))
    }

    /// A raw connection, greeting read.
    pub async fn raw(&self) -> Raw {
        let stream = TcpStream::connect(self.addr).await.expect("connect");
        let mut raw = Raw {
            stream: Box::new(stream),
            buf: Vec::new(),
        };
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
pub struct Raw {
    stream: Box<dyn Io>,
    buf: Vec<u8>,
}

impl Raw {
    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.stream.write_all(bytes.as_ref()).await.expect("write");
        self.stream.flush().await.expect("flush");
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

    /// One line with its CRLF (lossy UTF-8), or "" at end of stream.
    pub async fn line(&mut self) -> String {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=end).collect();
                return String::from_utf8_lossy(&line).into_owned();
            }
            let mut chunk = [0u8; 4096];
            let read = tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut chunk))
                .await
                .expect("reply within 10 s");
            match read {
                Ok(0) | Err(_) => return String::new(),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// True once the server has closed the connection (after what is buffered).
    pub async fn closed(&mut self) -> bool {
        self.line().await.is_empty()
    }

    /// The TLS handshake on this connection, trusting the development CA.
    pub async fn handshake(self) -> Raw {
        assert!(self.buf.is_empty(), "unread input before the handshake");
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pki().ca_pem.as_bytes()) {
            roots.add(cert.expect("CA PEM")).expect("CA certificate");
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let name = ServerName::try_from("localhost").expect("server name");
        let tls = connector.connect(name, self.stream).await.expect("TLS handshake");
        Raw {
            stream: Box::new(tls),
            buf: Vec::new(),
        }
    }
}

/// A raw connection on an implicit-TLS server, greeting read.
pub async fn raw_implicit(server: &TestServer) -> Raw {
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    let raw = Raw {
        stream: Box::new(stream),
        buf: Vec::new(),
    }
    .handshake()
    .await;
    let mut raw = raw;
    let greeting = raw.line().await;
    assert!(greeting.starts_with("+OK "), "{greeting}");
    raw
}
