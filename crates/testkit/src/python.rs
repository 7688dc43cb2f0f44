//! The Python programs the tests drive: any suite's scripts ([`run`]), and the two
//! clients of the end-to-end tests, `py/submit.py` (a submission with smtplib,
//! [`submit`]) and `py/sink.py` (an ordinary, non-PEC SMTP server, [`start_sink`]).

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::Proc;

/// Runs `command` (a `python3` one) to its end within `timeout`: its standard output. A
/// script that fails fails the test with its output, named `what`.
pub async fn run(what: &str, command: &mut tokio::process::Command, timeout: Duration) -> String {
    let output = tokio::time::timeout(timeout, command.output())
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {timeout:?}"))
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{what} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

fn script(name: &str) -> String {
    format!("{}/py/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// What submit.py reports: the stage it stopped at (`mail`, `rcpt`, `data`, `auth` or
/// `error`) and the server's reply there.
#[derive(Debug, serde::Deserialize)]
pub struct Outcome {
    pub stage: String,
    pub code: i64,
    pub text: String,
}

/// A submission account: where, the CA file to trust, and the login.
pub struct Account<'a> {
    pub host: &'a str,
    pub port: u16,
    pub ca: &'a str,
    pub user: &'a str,
    pub password: &'a str,
}

/// Submits `message` with Python's smtplib; `flags` as submit.py takes them
/// (`--no-tls`, `--no-auth`, `--implicit`).
pub fn submit(a: &Account<'_>, mail_from: &str, rcpts: &[&str], message: &[u8], flags: &[&str]) -> Outcome {
    let file = tempfile::NamedTempFile::new().expect("temporary file");
    std::fs::write(file.path(), message).expect("write the message");
    let out = Command::new("python3")
        .arg(script("submit.py"))
        .args([
            a.host,
            &a.port.to_string(),
            a.ca,
            a.user,
            a.password,
            mail_from,
            &rcpts.join(","),
        ])
        .arg(file.path())
        .args(flags)
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("submit.py: {e}: {text} {}", String::from_utf8_lossy(&out.stderr)))
}

/// The ordinary-mail sink, storing what it receives as `dir/N.eml` (and its recipients as
/// `dir/N.rcpt`): its process and port.
pub fn start_sink(dir: &Path) -> (Proc, u16) {
    let mut child = Command::new("python3")
        .arg(script("sink.py"))
        .arg(dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("the sink's output"))
        .read_line(&mut line)
        .expect("the sink's port");
    let port = line.trim().parse().expect("sink port");
    (Proc(child), port)
}
