//! A real server on a free 127.0.0.1 port with an in-memory handler, a raw client reading
//! replies, and a Python smtplib runner; the PKI, the server and the client's line reading
//! are the testkit's.
// Each test binary uses a part of this module.
#![allow(dead_code, unused_imports)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use smtp::server::{CancellationToken, Handler, Reply, Role, ServerConfig, ServerHandle, SessionInfo};
pub use testkit::DOMAIN;
pub use testkit::pki::pki;
pub use testkit::servers::{PASSWORD, USER};
use testkit::{client, python, servers, tls};
use tokio::net::TcpStream;

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

pub fn config(role: Role) -> ServerConfig {
    let mut config = ServerConfig::new(role, "mx.pec.example.it");
    config.tls = Some(tls::server_config());
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
        let handle = servers::smtp(config, handler.clone(), &shutdown).await;
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
        let mut command = tokio::process::Command::new("python3");
        command
            .arg("-c")
            .arg(script)
            .envs(env.iter().copied())
            .env("PORT", self.port().to_string())
            .env("CAFILE", &pki().ca_file)
            .env("SMTP_USER", USER)
            .env("SMTP_PASSWORD", PASSWORD);
        python::run("python", &mut command, Duration::from_secs(60)).await
    }

    pub async fn raw(&self) -> Raw {
        let stream = TcpStream::connect(self.addr).await.expect("connect");
        let mut raw = Raw(client::Raw::new(stream, Duration::from_secs(10)));
        let greeting = raw.reply().await;
        assert!(greeting.starts_with("220 "), "{greeting}");
        raw
    }
}

/// A plain-text client that writes bytes as given and reads replies.
pub struct Raw(client::Raw<TcpStream>);

impl Raw {
    /// One reply, all its lines (a multiline reply ends at "ddd ").
    pub async fn reply(&mut self) -> String {
        let mut reply = String::new();
        loop {
            let line = String::from_utf8(self.0.line_bytes().await).expect("replies are UTF-8");
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
}

impl std::ops::Deref for Raw {
    type Target = client::Raw<TcpStream>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Raw {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
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
