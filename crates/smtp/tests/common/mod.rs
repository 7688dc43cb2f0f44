//! A real server on 127.0.0.1:0 with an in-memory handler, the development PKI, a raw socket
//! client and a Python smtplib runner.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use smtp::server::{self, Handler, Reply, Role, ServerConfig, ServerHandle, SessionInfo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

pub const DOMAIN: &str = "pec.example.it";
pub const USER: &str = "alice@pec.example.it";
pub const PASSWORD: &str = "s3cret pass";

/// A recipient the handler refuses for now (450).
pub const BUSY_RCPT: &str = "busy@pec.example.it";
/// A recipient whose messages the handler refuses at the end of DATA (554).
pub const REFUSE_DATA_RCPT: &str = "refuse-data@pec.example.it";
/// A sender the handler refuses for now (451).
pub const DEFERRED_SENDER: &str = "deferred@other.example.com";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub from: String,
    pub rcpts: Vec<String>,
    pub message: Vec<u8>,
    pub tls: bool,
    pub authenticated: Option<String>,
}

/// Accepts one user, recipients of [`DOMAIN`] only, and keeps messages in memory.
#[derive(Default)]
pub struct TestHandler {
    pub received: Mutex<Vec<Received>>,
    pub auth_attempts: Mutex<Vec<(String, String)>>,
}

impl TestHandler {
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Handler for TestHandler {
    async fn authenticate(&self, _info: &SessionInfo, user: &str, password: &str) -> Result<String, Reply> {
        self.auth_attempts
            .lock()
            .unwrap()
            .push((user.to_owned(), password.to_owned()));
        if user.eq_ignore_ascii_case(USER) && password == PASSWORD {
            Ok(USER.to_owned())
        } else {
            Err(Reply::new(535, Some((5, 7, 8)), "Authentication credentials invalid"))
        }
    }

    async fn mail_from(&self, _info: &SessionInfo, from: &str) -> Result<(), Reply> {
        if from == DEFERRED_SENDER {
            return Err(Reply::temp_fail("Try again later"));
        }
        Ok(())
    }

    async fn rcpt_to(&self, _info: &SessionInfo, _from: &str, to: &str) -> Result<(), Reply> {
        if to == BUSY_RCPT {
            return Err(Reply::new(450, Some((4, 2, 1)), "Mailbox busy"));
        }
        match to.rsplit_once('@') {
            Some((_, domain)) if domain.eq_ignore_ascii_case(DOMAIN) => Ok(()),
            _ => Err(Reply::perm_fail("Relaying denied")),
        }
    }

    async fn data(&self, info: &SessionInfo, from: &str, rcpts: &[String], message: Vec<u8>) -> Reply {
        if rcpts.iter().any(|r| r == REFUSE_DATA_RCPT) {
            return Reply::new(554, Some((5, 6, 0)), "Message refused");
        }
        let mut received = self.received.lock().unwrap();
        received.push(Received {
            from: from.to_owned(),
            rcpts: rcpts.to_vec(),
            message,
            tls: info.tls,
            authenticated: info.authenticated.clone(),
        });
        Reply::new(250, Some((2, 0, 0)), format!("Ok: queued as {}", received.len()))
    }
}

pub struct Pki {
    pub cert_pem: String,
    pub key_pem: String,
    pub ca_pem: String,
    /// The CA certificate as a file, for Python's `cafile`.
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

pub fn config(role: Role) -> ServerConfig {
    let pki = pki();
    let mut config = ServerConfig::new(role, "mx.pec.example.it");
    config.tls =
        Some(server::tls_config_from_pem(pki.cert_pem.as_bytes(), pki.key_pem.as_bytes()).expect("TLS config"));
    config.max_message_size = 64 * 1024;
    config.max_recipients = 5;
    config
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub handler: Arc<TestHandler>,
    pub shutdown: CancellationToken,
    pub handle: ServerHandle,
}

impl TestServer {
    pub async fn start(config: ServerConfig) -> TestServer {
        let handler = Arc::new(TestHandler::default());
        let shutdown = CancellationToken::new();
        let handle = server::spawn(
            "127.0.0.1:0".parse().unwrap(),
            config,
            handler.clone(),
            shutdown.clone(),
        )
        .await
        .expect("server starts");
        TestServer {
            addr: handle.local_addr,
            handler,
            shutdown,
            handle,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Runs a Python script with `PORT`, `CAFILE`, `USER` and `PASSWORD` in its environment;
    /// returns its standard output, failing the test if it failed.
    pub async fn python(&self, script: &str) -> String {
        self.python_with(script, &[]).await
    }

    /// [`TestServer::python`] with more environment variables.
    pub async fn python_with(&self, script: &str, env: &[(&str, &str)]) -> String {
        let output = tokio::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .envs(env.iter().copied())
            .env("PORT", self.port().to_string())
            .env("CAFILE", &pki().ca_file)
            .env("SMTP_USER", USER)
            .env("SMTP_PASSWORD", PASSWORD)
            .output();
        let output = tokio::time::timeout(Duration::from_secs(60), output)
            .await
            .expect("python finishes")
            .expect("python3 runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "python failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        stdout
    }

    pub async fn raw(&self) -> Raw {
        let mut raw = Raw {
            stream: TcpStream::connect(self.addr).await.expect("connect"),
            buf: Vec::new(),
        };
        let greeting = raw.reply().await;
        assert!(greeting.starts_with("220 "), "{greeting}");
        raw
    }
}

/// A plain-text client that writes bytes as given and reads replies line by line.
pub struct Raw {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.stream.write_all(bytes.as_ref()).await.expect("write");
    }

    /// One reply, all its lines (a multiline reply ends at "ddd ").
    pub async fn reply(&mut self) -> String {
        let mut reply = String::new();
        loop {
            let line = self.line().await;
            assert!(!line.is_empty(), "connection closed; reply so far: {reply:?}");
            reply.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return reply;
            }
        }
    }

    /// Sends `command` and returns its reply.
    pub async fn command(&mut self, command: &str) -> String {
        self.send(format!("{command}\r\n")).await;
        self.reply().await
    }

    /// One line with its CRLF, or "" at end of stream.
    async fn line(&mut self) -> String {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=end).collect();
                return String::from_utf8(line).expect("replies are UTF-8");
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
}

/// Polls until the handler has received `n` messages.
pub async fn wait_received(handler: &TestHandler, n: usize) -> Vec<Received> {
    for _ in 0..200 {
        let received = handler.received();
        if received.len() >= n {
            return received;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    handler.received()
}
