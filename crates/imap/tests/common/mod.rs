//! A real server on 127.0.0.1:0 over a SQLite store in a temporary directory, with an Auth that
//! checks the store's passwords, the development PKI, a Python imaplib runner and a raw client.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use imap::{Auth, Login, LoginError, ServerConfig, ServerHandle};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use store::Store;
use store::mailboxes::{self, Status};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

pub const DOMAIN: &str = "pec.example.it";
pub const USER: &str = "alice@pec.example.it";
pub const OTHER: &str = "bob@pec.example.it";
pub const SUSPENDED: &str = "sospesa@pec.example.it";
pub const CLOSED: &str = "chiusa@pec.example.it";
/// The Auth answers `Throttled` for this one, whatever the password.
pub const THROTTLED: &str = "lenta@pec.example.it";
pub const PASSWORD: &str = "s3cret pass";
/// Alice's quota: small enough that a test can fill it.
pub const QUOTA: i64 = 4 * 1024 * 1024;
/// The server's literal limit in tests.
pub const MAX_LITERAL: usize = 2 * 1024 * 1024;

/// The real PEC vectors; the tests fail, not skip, when they are missing.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors/real"))
}

/// Checks the store's argon2 hashes; closed mailboxes get `Disabled` and suspended ones may
/// only read, as the engine answers.
pub struct StoreAuth {
    pub store: Store,
}

impl Auth for StoreAuth {
    async fn login(&self, user: &str, password: &str, _peer: std::net::IpAddr) -> Result<Login, LoginError> {
        if user.eq_ignore_ascii_case(THROTTLED) {
            return Err(LoginError::Throttled(
                "too many failed logins, try again in 10 minutes".into(),
            ));
        }
        let mut c = self
            .store
            .conn()
            .await
            .map_err(|e| LoginError::Internal(e.to_string()))?;
        match mailboxes::authenticate(&mut c, user, password).await {
            Ok(Some(m)) if m.status == Status::Closed => {
                Err(LoginError::Disabled(format!("the mailbox {} is closed", m.address)))
            }
            Ok(Some(m)) => Ok(Login {
                read_only: m.status == Status::Suspended,
                address: m.address,
                mailbox_id: m.id,
            }),
            Ok(None) => Err(LoginError::Invalid),
            Err(e) => Err(LoginError::Internal(e.to_string())),
        }
    }
}

pub struct Pki {
    pub cert_pem: String,
    pub key_pem: String,
    pub ca_pem: String,
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

pub fn config() -> ServerConfig {
    let mut config = ServerConfig::new("imap.pec.example.it", tls_config());
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
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(None, dir.path()).await.expect("store");
        let now = store::millis(chrono::Utc::now());
        let mut c = store.conn().await.expect("conn");
        mailboxes::add_domain(&mut c, DOMAIN, now).await.expect("domain");
        let alice = mailboxes::create(&mut c, USER, PASSWORD, QUOTA, now)
            .await
            .expect("alice");
        for address in [OTHER, SUSPENDED, CLOSED] {
            mailboxes::create(&mut c, address, PASSWORD, mailboxes::DEFAULT_QUOTA, now)
                .await
                .expect("mailbox");
        }
        mailboxes::set_status(&mut c, SUSPENDED, Status::Suspended)
            .await
            .expect("suspend");
        mailboxes::set_status(&mut c, CLOSED, Status::Closed)
            .await
            .expect("close");
        drop(c);
        let shutdown = CancellationToken::new();
        let auth = Arc::new(StoreAuth { store: store.clone() });
        let handle = imap::spawn(
            "127.0.0.1:0".parse().expect("address"),
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
            alice_id: alice.id,
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
        let output = tokio::process::Command::new("python3")
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
            .env("VECTORS", vectors_dir())
            .output();
        let output = tokio::time::timeout(Duration::from_secs(120), output)
            .await
            .expect("python finishes within 120 s")
            .expect("python3 runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{script} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        let last = stdout.lines().last().unwrap_or_default();
        serde_json::from_str(last).unwrap_or_else(|e| panic!("{script} printed no JSON ({e}):\n{stdout}\n{stderr}"))
    }

    /// A plain-text connection, greeting read.
    pub async fn raw(&self) -> Raw<TcpStream> {
        let mut raw = Raw {
            stream: TcpStream::connect(self.addr).await.expect("connect"),
            buf: Vec::new(),
        };
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
        let mut tls = Raw {
            stream: connector()
                .connect(ServerName::try_from("localhost").expect("name"), plain.stream)
                .await
                .expect("TLS handshake"),
            buf: Vec::new(),
        };
        let login = tls.command("l", &format!("LOGIN {user} \"{PASSWORD}\"")).await;
        assert!(login.contains("l OK"), "{login}");
        tls
    }
}

pub fn connector() -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pki().ca_pem.as_bytes()).expect("CA PEM"))
        .expect("CA accepted");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// A client that writes bytes as given and reads responses line by line.
pub struct Raw<S> {
    pub stream: S,
    buf: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Raw<S> {
    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.stream.write_all(bytes.as_ref()).await.expect("write");
        self.stream.flush().await.expect("flush");
    }

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

    /// One line with its CRLF, or "" at end of stream.
    pub async fn line(&mut self) -> String {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=end).collect();
                return String::from_utf8_lossy(&line).into_owned();
            }
            let mut chunk = [0u8; 8192];
            let read = tokio::time::timeout(Duration::from_secs(20), self.stream.read(&mut chunk))
                .await
                .expect("response within 20 s");
            match read {
                Ok(0) | Err(_) => return String::new(),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Whether the server closed the connection (after whatever it still had to say).
    pub async fn closed(&mut self) -> bool {
        loop {
            let line = self.line().await;
            if line.is_empty() {
                return true;
            }
        }
    }
}
